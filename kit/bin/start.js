#!/usr/bin/env node
// `npm start`: says what it does from its first moment, builds the TypeScript packages (tsc -b, which is silent
// for ~15 s on a fresh clone), then runs the local cluster (`msk up`), passing on every argument.
//
// Plain JavaScript on purpose: it must run before anything is compiled. Ctrl-C and SIGTERM go to the child that
// is running (tsc, then the cluster supervisor, which stops every node); this process exits with the child's code.
'use strict';
const { spawn } = require('node:child_process');
const { dirname, join, relative } = require('node:path');

const REPO_ROOT = join(__dirname, '..', '..');
const CLI = join(REPO_ROOT, 'kit', 'dist', 'cli', 'main.js');

const say = (line) => process.stdout.write(`[start] ${line}\n`);
const seconds = (sinceMs) => `${((Date.now() - sinceMs) / 1000).toFixed(1)} s`;

let child;
let stopSignal;
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
for (const signal of Object.keys(SIGNAL_EXIT_CODES)) {
  process.on(signal, () => {
    stopSignal = stopSignal ?? signal;
    // In a terminal the child got this Ctrl-C already (same process group); a second one within a second is the
    // same press to the supervisor, so forwarding it is harmless, and it is needed when only we were signalled.
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    else process.exit(SIGNAL_EXIT_CODES[signal]);
  });
}

/** Runs `tsc -b --verbose`, printing one line per package it really builds (its other output only on failure). */
function buildTypeScript() {
  return new Promise((resolve) => {
    const started = Date.now();
    say('step 1/2: TypeScript build (tsc -b: kit, sync, cdk8s; ~15 s on a fresh clone, ~1 s when current)');
    const tsc = require.resolve('typescript/bin/tsc', { paths: [REPO_ROOT] });
    child = spawn(process.execPath, [tsc, '-b', '--verbose'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    let built = 0;
    let pending = '';
    const onData = (chunk) => {
      const text = pending + chunk.toString();
      const lines = text.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        output.push(line);
        const building = /Building project '([^']+)'/.exec(line);
        if (building) {
          built += 1;
          const project = relative(REPO_ROOT, dirname(building[1]));
          say(project ? `  tsc: compiling ${project}/` : '  tsc: checking the root project');
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => {
      if (code === 0) {
        say(
          built === 0
            ? `  TypeScript is up to date (${seconds(started)})`
            : `  TypeScript built in ${seconds(started)}`,
        );
        resolve(0);
        return;
      }
      if (signal || stopSignal) {
        resolve(130);
        return;
      }
      // --verbose adds "<time> - Project …" lines and a project list; the rest is the compiler's errors.
      const errors = output.filter(
        (line) => !/^[\d:]+( [AP]M)? - /.test(line) && !/^\s+\* /.test(line) && line.trim() !== '',
      );
      process.stderr.write(`${errors.slice(-40).join('\n')}\n`);
      say(`the TypeScript build failed (exit ${code}); fix the errors above and run npm start again`);
      resolve(code ?? 1);
    });
  });
}

function runCluster(args) {
  return new Promise((resolve) => {
    say(`step 2/2: local cluster (node kit/dist/cli/main.js up${args.length ? ` ${args.join(' ')}` : ''})`);
    child = spawn(process.execPath, [CLI, 'up', ...args], { cwd: process.cwd(), stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 130 : 1)));
  });
}

/** `--app <dir>` / `--app=<dir>` among the arguments: the app the cluster runs instead of app/ (for the first line). */
function chosenApp(args) {
  const index = args.findIndex((arg) => arg === '--app' || arg.startsWith('--app='));
  if (index < 0) return undefined;
  return args[index].startsWith('--app=') ? args[index].slice('--app='.length) : args[index + 1];
}

async function main() {
  const app = chosenApp(process.argv.slice(2));
  say(
    `Multi-Server Kit: starting a local cluster${app ? ` of ${app}` : ''} (pid ${process.pid}; Ctrl-C stops everything)`,
  );
  const built = await buildTypeScript();
  if (built !== 0 || stopSignal) return built || 130;
  return runCluster(process.argv.slice(2));
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`[start] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
