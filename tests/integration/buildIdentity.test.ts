/**
 * Two real nodes (each: the standalone app built by `next build`, a sync service, its own database) compare the
 * app builds they run. Two separate builds made with the same NEXT_SERVER_ACTIONS_ENCRYPTION_KEY (and the
 * version's deployment ID) are the same build; when node 2's app is replaced by a build made with another key,
 * both nodes say so, node 2 is the odd one out (it started later: two nodes can only break the tie by start time),
 * its readiness fails with the fix, and a metric and a log line say it.
 * The builds are the ones app/src/buildReproducibility.int.test.ts makes (same keys, same cache).
 */
import { createHash } from 'node:crypto';
import { createTestDatabase, freePort, type TestDatabase } from '@msk/kit/testing';
import { startAppServer, type StartedAppServer } from '../../app/src/testing/appServer';
import { newSessionSecret, testNodeEnvironment } from '../../app/src/testing/nodeEnvironment';
import { ensureStandaloneBuild } from '../../app/src/testing/standaloneBuild';
import { ensureSyncBuilt } from '../../sync/src/testing/buildOnce';
import { httpGet, startNode, stopAll, type StartedNode } from '../../sync/src/testing/nodeProcess';
import type { SyncStatus } from '../../sync/src/status/statusModel';

// The same fixed test keys as the reproducibility test, so both reuse one set of builds.
const testKey = (label: string) =>
  createHash('sha256').update(`msk app test server actions key ${label}`).digest('base64');
const SHARED_KEY = testKey('shared');
const OTHER_KEY = testKey('other');
const ADDRESSES = ['127.0.62.2', '127.0.62.3'] as const;
const SYNC_PORT = '8765';
const DETECT_TIMEOUT_MS = 30_000;

interface TestNode {
  readonly name: string;
  readonly env: Record<string, string>;
  app?: StartedAppServer;
  sync?: StartedNode;
}

const buildsOf = (status: SyncStatus) => ({
  mine: status.appBuild.build?.short,
  peer: status.peers[0]?.appBuild?.short,
});

describe('app build identity across two nodes', () => {
  const databases: TestDatabase[] = [];
  const nodes: TestNode[] = [];
  let builds: { first: string; second: string; otherKey: string };

  beforeAll(async () => {
    builds = {
      first: await ensureStandaloneBuild({ serverActionsKey: SHARED_KEY, variant: 'first' }),
      second: await ensureStandaloneBuild({ serverActionsKey: SHARED_KEY, variant: 'second' }),
      otherKey: await ensureStandaloneBuild({ serverActionsKey: OTHER_KEY, variant: 'other-key' }),
    };
    ensureSyncBuilt();
    const nextAuthSecret = newSessionSecret();
    const registrationKey = createHash('sha256').update(`registration ${Date.now()} ${Math.random()}`).digest('hex');
    for (const [i, address] of ADDRESSES.entries()) {
      const database = await createTestDatabase(`build_identity_${i + 1}`);
      databases.push(database);
      const name = `build-node-${i + 1}`;
      const env = {
        ...(await testNodeEnvironment({
          address,
          port: await freePort(address),
          databaseUrl: database.url,
          nodeName: name,
          nextAuthSecret,
          nextAuthUrl: 'http://127.0.62.1:8080',
        })),
        SYNC_REGISTRATION_KEY: registrationKey,
        SYNC_SERVICE_PORT: SYNC_PORT,
        SYNC_PEERS: `${ADDRESSES[1 - i]}:${SYNC_PORT}`,
        SYNC_LOG_LEVEL: 'info',
      };
      nodes.push({ name, env });
    }
    const [one, two] = nodes as [TestNode, TestNode];
    // Apps first (the sync service asks its app at start), node 1 entirely before node 2.
    one.app = await startAppServer({ serverJs: builds.first, env: one.env, waitFor: 'health' });
    one.sync = await startNode({ env: one.env, label: one.name });
    two.app = await startAppServer({ serverJs: builds.second, env: two.env, waitFor: 'health' });
    two.sync = await startNode({ env: two.env, label: two.name });
  }, 900_000);

  afterAll(async () => {
    await stopAll(nodes.map((n) => n.sync));
    await Promise.all(nodes.map((n) => n.app?.stop()));
    await Promise.all(databases.map((d) => d.drop()));
  });

  it('two separate builds made with the same Server Actions key and deployment ID count as one build', async () => {
    const [one, two] = nodes as [TestNode, TestNode];
    const bothKnown = (s: SyncStatus) =>
      s.peersConnected === 1 && s.appBuild.build !== null && s.peers[0]?.appBuild != null;
    const status1 = await one.sync!.waitForStatus('both builds known', bothKnown, DETECT_TIMEOUT_MS);
    const status2 = await two.sync!.waitForStatus('both builds known', bothKnown, DETECT_TIMEOUT_MS);
    expect(status1.appBuild.build?.deploymentId).toBe('msk-app-0-1-0');
    expect(buildsOf(status1).mine).toBe(buildsOf(status1).peer);
    expect(buildsOf(status2)).toEqual({ mine: buildsOf(status1).mine, peer: buildsOf(status1).mine });
    for (const status of [status1, status2]) {
      expect(status.agreement).toEqual({ ok: true, oddOneOut: false, mismatches: [] });
      expect(status.ready).toEqual({ ok: true, reasons: [] });
    }
    // The key check value never leaves the node: not in the app's answer to a peer, not in the status.
    const check = await httpGet(`${one.app!.url}/api/build`);
    const { serverActionsKeyCheck } = JSON.parse(check.body) as { serverActionsKeyCheck: string };
    expect(serverActionsKeyCheck).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(status2)).not.toContain(serverActionsKeyCheck);
    expect(JSON.stringify(status2)).not.toContain(SHARED_KEY);
  });

  it('the app answers its build only to a process on its own machine talking to it directly', async () => {
    const one = nodes[0] as TestNode;
    const proxied = await httpGet(`${one.app!.url}/api/build`, 2_000, { 'x-forwarded-for': '203.0.113.9' });
    expect(proxied.status).toBe(404);
  });

  it('a node whose app is replaced by a build with another key is the odd one out: status names both builds, readiness fails with the fix, a metric and a log say so', async () => {
    const [one, two] = nodes as [TestNode, TestNode];
    const sameBuild = buildsOf(await one.sync!.status()).mine as string;
    await two.app!.stop();
    two.app = await startAppServer({ serverJs: builds.otherKey, env: two.env, waitFor: 'health' });

    const differs = (s: SyncStatus) => s.agreement.mismatches.some((m) => m.variable === 'APP_BUILD');
    const status2 = await two.sync!.waitForStatus('the build mismatch', differs, DETECT_TIMEOUT_MS);
    const status1 = await one.sync!.waitForStatus('the build mismatch', differs, DETECT_TIMEOUT_MS);
    const otherBuild = buildsOf(status2).mine as string;
    expect(otherBuild).not.toBe(sameBuild);
    // Same Next.js build ID (the deployment ID pins it), another Server Actions key.
    expect(otherBuild.split(',')[0]).toBe(sameBuild.split(',')[0]);

    const mismatch2 = status2.agreement.mismatches.find((m) => m.variable === 'APP_BUILD');
    expect(status2.agreement.oddOneOut).toBe(true);
    expect(mismatch2?.peers.map((p) => p.name)).toEqual([one.name]);
    expect(mismatch2?.detail).toContain(`this node runs ${otherBuild}, ${one.name} runs ${sameBuild}`);
    expect(status2.ready.ok).toBe(false);
    expect(status2.ready.reasons.join('\n')).toContain('build once, run the same image');

    const mismatch1 = status1.agreement.mismatches.find((m) => m.variable === 'APP_BUILD');
    expect(status1.agreement.oddOneOut).toBe(false);
    expect(mismatch1?.peers.map((p) => p.name)).toEqual([two.name]);
    expect(mismatch1?.detail).toContain(`${two.name} is the odd one out (readiness fails there)`);
    expect(mismatch1?.detail).toContain(`this node runs ${sameBuild}, ${two.name} runs ${otherBuild}`);
    expect(status1.ready.ok).toBe(true);

    expect((await two.sync!.get('/ready')).status).toBe(503);
    expect((await one.sync!.get('/ready')).status).toBe(200);
    const appReady = async (node: TestNode) => {
      const answer = await httpGet(`${node.app!.url}/api/ready`);
      return {
        status: answer.status,
        body: JSON.parse(answer.body) as { checks: { build: string }; problems: string[] },
      };
    };
    const ready2 = await appReady(two);
    expect(ready2.status).toBe(503);
    expect(ready2.body.checks.build).toBe('odd-one-out');
    expect(ready2.body.problems.join('\n')).toContain('build once, run the same image');
    const proxiedReady2 = await httpGet(`${two.app!.url}/api/ready`, 2_000, { 'x-forwarded-for': '203.0.113.9' });
    expect(JSON.parse(proxiedReady2.body)).toEqual({ status: 'not_ready', reason: 'build_differs_from_peers' });
    expect((await appReady(one)).status).toBe(200);

    for (const node of [one, two])
      expect((await node.sync!.get('/metrics')).body).toMatch(/^msk_sync_app_build_agreement_ok 0$/m);
    expect(
      two
        .sync!.logRecords()
        .some(
          (r) =>
            r.level === 40 && String(r.msg).includes('the app build differs') && String(r.msg).includes(otherBuild),
        ),
    ).toBe(true);
  });
});
