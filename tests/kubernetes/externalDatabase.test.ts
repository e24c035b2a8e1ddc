/**
 * The chart with externalDatabase.* on the real cluster: a PostgreSQL StatefulSet (the PostgreSQL 17 image the
 * other Kubernetes tests use, the kit's roles made by its initdb script) stands in for the external database, and
 * the release is installed with docs/helm.md's command. Every pod is Ready with only the app and sync containers,
 * every sync service says the database is shared with `Peers Connected: replicas-1`, one login is a session on
 * every pod, a business written through pod 0 is read through pod 1 at once, and the first admin exists once;
 * `helm upgrade` that unsets externalDatabase.host is refused by name.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { databaseRolesInitdbScript } from '@msk/kit/postgres';
import { PGDATA, POSTGRES_COMMAND, POSTGRES_DATA_PATH, POSTGRES_DB, POSTGRES_INITDB_ARGS, POSTGRES_PORT } from '../../cdk8s/src/nodeStatefulSet';
import { docsCommands } from '../support/docsCommands';
import { eventually } from '../support/eventually';
import { helm } from './support/kubectl';
import { runDocs } from './support/runDocs';
import { Installation } from './support/installation';
import { ADMIN, businessIds, createBusiness, sessionAt, signInAsAdmin } from './support/platformApi';
import { REPO_ROOT, initSecret, postgresImage, restrictedNamespaceYaml, type TestSecret } from './support/testManifests';

const NAMESPACE = 'msk-external-db';
const RELEASE = 'shared';
const REPLICAS = 3;
const DATABASE = 'db';
const DATABASE_HOST = `${DATABASE}-rw.${NAMESPACE}.svc.cluster.local`;
const SHARED_SECRET = 'multi-server-kit-shared';
const READY_TIMEOUT_MS = 900_000;
const PEERS_TIMEOUT_MS = 180_000;

/** The stand-in for the external database: one PostgreSQL pod, its data on a claim, a read-write Service in front. */
function databaseYaml(): string {
  const labels = { 'app.kubernetes.io/name': 'external-postgres' };
  const emptyDir = (name: string) => ({ name, emptyDir: {} });
  const secretEnv = (name: string) => ({ name, valueFrom: { secretKeyRef: { name: SHARED_SECRET, key: name } } });
  const isReady = ['pg_isready', '-h', '127.0.0.1', '-U', 'msk_app', '-d', POSTGRES_DB];
  const objects = [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${DATABASE}-initdb` }, data: { '10-msk-roles.sh': databaseRolesInitdbScript() } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: DATABASE },
      spec: { clusterIP: 'None', selector: labels, ports: [{ name: 'postgres', port: POSTGRES_PORT }] },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: `${DATABASE}-rw` }, spec: { selector: labels, ports: [{ name: 'postgres', port: POSTGRES_PORT }] } },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: DATABASE },
      spec: {
        serviceName: DATABASE,
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            securityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'postgres',
                image: postgresImage(),
                imagePullPolicy: 'IfNotPresent',
                command: POSTGRES_COMMAND,
                ports: [{ name: 'postgres', containerPort: POSTGRES_PORT }],
                env: [
                  { name: 'POSTGRES_USER', value: 'postgres' },
                  { name: 'POSTGRES_DB', value: POSTGRES_DB },
                  { name: 'POSTGRES_INITDB_ARGS', value: POSTGRES_INITDB_ARGS },
                  { name: 'POSTGRES_HOST_AUTH_METHOD', value: 'scram-sha-256' },
                  { name: 'PGDATA', value: PGDATA },
                  secretEnv('DATABASE_PASSWORD'),
                  secretEnv('SYNC_DATABASE_PASSWORD'),
                ],
                readinessProbe: { exec: { command: isReady }, periodSeconds: 3, failureThreshold: 3 },
                resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1000m', memory: '1024Mi' } },
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
                volumeMounts: [
                  { name: 'data', mountPath: POSTGRES_DATA_PATH },
                  { name: 'initdb', mountPath: '/docker-entrypoint-initdb.d', readOnly: true },
                  { name: 'run', mountPath: '/var/run/postgresql' },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [{ name: 'initdb', configMap: { name: `${DATABASE}-initdb`, defaultMode: 0o555 } }, emptyDir('run'), emptyDir('tmp')],
          },
        },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
    },
  ];
  return objects.map((object) => stringify(object)).join('---\n');
}


describe('the chart with externalDatabase.* on a real cluster, a PostgreSQL StatefulSet standing in for the external database', () => {
  const tool = helm();
  const installation = new Installation(NAMESPACE, `${RELEASE}-multi-server-kit`, RELEASE, ['app', 'sync']);
  const kubectl = installation.kubectl;
  let work: string;
  let secret: TestSecret | undefined;
  let variables: Record<string, string>;

  const superuserQuery = async (sql: string): Promise<string> =>
    (await kubectl.ok(['-n', NAMESPACE, 'exec', `${DATABASE}-0`, '-c', 'postgres', '--', 'psql', '-d', POSTGRES_DB, '-Atc', sql])).trim();

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'msk-external-db-'));
    await kubectl.ok(['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=true', '--timeout=300s']);
    await kubectl.ok(['apply', '-f', '-'], restrictedNamespaceYaml(NAMESPACE));
    secret = initSecret('http://platform.example.com');
    await kubectl.ok(['apply', '-n', NAMESPACE, '-f', '-'], secret.withAdminYaml);
    await kubectl.ok(['apply', '-n', NAMESPACE, '-f', '-'], databaseYaml());
    await kubectl.ok(['-n', NAMESPACE, 'rollout', 'status', `statefulset/${DATABASE}`, '--timeout=300s']);
    const small = (memory: string) => ({ requests: { cpu: '50m', memory }, limits: { cpu: '1000m', memory: '1024Mi' } });
    const values = join(work, 'my-values.yaml');
    writeFileSync(
      values,
      stringify({ existingSecret: SHARED_SECRET, replicaCount: REPLICAS, ingress: { hosts: [{ host: 'platform.example.com' }] }, resources: { app: small('256Mi'), sync: small('128Mi') } }),
    );
    variables = { RELEASE, NAMESPACE, VALUES: values, DATABASE_HOST };
    await runDocs(docsCommands('docs/helm.md', 'helm-external-database'), variables).catch(async (error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${await installation.diagnostics()}`);
    });
  });

  afterAll(async () => {
    await tool.attempt(['uninstall', RELEASE, '-n', NAMESPACE, '--wait']);
    await kubectl.attempt(['delete', 'namespace', NAMESPACE, '--wait=true', '--timeout=300s']);
    secret?.deploy.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it(`runs ${REPLICAS} Ready pods of the app and sync containers only, no claim of their own, DATABASE_TOPOLOGY=shared`, async () => {
    const pods = await installation.waitReady(REPLICAS, READY_TIMEOUT_MS);
    for (const pod of pods) expect({ pod: pod.name, containers: [...pod.containers.keys()].sort() }).toEqual({ pod: pod.name, containers: ['app', 'sync'] });
    const claims = await kubectl.json<{ items: { metadata: { name: string } }[] }>(['-n', NAMESPACE, 'get', 'pvc']);
    expect(claims.items.map((c) => c.metadata.name)).toEqual([`data-${DATABASE}-0`]);
    const statefulSet = await kubectl.json<{ spec: { template: { spec: { containers: { name: string; env: { name: string; value?: string }[] }[] } } } }>(
      ['-n', NAMESPACE, 'get', 'statefulset', installation.statefulSet],
    );
    const sync = statefulSet.spec.template.spec.containers.find((c) => c.name === 'sync');
    expect(sync?.env.find((e) => e.name === 'DATABASE_TOPOLOGY')?.value).toBe('shared');
    expect(sync?.env.find((e) => e.name === 'DATABASE_URL')?.value).toBe(`postgresql://msk_app@${DATABASE_HOST}:5432/${POSTGRES_DB}`);
  });

  it(`helm-external-database-status: every pod says the database is shared, "Peers Connected: ${REPLICAS - 1}", each its own node ID`, async () => {
    const docsStatus = await eventually(
      async () => {
        const output = await runDocs(docsCommands('docs/helm.md', 'helm-external-database-status'), variables);
        if (!output.includes(`Peers Connected: ${REPLICAS - 1}`) || !output.includes('Database: shared with')) throw new Error(output);
        return output;
      },
      { what: `docs/helm.md helm-external-database-status saying shared with "Peers Connected: ${REPLICAS - 1}"`, timeoutMs: PEERS_TIMEOUT_MS, intervalMs: 2000 },
    );
    expect(docsStatus).toContain('DATABASE_TOPOLOGY=shared, capture and replication off');
    const nodeIds = new Set<string>();
    for (let ordinal = 0; ordinal < REPLICAS; ordinal += 1) {
      const status = await installation.waitPeersConnected(ordinal, REPLICAS - 1, PEERS_TIMEOUT_MS);
      await eventually(
        async () => {
          const { text } = await installation.syncStatus(ordinal);
          if (!text.includes('Database: shared with')) throw new Error(text);
        },
        { what: `"Database: shared with" in ${installation.podName(ordinal)}`, timeoutMs: PEERS_TIMEOUT_MS, intervalMs: 2000 },
      );
      expect(status.nodeName).toBe(installation.podName(ordinal));
      nodeIds.add(status.nodeId);
    }
    expect(nodeIds.size).toBe(REPLICAS);
  });

  it('accepts a login made on pod 0 as a session on every other pod', async () => {
    const session = await signInAsAdmin(await installation.appUrl(0));
    for (let ordinal = 1; ordinal < REPLICAS; ordinal += 1) {
      expect((await sessionAt(await installation.appUrl(ordinal), session)).user?.email).toBe(ADMIN.email);
    }
  });

  it('reads a business written through pod 0 through pod 1 at once (one database, nothing to replicate)', async () => {
    const session = await signInAsAdmin(await installation.appUrl(0));
    const id = await createBusiness(await installation.appUrl(0), session, `External database ${Date.now()}`);
    expect((await businessIds(await installation.appUrl(1), session)).has(id)).toBe(true);
    expect((await businessIds(await installation.appUrl(REPLICAS - 1), session)).has(id)).toBe(true);
  });

  it('made the first admin once, and installed no capture trigger on the database', async () => {
    expect(await superuserQuery(`SELECT count(*) FROM users WHERE email = '${ADMIN.email}'`)).toBe('1');
    const triggers = await superuserQuery(
      "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND NOT t.tgisinternal",
    );
    expect(triggers).toBe('');
  });

  it('refuses `helm upgrade` that unsets externalDatabase.host (the claim template is immutable), naming the value, and leaves the release as it was', async () => {
    const before = await tool.ok(['history', RELEASE, '-n', NAMESPACE, '-o', 'json']);
    const refused = await tool.attempt(['upgrade', RELEASE, join(REPO_ROOT, 'charts', 'multi-server-kit'), '-n', NAMESPACE, '--reuse-values', '--set', 'externalDatabase.host=']);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toMatch(/externalDatabase\.host cannot be unset on release shared-multi-server-kit, installed on an external database/);
    expect(await tool.ok(['history', RELEASE, '-n', NAMESPACE, '-o', 'json'])).toBe(before);
  });
});
