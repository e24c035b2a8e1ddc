/**
 * compose/docker-compose.yml brought up for real (Testcontainers' DockerComposeEnvironment over Debian's
 * docker-compose v1) with the files `npm run init` writes: both nodes come up healthy, a login on one node is a
 * login on the other and through the entry point, and the sync services connect.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { DockerComposeEnvironment, type StartedDockerComposeEnvironment, type StartedTestContainer } from 'testcontainers';
import { sessionAt, signIn } from '../support/sessionClient';
import { type DeployFolder, composeVariables, initDeployFolder } from './support/composeProject';
import { ADMIN, COMPOSE_DIR, SERVICE_STATUS_COMMAND, containerHostAddress } from './support/containerSettings';
import { eventually } from '../support/eventually';
import { freePort } from './support/freePort';

const PROJECT = `msk-compose-${process.pid}`;
const SERVICES = ['node-1', 'postgres-1', 'app-1', 'sync-1', 'node-2', 'postgres-2', 'app-2', 'sync-2', 'entry-point'];

describe('compose/docker-compose.yml with the configuration npm run init writes', () => {
  let deploy: DeployFolder;
  let environment: StartedDockerComposeEnvironment;
  let entryUrl: string;
  /** docker-compose v1 names containers <project>_<service>_1. */
  const container = (service: string): StartedTestContainer => environment.getContainer(`${PROJECT}_${service}_1`);
  const nodeUrl = (n: number) => {
    const holder = container(`node-${n}`);
    return `http://${holder.getHost()}:${holder.getMappedPort(8080)}`;
  };

  beforeAll(async () => {
    const address = containerHostAddress();
    const entryPort = await freePort(address);
    entryUrl = `http://${address}:${entryPort}`;
    deploy = initDeployFolder({ publicUrl: entryUrl, withAdmin: true });
    environment = await new DockerComposeEnvironment(COMPOSE_DIR, ['docker-compose.yml', join(__dirname, 'fixtures', 'compose.publish-nodes.yml')])
      .withProjectName(PROJECT)
      .withClientOptions({ executable: { standalone: true, executablePath: 'docker-compose' } })
      .withEnvironment(
        composeVariables(deploy.dir, { ENTRY_POINT_PUBLISH: `${address}:${entryPort}`, NODE_PUBLISH_ADDRESS: address }),
      )
      .up();
  });
  afterAll(async () => {
    await environment?.down();
    deploy?.remove();
  });

  it('runs every service of both nodes and the entry point, each healthy where it has a health check', async () => {
    for (const service of SERVICES) expect(container(service).getName()).toBe(`${PROJECT}_${service}_1`);
    const withHealthCheck = SERVICES.filter((service) => !service.startsWith('node-'));
    const health = await eventually(
      async () => {
        const states = Object.fromEntries(withHealthCheck.map((service) => [service, healthOf(`${PROJECT}_${service}_1`)]));
        if (Object.values(states).some((state) => state !== 'healthy')) throw new Error(JSON.stringify(states));
        return states;
      },
      { what: 'every compose service with a health check healthy', timeoutMs: 60_000 },
    );
    expect(Object.keys(health).sort()).toEqual([...withHealthCheck].sort());
  });

  it('accepts a login made on node 1 as a valid session on node 2 and through the entry point', async () => {
    const session = await signIn(nodeUrl(1), ADMIN.email, ADMIN.password);
    expect((await sessionAt(nodeUrl(2), session)).user?.email).toBe(ADMIN.email);
    expect((await sessionAt(entryUrl, session)).user?.email).toBe(ADMIN.email);
    const viaEntry = await signIn(entryUrl, ADMIN.email, ADMIN.password);
    for (const n of [1, 2]) expect((await sessionAt(nodeUrl(n), viaEntry)).user?.email).toBe(ADMIN.email);
  });

  it('shows "Peers Connected: 1" in service:status inside each sync container', async () => {
    for (const service of ['sync-1', 'sync-2']) {
      await eventually(
        async () => {
          const { exitCode, output } = await container(service).exec(SERVICE_STATUS_COMMAND);
          if (exitCode !== 0 || !output.includes('Peers Connected: 1')) throw new Error(output);
        },
        { what: `service:status in ${service} showing "Peers Connected: 1"`, timeoutMs: 30_000 },
      );
    }
  });
});

function healthOf(containerName: string): string {
  return execFileSync('docker', ['inspect', '--format', '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}', containerName], {
    encoding: 'utf8',
  }).trim();
}
