/**
 * One real app node for a test: the built standalone server as a child process on a loopback address, with
 * exactly the environment the test gives it (nothing inherited but PATH). Lifecycle as a type: start → Started
 * (url, output, stop).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { DEFAULT_APP_PORT } from '@msk/contract';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface AppServerProps {
  /** The standalone server.js to run (from ensureStandaloneBuild). */
  readonly serverJs: string;
  readonly env: Readonly<Record<string, string>>;
  /** @default 60000 */
  readonly startupTimeoutMs?: number;
  /** What "started" means: /api/ready answering 200, or just /api/health. @default 'ready' */
  readonly waitFor?: 'ready' | 'health';
}

export interface StartedAppServer {
  readonly url: string;
  readonly pid: number;
  /** Everything the process printed so far (stdout and stderr, in order). */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Resolves when a printed line matches, or rejects after timeoutMs with the last lines. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

const POLL_INTERVAL_MS = 100;
const STOP_TIMEOUT_MS = 5_000;

/** True when something accepts TCP connections there (a leftover server would make a test lie). */
export function isListening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function childEnvironment(env: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  return { NODE_ENV: 'production', PATH: process.env.PATH ?? '', NEXT_TELEMETRY_DISABLED: '1', ...env };
}

function capture(child: ChildProcess) {
  const chunks: { stream: 'stdout' | 'stderr'; text: string }[] = [];
  child.stdout?.setEncoding('utf8').on('data', (text: string) => chunks.push({ stream: 'stdout', text }));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => chunks.push({ stream: 'stderr', text }));
  return {
    all: () => chunks.map((c) => c.text).join(''),
    of: (stream: 'stdout' | 'stderr') =>
      chunks
        .filter((c) => c.stream === stream)
        .map((c) => c.text)
        .join(''),
  };
}

function lastLines(text: string, count = 30): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

export async function startAppServer(props: AppServerProps): Promise<StartedAppServer> {
  const host = props.env.HOSTNAME ?? '127.0.0.1';
  const port = Number(props.env.PORT ?? DEFAULT_APP_PORT);
  const url = `http://${host}:${port}`;
  const startupTimeoutMs = props.startupTimeoutMs ?? 60_000;
  if (await isListening(host, port)) {
    throw new Error(`${host}:${port} is already taken by another process; stop it before running the app tests`);
  }
  const child = spawn(process.execPath, [props.serverJs], {
    cwd: dirname(props.serverJs),
    env: childEnvironment(props.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = capture(child);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
      resolve();
    }),
  );

  const stop = async () => {
    if (exitCode !== undefined) return;
    child.kill('SIGTERM');
    const stoppedInTime = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
    if (!stoppedInTime) {
      child.kill('SIGKILL');
      await exited;
    }
  };

  const probe = props.waitFor === 'health' ? '/api/health' : '/api/ready';
  const deadline = Date.now() + startupTimeoutMs;
  for (;;) {
    if (exitCode !== undefined) {
      throw new Error(
        `the app on ${url} exited (code ${exitCode}) before it was up; its output:\n${lastLines(output.all())}`,
      );
    }
    try {
      const response = await fetch(url + probe, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `the app on ${url} did not answer ${probe} with 200 within ${startupTimeoutMs} ms; its output:\n${lastLines(output.all())}`,
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }

  return {
    url,
    pid: child.pid as number,
    output: output.all,
    stdout: () => output.of('stdout'),
    stderr: () => output.of('stderr'),
    async waitForOutput(pattern, timeoutMs = 5_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const match = output
          .all()
          .split('\n')
          .find((line) => pattern.test(line));
        if (match) return match;
        if (Date.now() > until)
          throw new Error(
            `no output line matched ${pattern} within ${timeoutMs} ms; last lines:\n${lastLines(output.all())}`,
          );
        await sleep(50);
      }
    },
    stop,
  };
}

export interface ExitedApp {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Whether it ever answered an HTTP request (GET /api/health, polled) before exiting. */
  readonly answered: boolean;
}

/** Starts the server expecting it to refuse (bad environment) and returns how it ended. */
export async function runAppServerExpectingExit(
  serverJs: string,
  env: Readonly<Record<string, string>>,
  timeoutMs = 30_000,
): Promise<ExitedApp> {
  const host = env.HOSTNAME ?? '127.0.0.1';
  const port = Number(env.PORT ?? DEFAULT_APP_PORT);
  const child = spawn(process.execPath, [serverJs], {
    cwd: dirname(serverJs),
    env: childEnvironment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = capture(child);
  let answered = false;
  let done = false;
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const watcher = (async () => {
    while (!done) {
      try {
        await fetch(`http://${host}:${port}/api/health`, { signal: AbortSignal.timeout(1_000) });
        answered = true;
      } catch {
        // not listening, or accepted and never answered: both mean "served nothing"
      }
      await sleep(20);
    }
  })();
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await exit;
  clearTimeout(timer);
  done = true;
  await watcher;
  return { code, stdout: output.of('stdout'), stderr: output.of('stderr'), answered };
}

/**
 * Like Promise.all for starts, but waits for every start to finish before failing, so no server comes up after
 * the test gave up on it (and escapes afterAll).
 */
export async function allStarted<T extends readonly unknown[]>(starts: {
  readonly [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const results = await Promise.allSettled(starts as readonly Promise<unknown>[]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
