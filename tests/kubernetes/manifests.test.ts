/**
 * kubernetes/multi-server-kit.yaml, as an operator uses it, on a real cluster built from upstream source
 * (.ci/kubernetes): server-side dry run, a real apply with the Secret `npm run init` writes, in a namespace that
 * enforces the Pod Security "restricted" profile; then what operators do on day two — a pod deleted, a scale-up,
 * a rolling restart under load. Steps build on each other, so they run in order in one file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Installation } from './support/installation';
import { businessIds, createBusiness, sessionAt, signInAsAdmin, waitForBusinesses, ADMIN } from './support/platformApi';
import { MANIFESTS_FILE, initSecret, restrictedNamespaceYaml, withClusterImages, type TestSecret } from './support/testManifests';
import { writeLoad } from './support/writeLoad';

const NAMESPACE = 'multi-server-kit';
const STATEFUL_SET = 'multi-server-kit';
const READY_TIMEOUT_MS = 420_000;
const PEERS_TIMEOUT_MS = 120_000;
const REPLICATION_TIMEOUT_MS = 120_000;

describe('kubectl apply of the synthesized manifests on a real cluster', () => {
  const installation = new Installation(NAMESPACE, STATEFUL_SET);
  const kubectl = installation.kubectl;
  let secret: TestSecret;
  let manifests: string;
  const createdThroughPod0: string[] = [];
  const nodeIds = new Map<number, string>();

  beforeAll(async () => {
    await kubectl.ok(['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=true', '--timeout=180s']);
    await kubectl.ok(['apply', '-f', '-'], restrictedNamespaceYaml(NAMESPACE));
    secret = initSecret('http://platform.example.com');
    manifests = join(secret.deploy.dir, 'manifests.yaml');
    writeFileSync(manifests, withClusterImages(readFileSync(MANIFESTS_FILE, 'utf8')));
  });

  afterAll(async () => {
    await kubectl.attempt(['delete', 'namespace', NAMESPACE, '--wait=true', '--timeout=180s']);
    secret?.deploy.remove();
  });

  it('accepts every synthesized file and the init Secret in a server-side dry run (schema, defaulting, admission)', async () => {
    const secretFile = join(secret.deploy.dir, 'kubernetes-secret.yaml');
    expect(await kubectl.ok(['apply', '--dry-run=server', '-n', NAMESPACE, '-f', secretFile])).toMatch(/secret\/multi-server-kit-shared created \(server dry run\)/);
    const dryRun = await kubectl.attempt(['apply', '--dry-run=server', '-f', MANIFESTS_FILE]);
    expect(dryRun).toMatchObject({ exitCode: 0 });
    for (const kind of ['serviceaccount', 'service', 'ingress.networking.k8s.io', 'statefulset.apps', 'networkpolicy.networking.k8s.io', 'poddisruptionbudget.policy']) {
      expect(dryRun.stdout).toContain(`${kind}/`);
    }
    // PodSecurity admission in the restricted namespace found nothing to warn about.
    expect(dryRun.stderr).not.toMatch(/violate PodSecurity/);
  });

  it('applies for real: both pods become Ready with app, sync and postgres running, under the restricted profile', async () => {
    await kubectl.ok(['apply', '-n', NAMESPACE, '-f', '-'], secret.withAdminYaml);
    const applied = await kubectl.attempt(['apply', '-f', manifests]);
    expect(applied.exitCode).toBe(0);
    expect(applied.stderr).not.toMatch(/violate PodSecurity/);
    const pods = await installation.waitReady(2, READY_TIMEOUT_MS);
    expect(pods.map((p) => p.name)).toEqual([`${STATEFUL_SET}-0`, `${STATEFUL_SET}-1`]);
  });

  it('says "Peers Connected: 1" in the status command of each sync container, each pod with its own node ID and no conflict', async () => {
    for (const ordinal of [0, 1]) {
      const status = await installation.waitPeersConnected(ordinal, 1, PEERS_TIMEOUT_MS);
      expect(status.nodeName).toBe(`${STATEFUL_SET}-${ordinal}`);
      expect(status.nodeId).toMatch(/^[0-9a-f]{16}$/);
      // Every pod made the same first-admin row: replication merged it, nothing was renamed.
      expect(status.conflictsResolved).toBe(0);
      nodeIds.set(ordinal, status.nodeId);
    }
    expect(nodeIds.get(0)).not.toBe(nodeIds.get(1));
    const peerLine = new RegExp(`^${STATEFUL_SET}-1 +${nodeIds.get(1)}\\b.*authenticated`, 'm');
    expect((await installation.syncStatus(0)).text).toMatch(peerLine);
  });

  it('accepts a login made through pod 0 as a session on pod 1, and shows a business created through pod 0 on pod 1', async () => {
    const pod0 = await installation.appUrl(0);
    const pod1 = await installation.appUrl(1);
    const session = await signInAsAdmin(pod0);
    expect((await sessionAt(pod1, session)).user?.email).toBe(ADMIN.email);
    const id = await createBusiness(pod0, session, `Made on pod 0 ${Date.now()}`);
    createdThroughPod0.push(id);
    await waitForBusinesses(pod1, session, [id], REPLICATION_TIMEOUT_MS);
  });

  it('brings a deleted pod 1 back with the same SYNC_NODE_ID and its own data (its claim), peers connected again', async () => {
    const before = await installation.pod(1);
    const claimUid = await kubectl.ok(['-n', NAMESPACE, 'get', 'pvc', `data-${STATEFUL_SET}-1`, '-o', 'jsonpath={.metadata.uid}']);
    const databaseId = await postgresSystemIdentifier(1);
    await kubectl.ok(['-n', NAMESPACE, 'delete', 'pod', `${STATEFUL_SET}-1`, '--wait=true']);
    await installation.waitReady(2, READY_TIMEOUT_MS);
    expect((await installation.pod(1)).uid).not.toBe(before.uid);
    expect(await kubectl.ok(['-n', NAMESPACE, 'get', 'pvc', `data-${STATEFUL_SET}-1`, '-o', 'jsonpath={.metadata.uid}'])).toBe(claimUid);
    // The same PostgreSQL data directory (its system identifier is made once, by initdb), not a fresh copy.
    expect(await postgresSystemIdentifier(1)).toBe(databaseId);
    const status = await installation.waitPeersConnected(1, 1, PEERS_TIMEOUT_MS);
    expect(status.nodeId).toBe(nodeIds.get(1));
    const pod1 = await installation.appUrl(1);
    expect(await businessIds(pod1, await signInAsAdmin(pod1))).toContain(createdThroughPod0[0]);
  });

  it('scaled to 3: the new pod has a new node ID, loads the data, and every pod says "Peers Connected: 2"', async () => {
    await kubectl.ok(['-n', NAMESPACE, 'scale', 'statefulset', STATEFUL_SET, '--replicas=3']);
    await installation.waitReady(3, READY_TIMEOUT_MS);
    for (const ordinal of [0, 1, 2]) {
      const status = await installation.waitPeersConnected(ordinal, 2, PEERS_TIMEOUT_MS);
      nodeIds.set(ordinal, status.nodeId);
    }
    expect(new Set(nodeIds.values()).size).toBe(3);
    const pod2 = await installation.appUrl(2);
    await waitForBusinesses(pod2, await signInAsAdmin(pod2), createdThroughPod0, REPLICATION_TIMEOUT_MS);
  });

  it('loses no acknowledged write while `kubectl rollout restart` replaces every pod under a steady write load', async () => {
    const entry = await appServiceUrl();
    const session = await signInAsAdmin(entry);
    const load = writeLoad({ url: entry, session, create: createBusiness });
    try {
      await load.waitForAcknowledged(10);
      await kubectl.ok(['-n', NAMESPACE, 'rollout', 'restart', `statefulset/${STATEFUL_SET}`]);
      await kubectl.ok(['-n', NAMESPACE, 'rollout', 'status', `statefulset/${STATEFUL_SET}`, `--timeout=${READY_TIMEOUT_MS / 1000}s`]);
      await installation.waitReady(3, READY_TIMEOUT_MS);
      await load.waitForAcknowledged(load.acknowledged.length + 10);
    } finally {
      await load.stop();
    }
    expect(load.acknowledged.length).toBeGreaterThan(20);
    for (const ordinal of [0, 1, 2]) {
      const pod = await installation.appUrl(ordinal);
      await waitForBusinesses(pod, await signInAsAdmin(pod), load.acknowledged, REPLICATION_TIMEOUT_MS);
    }
    const refusals = [...load.failures].map(([kind, n]) => `${n} × ${kind}`).join(', ') || 'none';
    process.stdout.write(`[kubernetes] rollout restart: ${load.acknowledged.length} writes acknowledged, none lost; refused while pods restarted: ${refusals}\n`);
  });

  async function postgresSystemIdentifier(ordinal: number): Promise<string> {
    const output = await kubectl.ok([
      '-n', NAMESPACE, 'exec', installation.podName(ordinal), '-c', 'postgres', '--',
      'sh', '-c', 'psql -U "$POSTGRES_USER" -d "$POSTGRES_DB" -Atc "SELECT system_identifier FROM pg_control_system()"',
    ]);
    return output.trim();
  }

  async function appServiceUrl(): Promise<string> {
    const clusterIp = await kubectl.ok(['-n', NAMESPACE, 'get', 'service', `${STATEFUL_SET}-app`, '-o', 'jsonpath={.spec.clusterIP}']);
    const port = await kubectl.ok(['-n', NAMESPACE, 'get', 'service', `${STATEFUL_SET}-app`, '-o', 'jsonpath={.spec.ports[0].port}']);
    return `http://${clusterIp}:${port}`;
  }
});
