#!/usr/bin/env node
// `npm pack` / `npm publish` of @msk/kit, @msk/replication and @msk/sync run this first (their `prepack`), in the
// package's folder:
//   1. builds it (tsc -b: the production project and its references; a no-op when current),
//   2. removes compiled files in dist/ whose source is gone (a renamed or deleted module): dist/ is never cleaned by
//      tsc, and the package's `files` would otherwise publish them,
//   3. makes the bin entries executable (tsc writes files without the executable bit).
// Plain JavaScript, so it runs before anything is compiled. It never deletes the whole dist/: the repository's
// tests run from it, and may be running while a package is packed.
'use strict';
const { execFileSync } = require('node:child_process');
const { chmodSync, existsSync, readdirSync, readFileSync, rmSync } = require('node:fs');
const { join, relative } = require('node:path');

const packageDir = process.cwd();
const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
// Progress goes to stderr: `npm pack --json` prints its JSON on stdout, after this script's output.
const say = (line) => process.stderr.write(`[prepack ${manifest.name}] ${line}\n`);

const tsc = require.resolve('typescript/bin/tsc', { paths: [packageDir] });
say('tsc -b');
execFileSync(process.execPath, [tsc, '-b'], { cwd: packageDir, stdio: ['ignore', process.stderr, process.stderr] });

const COMPILED = /^(.*?)(\.d\.ts|\.js)(\.map)?$/;
const dist = join(packageDir, 'dist');
const src = join(packageDir, 'src');
let pruned = 0;
const walk = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      walk(path);
      continue;
    }
    const compiled = COMPILED.exec(relative(dist, path));
    if (!compiled) continue;
    const stem = join(src, compiled[1]);
    if (existsSync(`${stem}.ts`) || existsSync(`${stem}.tsx`)) continue;
    rmSync(path);
    pruned += 1;
    say(`removed ${relative(packageDir, path)} (its source is gone)`);
  }
};
walk(dist);
if (pruned === 0) say('dist/ has no stale files');

for (const bin of Object.values(
  typeof manifest.bin === 'string' ? { [manifest.name]: manifest.bin } : (manifest.bin ?? {}),
)) {
  chmodSync(join(packageDir, bin), 0o755);
  say(`${bin} is executable`);
}
