/**
 * Discovery mode `kubernetes` (EndpointSlices watched through the real API server, with the ServiceAccount token
 * and the Role the manifests create) works as well as the default `dns`: the same configuration synthesized with
 * `discovery: 'kubernetes'`, applied to its own restricted namespace.
 */
import { resolvePlatformConfig } from '../../cdk8s/src/platformConfigSchema';
import { platformConfig } from '../../cdk8s/src/platform.config';
import { manifestsYaml, synthesizeObjects } from '../../cdk8s/src/synthOutputs';
import { Installation } from './support/installation';
import { createBusiness, signInAsAdmin, waitForBusinesses } from './support/platformApi';
import { initSecret, restrictedNamespaceYaml, withClusterImages, type TestSecret } from './support/testManifests';

const NAMESPACE = 'msk-discovery-api';
const READY_TIMEOUT_MS = 420_000;
const PEERS_TIMEOUT_MS = 120_000;

describe('discovery mode kubernetes on a real cluster', () => {
  const config = resolvePlatformConfig({ ...platformConfig, namespace: NAMESPACE, discovery: 'kubernetes' });
  const installation = new Installation(NAMESPACE, config.name);
  const kubectl = installation.kubectl;
  let secret: TestSecret;

  beforeAll(async () => {
    await kubectl.ok(['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=true', '--timeout=180s']);
    await kubectl.ok(['apply', '-f', '-'], restrictedNamespaceYaml(NAMESPACE));
    secret = initSecret('http://platform.example.com');
  });

  afterAll(async () => {
    await kubectl.attempt(['delete', 'namespace', NAMESPACE, '--wait=true', '--timeout=180s']);
    secret?.deploy.remove();
  });

  it('creates a Role that grants the pods get/list/watch on EndpointSlices, and nothing else', async () => {
    const objects = synthesizeObjects(config);
    const role = objects.find((o) => o.kind === 'Role') as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] } | undefined;
    expect(role?.rules).toEqual([{ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] }]);
    await kubectl.ok(['apply', '-n', NAMESPACE, '-f', '-'], secret.withAdminYaml);
    const applied = await kubectl.attempt(['apply', '-f', '-'], withClusterImages(manifestsYaml(objects)));
    expect(applied).toMatchObject({ exitCode: 0 });
    const serviceAccount = `system:serviceaccount:${NAMESPACE}:${config.name}`;
    const can = (verb: string, resource: string) => kubectl.attempt(['auth', 'can-i', verb, resource, '-n', NAMESPACE, `--as=${serviceAccount}`]);
    expect((await can('watch', 'endpointslices.discovery.k8s.io')).stdout.trim()).toBe('yes');
    expect((await can('list', 'secrets')).stdout.trim()).toBe('no');
    expect((await can('list', 'pods')).stdout.trim()).toBe('no');
  });

  it('both pods find each other through the API server: "Peers Connected: 1", discovered via kubernetes', async () => {
    await installation.waitReady(2, READY_TIMEOUT_MS);
    for (const ordinal of [0, 1]) {
      const status = await installation.waitPeersConnected(ordinal, 1, PEERS_TIMEOUT_MS);
      expect(status.text).toMatch(/discovery kubernetes/);
      // DISCOVERED VIA lists every way the peer was seen: the API's EndpointSlice, and perhaps its own connection first.
      expect(status.text).toMatch(new RegExp(`^${config.name}-${1 - ordinal} +[0-9a-f]{16} +\\S+ +(\\S+,)?kubernetes(,\\S+)? +authenticated`, 'm'));
    }
  });

  it('replicates a business created through pod 1 to pod 0', async () => {
    const pod1 = await installation.appUrl(1);
    const session = await signInAsAdmin(pod1);
    const id = await createBusiness(pod1, session, `Found through the API ${Date.now()}`);
    await waitForBusinesses(await installation.appUrl(0), session, [id], PEERS_TIMEOUT_MS);
  });
});
