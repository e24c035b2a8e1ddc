/**
 * A team's own app has none of the kit's endpoints: GET /api/build answers 404 (or its sign-in gate redirects).
 * Two real sync services on 127.0.34.1-2, each beside a real HTTP "app" on loopback, each on a real database:
 * the nodes connect and stay ready, status says the app does not report its build (so the build-once check can't
 * run) without listing a Problem. An app that answers 200 with a malformed body is still refused.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestDatabase, createTestDatabase } from '@msk/replication/testing';
import { until } from '@msk/replication/testing';
import { formatStatus } from '../status/statusTable';
import { loopbackSharedEnv, nodeEnv } from '@msk/contract/testing';
import type { StartedSyncService } from './syncService';
import { startTestService } from '../testing/testService';

jest.setTimeout(60_000);

const IPS = ['127.0.34.1', '127.0.34.2'];

/** An "app" that answers every path the same way. */
async function startApp(ip: string, answer: { status: number; body: string; location?: string }): Promise<Server> {
  const server = createServer((_request, response) => {
    response.writeHead(answer.status, {
      'content-type': 'application/json',
      ...(answer.location ? { location: answer.location } : {}),
    });
    response.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, ip, resolve));
  return server;
}

let databases: TestDatabase[] = [];
const apps: Server[] = [];
const services: StartedSyncService[] = [];

async function startNode(index: number, app: Server, databaseUrl: string): Promise<StartedSyncService> {
  const ip = IPS[index] as string;
  const env = nodeEnv(
    newSharedEnvOnce(),
    { name: `their-node-${index + 1}`, ip, peers: IPS.filter((other) => other !== ip).map((other) => `${other}:8765`) },
    {
      DATABASE_URL: databaseUrl,
      SYNC_HTTP_PORT: String((app.address() as AddressInfo).port),
      PORT: String((app.address() as AddressInfo).port),
    },
  );
  const service = await startTestService(env);
  services.push(service);
  return service;
}

let sharedEnv: Record<string, string> | undefined;
const newSharedEnvOnce = () => (sharedEnv ??= loopbackSharedEnv({ SYNC_LOG_LEVEL: 'silent', SYNC_TLS: 'off' }));

beforeAll(async () => {
  databases = [await createTestDatabase('no_build_a'), await createTestDatabase('no_build_b')];
  apps.push(await startApp(IPS[0] as string, { status: 404, body: '{"error":"not found"}' }));
  // the other app keeps everything behind its sign-in page, as NextAuth middleware does
  apps.push(
    await startApp(IPS[1] as string, {
      status: 307,
      body: '',
      location: '/api/auth/signin?callbackUrl=%2Fapi%2Fbuild',
    }),
  );
  for (const [index, app] of apps.entries()) await startNode(index, app, databases[index]!.url);
});

afterAll(async () => {
  await Promise.all(services.map((service) => service.stop()));
  for (const app of apps) await new Promise((resolve) => app.close(resolve));
  for (const database of databases) await database.drop();
});

describe("an app without the kit's build endpoint", () => {
  it('leaves the nodes ready and connected, and status says the app does not report its build, without a Problem', async () => {
    await until(
      () =>
        services.every(
          (service) => service.status().peersConnected === 1 && service.status().appBuild.reported === false,
        ),
      20_000,
      50,
    );
    for (const service of services) {
      const status = service.status();
      expect(status.ready).toEqual({ ok: true, reasons: [] });
      expect(status.appBuild).toMatchObject({ build: null, reported: false, lastError: null });
      expect(status.agreement.ok).toBe(true);
      const table = formatStatus(status);
      expect(table).toMatch(
        /App build: not reported by the app \(http:\/\/127\.0\.34\.\d:\d+\/api\/build has no build endpoint\), so the build-once check cannot run/,
      );
      expect(table).not.toContain('Problems:');
    }
    const ready = await fetch(`http://${IPS[0]}:${services[0]!.port}/ready`);
    expect(ready.status).toBe(200);
  });

  it('still refuses an app that answers a malformed build document', async () => {
    const [database] = [await createTestDatabase('no_build_c')];
    databases.push(database);
    const app = await startApp('127.0.34.3', { status: 200, body: '{"buildId":42}' });
    apps.push(app);
    IPS.push('127.0.34.3');
    const service = await startNode(2, app, database.url);
    await until(() => service.status().appBuild.lastError !== null, 20_000, 50);
    expect(service.status().appBuild).toMatchObject({
      build: null,
      reported: null,
      lastError: expect.stringMatching(/answered an unexpected build document/),
    });
    expect(formatStatus(service.status())).toMatch(
      /App build: unknown, not compared with peers \(GET .* answered an unexpected build document/,
    );
  });
});
