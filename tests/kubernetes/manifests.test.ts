/**
 * kubernetes/multi-server-kit.yaml, as an operator uses it, on a real cluster built from upstream source
 * (.ci/kubernetes): server-side dry run, a real apply with the Secret `npm run init` writes, in a namespace that
 * enforces the Pod Security "restricted" profile; then what operators do on day two — a pod deleted, a scale-up,
 * a rolling restart under load. Steps build on each other, so they run in order in one file.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { docsCommands } from '../support/docsCommands';
import { eventually } from '../support/eventually';
import { type ScratchRepository, scratchRepository } from '../support/scratchRepository';
import { Installation } from './support/installation';
import { businessIds, createBusiness, sessionAt, signInAsAdmin, waitForBusinesses, ADMIN } from './support/platformApi';
import { withClusterImages } from './support/testManifests';
import { writeLoad } from './support/writeLoad';

const execFileAsync = promisify(execFile);
const NAMESPACE = 'multi-server-kit';
const STATEFUL_SET = 'multi-server-kit';
const SECRET = 'multi-server-kit-shared';
const READY_TIMEOUT_MS = 420_000;
const PEERS_TIMEOUT_MS = 120_000;
const REPLICATION_TIMEOUT_MS = 120_000;

/**
 * Runs docs commands in one bash (stopping at the first that fails) with kubectl on PATH and the cluster's
 * kubeconfig; `env` is what an operator's shell holds from an earlier block. Returns what they printed.
 */
async function runDocs(commands: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  const script = ['set -euo pipefail', ...commands].join('\n');
  const path = [dirname(process.env.MSK_KUBECTL as string), process.env.PATH].join(':');
  try {
    const { stdout, stderr } = await execFileAsync('bash', ['-c', script], {
      cwd,
      env: { PATH: path, HOME: process.env.HOME ?? '/root', KUBECONFIG: process.env.MSK_KUBECONFIG as string, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout + stderr;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`docs commands (${commands[0]} …) failed: ${failed.message}\n${failed.stdout ?? ''}${failed.stderr ?? ''}`);
  }
}

describe('kubectl apply of the synthesized manifests on a real cluster, as docs/kubernetes.md does it', () => {
  const installation = new Installation(NAMESPACE, STATEFUL_SET);
  const kubectl = installation.kubectl;
  let scratch: ScratchRepository;
  /** Where the apply block runs: deploy/kubernetes-secret.yaml and kubernetes/multi-server-kit.yaml as generated. */
  let work: string;
  const createdThroughPod0: string[] = [];
  const nodeIds = new Map<number, string>();

  beforeAll(async () => {
    await kubectl.ok(['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=true', '--timeout=180s']);
    scratch = scratchRepository('kubectl');
    work = mkdtempSync(join(tmpdir(), 'msk-kubectl-'));
  });

  afterAll(async () => {
    await kubectl.attempt(['delete', 'namespace', NAMESPACE, '--wait=true', '--timeout=180s']);
    scratch?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('generates the Secret and the manifests with the docs\' commands (init, synth)', async () => {
    const output = await runDocs(docsCommands('docs/kubernetes.md', 'deploy-kubectl-generate'), scratch.dir);
    expect(output).toContain('kubernetes/multi-server-kit.yaml');
    const secret = parse(readFileSync(join(scratch.dir, 'deploy', 'kubernetes-secret.yaml'), 'utf8')) as {
      kind: string;
      metadata: { name: string };
      data: Record<string, string>;
    };
    expect({ kind: secret.kind, name: secret.metadata.name }).toEqual({ kind: 'Secret', name: SECRET });
    expect(Object.keys(secret.data)).toEqual(expect.arrayContaining(['NEXTAUTH_SECRET', 'SYNC_REGISTRATION_KEY']));
    // The optional first-admin key the docs tell operators to add.
    secret.data.ADMIN_PASSWORD = Buffer.from(ADMIN.password).toString('base64');
    mkdirSync(join(work, 'deploy'));
    mkdirSync(join(work, 'kubernetes'));
    writeFileSync(join(work, 'deploy', 'kubernetes-secret.yaml'), stringify(secret), { mode: 0o600 });
    // This cluster is offline: the official postgres image is replaced by the same-interface stand-in it holds.
    writeFileSync(join(work, 'kubernetes', 'multi-server-kit.yaml'), withClusterImages(readFileSync(join(scratch.dir, 'kubernetes', 'multi-server-kit.yaml'), 'utf8')));
  });

  it('applies them as the docs do: a restricted namespace, both pods Ready with app, sync and postgres, no Pod Security warning', async () => {
    const output = await runDocs(docsCommands('docs/kubernetes.md', 'deploy-kubectl'), work);
    expect(output).toMatch(/statefulset\.apps\/multi-server-kit created/);
    expect(output).toMatch(/Peers Connected: [01]\b/);
    expect(output).not.toMatch(/violate PodSecurity|would violate/);
    const labels = await kubectl.ok(['get', 'namespace', NAMESPACE, '-o', 'jsonpath={.metadata.labels}']);
    expect(JSON.parse(labels)).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    const pods = await installation.waitReady(2, READY_TIMEOUT_MS);
    expect(pods.map((p) => p.name)).toEqual([`${STATEFUL_SET}-0`, `${STATEFUL_SET}-1`]);
  });

  it('accepts every synthesized object and the Secret in a server-side dry run (schema, defaulting, admission)', async () => {
    const secretFile = join(work, 'deploy', 'kubernetes-secret.yaml');
    expect(await kubectl.ok(['apply', '--dry-run=server', '-n', NAMESPACE, '-f', secretFile])).toMatch(/secret\/multi-server-kit-shared (configured|unchanged) \(server dry run\)/);
    const dryRun = await kubectl.attempt(['apply', '--dry-run=server', '-f', join(work, 'kubernetes', 'multi-server-kit.yaml')]);
    expect(dryRun).toMatchObject({ exitCode: 0 });
    for (const kind of ['serviceaccount', 'service', 'ingress.networking.k8s.io', 'statefulset.apps', 'networkpolicy.networking.k8s.io', 'poddisruptionbudget.policy']) {
      expect(dryRun.stdout).toContain(`${kind}/`);
    }
    expect(dryRun.stderr).not.toMatch(/violate PodSecurity/);
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

  it('rotates NEXTAUTH_SECRET in two phases with the docs\' commands: nobody is logged out; dropping the old secret later ends the old sessions', async () => {
    const before = await signInAsAdmin(await installation.appUrl(0));
    const oldSecret = await secretValue('NEXTAUTH_SECRET');
    // Phase 2 runs in the shell of phase 1, as the docs say (it uses NS, S, OLD and NEW).
    await runDocs([...docsCommands('docs/kubernetes.md', 'rotate-secret-phase-1'), ...docsCommands('docs/kubernetes.md', 'rotate-secret-phase-2')], work);
    await installation.waitReady(2, READY_TIMEOUT_MS);
    expect(await secretValue('NEXTAUTH_SECRET_PREVIOUS')).toBe(oldSecret);
    expect(await secretValue('NEXTAUTH_SECRET')).not.toBe(oldSecret);
    const after = await signInAsAdmin(await installation.appUrl(1));
    for (const ordinal of [0, 1]) {
      const pod = await installation.appUrl(ordinal);
      expect((await sessionAt(pod, before)).user?.email).toBe(ADMIN.email);
      expect((await sessionAt(pod, after)).user?.email).toBe(ADMIN.email);
    }

    await runDocs(docsCommands('docs/kubernetes.md', 'rotate-secret-drop-old'), work, { NS: NAMESPACE, S: SECRET });
    await installation.waitReady(2, READY_TIMEOUT_MS);
    expect(await kubectl.ok(['-n', NAMESPACE, 'get', 'secret', SECRET, '-o', 'jsonpath={.data.NEXTAUTH_SECRET_PREVIOUS}'])).toBe('');
    for (const ordinal of [0, 1]) {
      const pod = await installation.appUrl(ordinal);
      expect((await sessionAt(pod, before)).user).toBeUndefined();
      expect((await sessionAt(pod, after)).user?.email).toBe(ADMIN.email);
    }
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

  it('backs up pod 1 and restores it over the running node as docs/backup-and-restore.md does: writes since then kept, a row deleted since then stays deleted', async () => {
    const pod0 = await installation.appUrl(0);
    const session0 = await signInAsAdmin(pod0);
    const [keptId, deletedId] = [await createBusiness(pod0, session0, 'before the backup'), await createBusiness(pod0, session0, 'deleted after the backup')];
    const pod1 = await installation.appUrl(1);
    await waitForBusinesses(pod1, await signInAsAdmin(pod1), [keptId, deletedId], REPLICATION_TIMEOUT_MS);

    const backup = await runDocs(docsCommands('docs/backup-and-restore.md', 'kubernetes-backup'), scratch.dir);
    expect(backup).toContain(`backups/${STATEFUL_SET}-1.mskbackup`);

    const writtenAfter = await createBusiness(pod0, session0, 'after the backup');
    const deleted = await fetch(`${pod0}/api/businesses/${deletedId}`, { method: 'DELETE', headers: { cookie: session0.cookie, origin: pod0 } });
    expect(deleted.status).toBe(204);
    await eventually(async () => {
      const listed = await businessIds(pod1, await signInAsAdmin(pod1));
      if (!listed.has(writtenAfter) || listed.has(deletedId)) throw new Error('pod 1 has not caught up yet');
    }, { what: 'pod 1 caught up before the restore', timeoutMs: REPLICATION_TIMEOUT_MS, intervalMs: 1000 });
    const databaseBefore = await postgresSystemIdentifier(1);

    const restore = await runDocs(docsCommands('docs/backup-and-restore.md', 'kubernetes-restore'), scratch.dir);
    expect(restore).toMatch(/\[restore\] restored: new incarnation/);
    await installation.waitReady(3, READY_TIMEOUT_MS);
    // The same PostgreSQL (its data directory and claim), a restored database in it.
    expect(await postgresSystemIdentifier(1)).toBe(databaseBefore);
    const restoredPod1 = await installation.appUrl(1);
    await eventually(async () => {
      const listed = await businessIds(restoredPod1, await signInAsAdmin(restoredPod1));
      const wrong = [
        ...[keptId, writtenAfter, ...createdThroughPod0].filter((id) => !listed.has(id)).map((id) => `missing ${id}`),
        ...(listed.has(deletedId) ? [`deleted ${deletedId} is back`] : []),
      ];
      if (wrong.length > 0) throw new Error(wrong.join(', '));
    }, { what: 'pod 1 converged after the restore', timeoutMs: REPLICATION_TIMEOUT_MS, intervalMs: 2000 });
    for (const ordinal of [0, 2]) expect((await businessIds(await installation.appUrl(ordinal), session0)).has(deletedId)).toBe(false);
    await installation.waitPeersConnected(1, 2, PEERS_TIMEOUT_MS);
  });

  async function postgresSystemIdentifier(ordinal: number): Promise<string> {
    const output = await kubectl.ok([
      '-n', NAMESPACE, 'exec', installation.podName(ordinal), '-c', 'postgres', '--',
      'sh', '-c', 'psql -U "$POSTGRES_USER" -d "$POSTGRES_DB" -Atc "SELECT system_identifier FROM pg_control_system()"',
    ]);
    return output.trim();
  }

  async function secretValue(key: string): Promise<string> {
    const encoded = await kubectl.ok(['-n', NAMESPACE, 'get', 'secret', SECRET, '-o', `jsonpath={.data.${key}}`]);
    return Buffer.from(encoded.trim(), 'base64').toString('utf8');
  }

  async function appServiceUrl(): Promise<string> {
    const clusterIp = await kubectl.ok(['-n', NAMESPACE, 'get', 'service', `${STATEFUL_SET}-app`, '-o', 'jsonpath={.spec.clusterIP}']);
    const port = await kubectl.ok(['-n', NAMESPACE, 'get', 'service', `${STATEFUL_SET}-app`, '-o', 'jsonpath={.spec.ports[0].port}']);
    return `http://${clusterIp}:${port}`;
  }
});
