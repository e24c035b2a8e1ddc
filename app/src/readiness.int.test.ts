/**
 * GET /api/ready of a real node against a stand-in for its sync service (the real one is tested in sync/): the
 * node stays ready when the sync service is down, and refuses traffic when its peers say its secret differs.
 */
import { createServer, type Server } from 'node:http';
import { createTestDatabase, freePort, type TestDatabase } from '@msk/kit/testing';
import { startAppServer, type StartedAppServer } from './testing/appServer';
import { testNodeEnvironment } from './testing/nodeEnvironment';
import { ensureStandaloneBuild } from './testing/standaloneBuild';

// Real processes on a shared 2-core machine; Jest ignores a testTimeout set inside a project, so set it here.
jest.setTimeout(120_000);

const SYNC_ADDRESS = '127.0.1.31';
const PEER = { id: 'fedcba9876543210', name: 'server-2', address: '127.0.1.32:8765' };
const EVERY_CHECK = ['config', 'database', 'migrations', 'sync', 'build', 'topology', 'initialLoad'];

type SyncBehaviour = { status: number; body: unknown } | 'hang';

describe('readiness of a node', () => {
  let database: TestDatabase;
  let node: StartedAppServer;
  let syncService: Server | undefined;
  let behaviour: SyncBehaviour;
  let syncPort: number;

  function startSyncStandIn(): Promise<void> {
    syncService = createServer((request, response) => {
      if (request.url !== '/status') return void response.writeHead(404).end();
      if (behaviour === 'hang') return; // never answers
      response.writeHead(behaviour.status, { 'content-type': 'application/json' }).end(JSON.stringify(behaviour.body));
    });
    return new Promise((resolve) => syncService!.listen(syncPort, SYNC_ADDRESS, resolve));
  }

  function stopSyncStandIn(): Promise<void> {
    const server = syncService;
    syncService = undefined;
    if (!server) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  async function ready(): Promise<{
    status: number;
    body: { status: string; checks: { sync: string }; problems: string[] };
  }> {
    const response = await fetch(`${node.url}/api/ready`);
    return { status: response.status, body: await response.json() };
  }

  beforeAll(async () => {
    const serverJs = await ensureStandaloneBuild();
    database = await createTestDatabase('app_ready');
    const env = await testNodeEnvironment({ address: '127.0.1.30', nodeName: 'ready-node', databaseUrl: database.url });
    env.SYNC_BIND_ADDRESS = SYNC_ADDRESS;
    syncPort = await freePort(SYNC_ADDRESS);
    env.SYNC_SERVICE_PORT = String(syncPort);
    node = await startAppServer({ serverJs, env });
  }, 300_000);

  afterEach(stopSyncStandIn);

  afterAll(async () => {
    await node?.stop();
    await database?.drop();
  });

  it('is ready when its sync service reports that the peers agree', async () => {
    behaviour = {
      status: 200,
      body: { node: { id: 'x' }, peers: [PEER], agreement: { ok: true, oddOneOut: false, mismatches: [] } },
    };
    await startSyncStandIn();
    expect(await ready()).toEqual({
      status: 200,
      body: expect.objectContaining({
        status: 'ready',
        checks: Object.fromEntries(EVERY_CHECK.map((check) => [check, 'ok'])),
        problems: [],
      }),
    });
  });

  it('is not ready when its peers say its NEXTAUTH_SECRET differs, and names the variable and the peers', async () => {
    behaviour = {
      status: 200,
      body: { agreement: { ok: false, oddOneOut: true, mismatches: [{ variable: 'NEXTAUTH_SECRET', peers: [PEER] }] } },
    };
    await startSyncStandIn();
    const { status, body } = await ready();
    expect(status).toBe(503);
    expect(body.status).toBe('not_ready');
    expect(body.checks.sync).toBe('odd-one-out');
    expect(body.problems).toEqual([
      expect.stringMatching(/^NEXTAUTH_SECRET differs from peers server-2 \(fedcba9876543210 at 127\.0\.1\.32:8765\)/),
    ]);
  });

  it('stays ready and says "unreachable" when no sync service answers', async () => {
    const { status, body } = await ready();
    expect(status).toBe(200);
    expect(body.checks.sync).toBe('unreachable');
    expect(body.problems[0]).toContain(`http://${SYNC_ADDRESS}:${syncPort}/status`);
  });

  it('gives up on a sync service that does not answer within 500 ms', async () => {
    behaviour = 'hang';
    await startSyncStandIn();
    const startedAt = Date.now();
    const { status, body } = await ready();
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    expect(status).toBe(200);
    expect(body.problems[0]).toMatch(/no answer within 500 ms/);
  });

  it('treats an answer without a valid agreement as unreachable', async () => {
    behaviour = { status: 200, body: { agreement: { ok: 'maybe' } } };
    await startSyncStandIn();
    const { status, body } = await ready();
    expect(status).toBe(200);
    expect(body.checks.sync).toBe('unreachable');
    expect(body.problems[0]).toMatch(/without a valid "agreement"/);
  });
});
