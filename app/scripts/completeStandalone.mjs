// After `next build`: make .next/standalone runnable on its own. Next.js leaves out the static assets and
// public/ (meant for a CDN) and knows nothing of our SQL migrations, read at start from the server's folder.
// In this monorepo (outputFileTracingRoot = repository root) the server is at .next/standalone/app/server.js.
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const { DEFAULT_APP_PORT } = createRequire(import.meta.url)('@msk/contract');

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(appDir, '..');
const standalone = join(appDir, '.next', 'standalone');
const serverDir = join(standalone, relative(repoRoot, appDir));

if (!existsSync(join(serverDir, 'server.js'))) {
  console.error(`completeStandalone: no server.js in ${serverDir}; did \`next build\` run with output: 'standalone'?`);
  process.exit(1);
}

// Next.js's server.js listens on 3000 when PORT is unset; the env contract's default for PORT is 8080.
const serverJs = join(serverDir, 'server.js');
const portDefault = /parseInt\(process\.env\.PORT, 10\) \|\| \d+/;
const server = readFileSync(serverJs, 'utf8');
if (!portDefault.test(server)) {
  console.error(
    'completeStandalone: server.js no longer reads PORT as `parseInt(process.env.PORT, 10) || 3000`; update this script',
  );
  process.exit(1);
}
writeFileSync(serverJs, server.replace(portDefault, `parseInt(process.env.PORT, 10) || ${DEFAULT_APP_PORT}`));

function copyFresh(from, to) {
  rmSync(to, { recursive: true, force: true });
  if (existsSync(from)) cpSync(from, to, { recursive: true });
}

copyFresh(join(appDir, '.next', 'static'), join(serverDir, '.next', 'static'));
copyFresh(join(appDir, 'public'), join(serverDir, 'public'));
copyFresh(join(appDir, 'migrations'), join(serverDir, 'migrations'));

const deploymentId = JSON.parse(readFileSync(join(appDir, '.next', 'required-server-files.json'), 'utf8')).config
  .deploymentId;
// Written last: its presence means the folder is complete (the integration tests check it).
writeFileSync(
  join(standalone, 'BUILD.json'),
  JSON.stringify(
    {
      deploymentId,
      buildId: readFileSync(join(appDir, '.next', 'BUILD_ID'), 'utf8').trim(),
      completedAt: new Date().toISOString(),
    },
    null,
    2,
  ) + '\n',
);
console.log(
  `standalone server ready: node ${relative(process.cwd(), join(serverDir, 'server.js'))} (deploymentId ${deploymentId})`,
);
