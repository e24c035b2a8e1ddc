/**
 * charts/multi-server-kit judged by real Helm (built from upstream source by .ci/kubernetes/build.sh) on the same
 * real cluster: lint, template, install into its own restricted namespace, the same proofs as the kubectl path
 * (two ready pods, peers connected, a session that crosses pods), upgrade to 3 replicas, uninstall.
 */
import { parseAllDocuments } from 'yaml';
import { helm } from './support/kubectl';
import { Installation } from './support/installation';
import { createBusiness, sessionAt, signInAsAdmin, waitForBusinesses, ADMIN } from './support/platformApi';
import { CHART_DIR, initSecret, postgresImage, restrictedNamespaceYaml, type TestSecret } from './support/testManifests';

const NAMESPACE = 'msk-helm';
const RELEASE = 'platform';
const STATEFUL_SET = 'multi-server-kit';
const READY_TIMEOUT_MS = 420_000;
const PEERS_TIMEOUT_MS = 120_000;

function imageValues(): string[] {
  const image = postgresImage();
  const colon = image.lastIndexOf(':');
  return ['--set', `images.postgres.repository=${image.slice(0, colon)}`, '--set', `images.postgres.tag=${image.slice(colon + 1)}`];
}

describe('the Helm chart with real Helm on a real cluster', () => {
  const installation = new Installation(NAMESPACE, STATEFUL_SET);
  const kubectl = installation.kubectl;
  const tool = helm();
  let secret: TestSecret;

  beforeAll(async () => {
    await kubectl.ok(['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=true', '--timeout=180s']);
    await kubectl.ok(['apply', '-f', '-'], restrictedNamespaceYaml(NAMESPACE));
    secret = initSecret('http://platform.example.com');
    await kubectl.ok(['apply', '-n', NAMESPACE, '-f', '-'], secret.withAdminYaml);
  });

  afterAll(async () => {
    await tool.attempt(['uninstall', RELEASE, '-n', NAMESPACE, '--wait']);
    await kubectl.attempt(['delete', 'namespace', NAMESPACE, '--wait=true', '--timeout=180s']);
    secret?.deploy.remove();
  });

  it('passes `helm lint --strict`', async () => {
    const lint = await tool.attempt(['lint', '--strict', CHART_DIR]);
    expect(lint).toMatchObject({ exitCode: 0 });
    expect(lint.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('refuses values its schema forbids, naming the value (`helm template`)', async () => {
    const refused = await tool.attempt(['template', RELEASE, CHART_DIR, '-n', NAMESPACE, '--set', 'images.sync.tag=latest']);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toMatch(/images\.sync\.tag|images\/sync\/tag/);
  });

  it('renders with `helm template` into the release namespace, with the values given', async () => {
    const rendered = await tool.ok(['template', RELEASE, CHART_DIR, '-n', NAMESPACE, '--set', 'host=shop.example.org', ...imageValues()]);
    const objects = parseAllDocuments(rendered).map((d) => d.toJSON() as { kind: string; metadata: { namespace?: string } } | null).filter((o) => o !== null);
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Ingress', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'Service', 'ServiceAccount', 'StatefulSet']);
    for (const object of objects) expect(object.metadata.namespace).toBe(NAMESPACE);
    expect(rendered).toContain('value: "http://shop.example.org"');
    expect(rendered).toContain(`image: "${postgresImage()}"`);
  });

  it('installs: two ready pods, each sync container says "Peers Connected: 1", a login through pod 0 is a session on pod 1', async () => {
    const installed = await tool.attempt(['install', RELEASE, CHART_DIR, '-n', NAMESPACE, ...imageValues()]);
    expect(installed).toMatchObject({ exitCode: 0 });
    expect(installed.stderr).not.toMatch(/violate PodSecurity/);
    await installation.waitReady(2, READY_TIMEOUT_MS);
    for (const ordinal of [0, 1]) await installation.waitPeersConnected(ordinal, 1, PEERS_TIMEOUT_MS);
    const pod0 = await installation.appUrl(0);
    const pod1 = await installation.appUrl(1);
    const session = await signInAsAdmin(pod0);
    expect((await sessionAt(pod1, session)).user?.email).toBe(ADMIN.email);
    const id = await createBusiness(pod0, session, `Installed by Helm ${Date.now()}`);
    await waitForBusinesses(pod1, session, [id], PEERS_TIMEOUT_MS);
  });

  it('`helm upgrade --set replicas=3` adds a third node that every pod sees: "Peers Connected: 2"', async () => {
    await tool.ok(['upgrade', RELEASE, CHART_DIR, '-n', NAMESPACE, '--reuse-values', '--set', 'replicas=3']);
    await installation.waitReady(3, READY_TIMEOUT_MS);
    for (const ordinal of [0, 1, 2]) await installation.waitPeersConnected(ordinal, 2, PEERS_TIMEOUT_MS);
    const history = await tool.ok(['history', RELEASE, '-n', NAMESPACE]);
    expect(history).toMatch(/^2\s.*deployed\s.*Upgrade complete/m);
  });

  it('`helm uninstall` removes the release\'s objects and leaves the data claims and the Secret it did not create', async () => {
    await tool.ok(['uninstall', RELEASE, '-n', NAMESPACE, '--wait']);
    const left = await kubectl.ok(['-n', NAMESPACE, 'get', 'statefulsets,services,serviceaccounts,configmaps,networkpolicies,poddisruptionbudgets,ingresses', '-o', 'name']);
    // What Kubernetes itself puts in every namespace stays.
    const namespaceDefaults = new Set(['', 'serviceaccount/default', 'configmap/kube-root-ca.crt']);
    expect(left.split('\n').filter((line) => !namespaceDefaults.has(line))).toEqual([]);
    const claims = await kubectl.ok(['-n', NAMESPACE, 'get', 'pvc', '-o', 'name']);
    expect(claims.split('\n').filter(Boolean).sort()).toEqual([0, 1, 2].map((n) => `persistentvolumeclaim/data-${STATEFUL_SET}-${n}`));
    expect(await kubectl.ok(['-n', NAMESPACE, 'get', 'secret', 'multi-server-kit-shared', '-o', 'name'])).toContain('multi-server-kit-shared');
  });
});
