/**
 * Build configuration. Read once by `next build` and serialized into the standalone server: nothing here may
 * depend on a node's runtime environment (the build machine has no secrets).
 *
 * Reproducible builds across nodes: two separate builds of the same version must accept each other's pages and
 * Server Actions behind one load balancer. That needs
 *   - the same `deploymentId` (it also pins the build ID): NEXT_DEPLOYMENT_ID when set (Next.js reads it itself),
 *     otherwise derived from this package's version, so it is constant per version;
 *   - the same NEXT_SERVER_ACTIONS_ENCRYPTION_KEY at build time (Next.js reads it itself; it salts the action IDs
 *     and encrypts closed-over values). Without it every build draws a random key.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NextConfig } from 'next';
import { buildTimeProblems, deploymentIdForVersion } from './src/server/build/buildSettings';

const appDir = __dirname;
const repoRoot = join(appDir, '..');
const { version } = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as { version: string };

const report = buildTimeProblems(process.env);
for (const line of report.warnings) process.stderr.write(`warning: ${line}\n`);
if (report.errors.length > 0) {
  throw new Error(`The app build refuses to start:\n${report.errors.map((line) => `  error: ${line}`).join('\n')}`);
}

const nextConfig: NextConfig = {
  output: 'standalone',
  // The app imports @msk/contract and @msk/kit from the workspace: trace from the repository root so the standalone folder has them.
  outputFileTracingRoot: repoRoot,
  turbopack: { root: repoRoot },
  deploymentId: deploymentIdForVersion(version),
  poweredByHeader: false,
  reactStrictMode: true,
  // `npm run typecheck` (tsc --noEmit -p app) is the type check; not repeating it here keeps builds shorter.
  typescript: { ignoreBuildErrors: true },
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'X-Frame-Options', value: 'DENY' },
          { key: 'Referrer-Policy', value: 'same-origin' },
        ],
      },
    ];
  },
};

export default nextConfig;
