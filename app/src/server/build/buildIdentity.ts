/**
 * Which build this app process runs, for its sync service to compare with the peers' (GET /api/build, loopback
 * only): the Next.js build ID, the deployment ID and a key check value of the Server Actions key the build was
 * made with. The check value is HMAC-SHA-256 keyed with that key over a fixed label: equal keys give equal values,
 * and it reveals nothing about the key (a 128-256-bit random value). The sync service keys it again with the
 * cluster's fingerprint key before it leaves the node.
 *
 * Read from the build output beside the server (the standalone server runs in its own folder; `next start` in
 * app/): `.next/BUILD_ID`, `.next/required-server-files.json` and `.next/server/server-reference-manifest.json`,
 * whose `encryptionKey` is the key the action IDs were derived from at build time (NEXT_SERVER_ACTIONS_ENCRYPTION_KEY
 * then, or a key Next.js drew for this build).
 */
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { forgetProcessSingleton, processSingleton } from '../processSingleton';

export const KEY_CHECK_LABEL = 'msk server actions key check v1';

export interface AppBuildReport {
  readonly buildId: string;
  readonly deploymentId: string | null;
  readonly serverActionsKeyCheck: string;
}

export function serverActionsKeyCheck(keyBase64: string): string {
  return createHmac('sha256', Buffer.from(keyBase64, 'base64')).update(KEY_CHECK_LABEL, 'utf8').digest('hex');
}

/** Pure: the report from the three files' contents. Throws with the file at fault. */
export function appBuildReport(files: {
  buildId: string;
  requiredServerFiles: string;
  serverReferenceManifest: string;
}): AppBuildReport {
  const buildId = files.buildId.trim();
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(buildId)) throw new Error('.next/BUILD_ID is not a build ID');
  const deploymentId = (JSON.parse(files.requiredServerFiles) as { config?: { deploymentId?: unknown } }).config
    ?.deploymentId;
  const key = (JSON.parse(files.serverReferenceManifest) as { encryptionKey?: unknown }).encryptionKey;
  if (typeof key !== 'string' || key === '')
    throw new Error('.next/server/server-reference-manifest.json has no encryptionKey');
  return {
    buildId,
    deploymentId: typeof deploymentId === 'string' && deploymentId !== '' ? deploymentId : null,
    serverActionsKeyCheck: serverActionsKeyCheck(key),
  };
}

const REPORT_KEY = 'msk.app.buildReport';

/** The running build's report, read once per process (the files do not change under a running server). */
export function currentAppBuild(dir = process.cwd()): Promise<AppBuildReport> {
  const report = processSingleton(REPORT_KEY, async () => {
    const read = (path: string) => readFile(join(dir, '.next', path), 'utf8');
    return appBuildReport({
      buildId: await read('BUILD_ID'),
      requiredServerFiles: await read('required-server-files.json'),
      serverReferenceManifest: await read(join('server', 'server-reference-manifest.json')),
    });
  });
  report.catch(() => forgetProcessSingleton(REPORT_KEY)); // a failed read is tried again next time
  return report;
}
