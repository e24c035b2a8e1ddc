// Stages the build context of the `prebuilt` targets of app/Dockerfile and sync/Dockerfile from what was built
// on the host (CI machines: containers there cannot reach the npm registry, see .ci/containers/README.md).
//
//   node .ci/containers/stage-build-context.mjs <out-dir>
//
//   <out-dir>/app-standalone/   app/.next/standalone (the completed Next.js standalone server)
//   <out-dir>/sync-runtime/     contract/, kit/, replication/ and sync/ (package.json + the compiled JavaScript of their production build),
//                               node_modules/ with the sync workspace's production packages, the same set
//                               `npm ci --omit=dev --omit=optional -w sync` installs in the image users build,
//                               without type declarations and source maps
//
// The host's dist/ folders also hold the compiled tests, test support and benches (tsconfig.test.json of each
// workspace); only the outputs of the production project (tsconfig.json, which excludes them) are staged: the
// same files `tsc -b sync` emits in the image users build.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = process.argv[2];
if (!out) {
  console.error('usage: node .ci/containers/stage-build-context.mjs <out-dir>');
  process.exit(2);
}

function fail(message) {
  console.error(`stage-build-context: ${message}`);
  process.exit(1);
}

const standalone = join(repo, 'app', '.next', 'standalone');
if (!existsSync(join(standalone, 'BUILD.json'))) {
  fail(`${relative(repo, standalone)} is missing or incomplete: build the app first (npm run build)`);
}
for (const built of ['contract/dist/index.js', 'replication/dist/index.js', 'sync/dist/cli/main.js']) {
  if (!existsSync(join(repo, built))) fail(`${built} is missing: compile first (npm run build:ts)`);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// verbatimSymlinks: app/.next/node_modules holds relative links into ../../../node_modules; keep them as they are.
cpSync(standalone, join(out, 'app-standalone'), { recursive: true, verbatimSymlinks: true });

// The sources the production project of a workspace compiles (its tsconfig.json's include minus exclude), read
// with TypeScript's own config parser.
const ts = createRequire(import.meta.url)('typescript');
function productionSources(workspace) {
  const configPath = join(repo, workspace, 'tsconfig.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) =>
        fail(`${configPath}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`),
    },
  );
  if (parsed.errors.length > 0)
    fail(`${configPath}: ${ts.flattenDiagnosticMessageText(parsed.errors[0].messageText, ' ')}`);
  return { sources: parsed.fileNames, rootDir: parsed.options.rootDir, outDir: parsed.options.outDir };
}

const syncRuntime = join(out, 'sync-runtime');
let compiledFiles = 0;
for (const workspace of ['contract', 'kit', 'replication', 'sync']) {
  cpSync(join(repo, workspace, 'package.json'), join(syncRuntime, workspace, 'package.json'));
  const { sources, rootDir, outDir } = productionSources(workspace);
  for (const source of sources) {
    if (source.endsWith('.d.ts')) continue;
    const output = join(outDir, relative(rootDir, source)).replace(/\.tsx?$/, '.js');
    if (!existsSync(output)) fail(`${relative(repo, output)} is missing: compile first (npm run build:ts)`);
    const target = join(syncRuntime, workspace, 'dist', relative(outDir, output));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(output, target);
    compiledFiles++;
  }
}

// The installed packages the sync workspace needs at run time, as npm resolves them; minus the optional ones,
// as --omit=optional does in the user's image build (npm ls has no such filter: the lock file says which).
const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')).packages;
const listed = execFileSync('npm', ['ls', '--workspace', 'sync', '--omit=dev', '--all', '--parseable'], {
  cwd: repo,
  encoding: 'utf8',
  maxBuffer: 16 * 1024 * 1024,
})
  .trim()
  .split('\n')
  .map((path) => relative(repo, path).split(sep).join('/'))
  .filter((path) => path.startsWith('node_modules/') && !path.startsWith('node_modules/@msk/'))
  .filter((path) => !lock[path]?.optional)
  .sort();

// The same files sync/Dockerfile deletes after its npm ci: type declarations and source maps.
const notRun = /\.(d\.[cm]?ts|[cm]?js\.map)$/;
let copied = 0;
let previous;
for (const path of listed) {
  if (previous && path.startsWith(`${previous}/`)) continue; // nested in a package already copied
  cpSync(join(repo, path), join(syncRuntime, path), {
    recursive: true,
    verbatimSymlinks: true,
    filter: (source) => !notRun.test(source),
  });
  previous = path;
  copied++;
}
// npm links workspace packages; the image keeps the same layout (/app/node_modules/@msk/kit -> /app/kit).
mkdirSync(join(syncRuntime, 'node_modules', '@msk'), { recursive: true });
symlinkSync('../../contract', join(syncRuntime, 'node_modules', '@msk', 'contract'));
symlinkSync('../../kit', join(syncRuntime, 'node_modules', '@msk', 'kit'));
symlinkSync('../../replication', join(syncRuntime, 'node_modules', '@msk', 'replication'));
symlinkSync('../../sync', join(syncRuntime, 'node_modules', '@msk', 'sync'));

console.log(`staged ${out}: app-standalone/, sync-runtime/ (${compiledFiles} compiled files, ${copied} packages)`);
