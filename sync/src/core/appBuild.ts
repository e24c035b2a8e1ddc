/**
 * The build identity of the app beside this sync service, compared between peers like the shared variables.
 *
 * Two nodes running separately made builds fail each other's Server Actions (HTTP 409 "Failed to find Server
 * Action") and static paths, and nothing else says why. The app tells its own sync service (over loopback,
 * GET /api/build) its Next.js build ID, its deployment ID and a key check value of its Server Actions key
 * (HMAC-SHA-256 keyed with that key over a fixed label: it proves which key without revealing it). The sync service
 * keys that check value again with the cluster's fingerprint key before it leaves the node, so only cluster
 * members can compare it. Pure: no I/O.
 */
import { z } from 'zod';
import { type ClusterKeys, macHex } from './clusterKeys';

/** How the build appears in agreement mismatches, beside the contract's variable names. */
export const APP_BUILD_VARIABLE = 'APP_BUILD';
export const APP_BUILD_FIX = 'build once, run the same image (or the same built folder) everywhere';
export const APP_BUILD_DOCS = 'docs/images.md';

/** Next.js build and deployment IDs are short tokens; anything else is not what an app of ours answers. */
const buildTokenSchema = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be 1-128 letters, digits, ".", "_" or "-"');

/** What the app answers on GET /api/build (loopback only). Untrusted until parsed. */
export const appBuildReportSchema = z.strictObject({
  buildId: buildTokenSchema,
  deploymentId: buildTokenSchema.nullable(),
  /** HMAC-SHA-256 keyed with the Server Actions key over a fixed label (app/src/server/build/buildIdentity.ts), hex. */
  serverActionsKeyCheck: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters'),
});
export type AppBuildReport = z.output<typeof appBuildReportSchema>;

/** What peers exchange: the build and deployment IDs in clear (they are public), the key only as a keyed fingerprint. */
export const appBuildIdentitySchema = z.strictObject({
  buildId: buildTokenSchema,
  deploymentId: buildTokenSchema.nullable(),
  serverActionsKeyFingerprint: z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex characters'),
});
export type AppBuildIdentity = z.output<typeof appBuildIdentitySchema>;

export function appBuildIdentity(report: AppBuildReport, keys: ClusterKeys): AppBuildIdentity {
  return {
    buildId: report.buildId,
    deploymentId: report.deploymentId,
    serverActionsKeyFingerprint: macHex(keys['config-fingerprint'], [
      'app build',
      'server actions key',
      report.serverActionsKeyCheck,
    ]).slice(0, 32),
  };
}

/** The same build: same build ID and the same Server Actions key. */
export function sameAppBuild(a: AppBuildIdentity, b: AppBuildIdentity): boolean {
  return a.buildId === b.buildId && a.serverActionsKeyFingerprint === b.serverActionsKeyFingerprint;
}

/** Whether two nodes agree on the build. A node whose app has not answered yet is not compared (unknown ≠ different). */
export function appBuildsAgree(
  a: AppBuildIdentity | null | undefined,
  b: AppBuildIdentity | null | undefined,
): boolean {
  if (!a || !b) return true;
  return sameAppBuild(a, b);
}

/** A short, readable name of a build for status lines: "build-TfctsWXpff2fKS, key 3fa2c1d0". */
export function shortAppBuild(build: AppBuildIdentity): string {
  return `${build.buildId}, key ${build.serverActionsKeyFingerprint.slice(0, 8)}`;
}

/** What differs between this node's build and the others', in one sentence, with the fix. */
export function appBuildDifference(
  mine: AppBuildIdentity,
  others: readonly { name: string; build: AppBuildIdentity }[],
): string {
  const what = others.some((o) => o.build.buildId !== mine.buildId) ? 'build ID' : 'Server Actions key';
  const theirs = others.map((o) => `${o.name} runs ${shortAppBuild(o.build)}`).join(', ');
  return (
    `the app builds differ (${what}): this node runs ${shortAppBuild(mine)}, ${theirs}; Server Actions posted to another ` +
    `build fail with HTTP 409 "Failed to find Server Action". Fix: ${APP_BUILD_FIX} (${APP_BUILD_DOCS})`
  );
}
