/**
 * Integration tests run the compiled service (`sync/dist`), so each test file builds first (in beforeAll): the test
 * project, which builds the production project it references and the test support some tests run as processes
 * (testing/nsHttpGet.js). `tsc -b` is incremental; the lock serializes builds of parallel Jest workers.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const SYNC_MAIN = path.join(REPO_ROOT, 'sync/dist/cli/main.js');
export const DISCOVERY_AGENT = path.join(REPO_ROOT, 'sync/dist/discovery/discoveryAgent.js');
export const BUILD_TIMEOUT_MS = 180_000;

let built = false;

/** Set MSK_SYNC_PREBUILT=1 when the caller has just built (e.g. CI ran `npm run build:ts`) to skip the build. */
export function ensureSyncBuilt(): void {
  if (built || process.env.MSK_SYNC_PREBUILT === '1') return;
  try {
    execFileSync('flock', ['/tmp/msk-sync-build.lock', 'npx', 'tsc', '-b', 'sync/tsconfig.test.json'], {
      cwd: REPO_ROOT,
      stdio: 'pipe',
      timeout: BUILD_TIMEOUT_MS,
    });
  } catch (error) {
    const e = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(
      `npx tsc -b sync/tsconfig.test.json failed:\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`,
    );
  }
  built = true;
}
