// After `next build`: Next.js leaves the static assets, public/ and (of course) our SQL migrations out of
// .next/standalone. Copy them beside server.js, so that folder runs on its own (the image copies only it).
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(appDir, '..', '..');
const serverDir = join(appDir, '.next', 'standalone', relative(repoRoot, appDir));

if (!existsSync(join(serverDir, 'server.js'))) {
  console.error(`completeStandalone: no server.js in ${serverDir}; did next build run with output: 'standalone'?`);
  process.exit(1);
}
for (const [from, to] of [
  [join(appDir, '.next', 'static'), join(serverDir, '.next', 'static')],
  [join(appDir, 'public'), join(serverDir, 'public')],
  [join(appDir, 'migrations'), join(serverDir, 'migrations')],
]) {
  rmSync(to, { recursive: true, force: true });
  if (existsSync(from)) cpSync(from, to, { recursive: true });
}
console.log(`field-desk: standalone server ready: node ${relative(process.cwd(), join(serverDir, 'server.js'))}`);
