/** How traffic reaches the nodes in the synthesized manifests: discovery, Services, Ingress and NetworkPolicy. */
import { type PlatformConfig, resolvePlatformConfig } from './platformConfigSchema';
import type { KubernetesObject } from './kubernetesObject';
import { envOf, type Loose, objectOf, podSpecOf } from './manifestQueries';
import { synthesizeObjects } from './synthOutputs';

/** The manifests of the default configuration on one host, with `overrides` (as `npm run synth` makes them). */
function synth(overrides: Partial<PlatformConfig> = {}): KubernetesObject[] {
  return synthesizeObjects(resolvePlatformConfig({ host: 'platform.example.com', ...overrides }));
}

const SELECTOR = { 'app.kubernetes.io/name': 'multi-server-kit', 'app.kubernetes.io/instance': 'multi-server-kit' };
const objects = synth();
const pod = podSpecOf(objects);

describe('kubernetes discovery (opt-in)', () => {
  const k8s = synth({ discovery: 'kubernetes' });

  it('sets SYNC_DISCOVERY=kubernetes with the headless Service name', () => {
    expect(envOf(k8s, 'sync', 'SYNC_DISCOVERY').value).toBe('kubernetes');
    expect(envOf(k8s, 'sync', 'SYNC_KUBERNETES_SERVICE').value).toBe('multi-server-kit-peers');
    expect(envOf(k8s, 'sync', 'SYNC_DNS_NAME')).toBeUndefined();
  });

  it("adds a Role that may only get, list and watch EndpointSlices, bound to the pods' ServiceAccount", () => {
    expect(objectOf(k8s, 'Role').rules).toEqual([
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
    ]);
    const binding = objectOf(k8s, 'RoleBinding');
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'multi-server-kit-discovery',
    });
    expect(binding.subjects).toEqual([
      { apiGroup: '', kind: 'ServiceAccount', name: 'multi-server-kit', namespace: 'multi-server-kit' },
    ]);
    expect(podSpecOf(k8s).serviceAccountName).toBe('multi-server-kit');
    expect(podSpecOf(k8s).automountServiceAccountToken).toBe(true);
  });

  it('lets the pods reach the API server (443/6443) through the NetworkPolicy', () => {
    expect(objectOf(k8s, 'NetworkPolicy').spec.egress).toContainEqual({
      ports: [
        { protocol: 'TCP', port: 443 },
        { protocol: 'TCP', port: 6443 },
      ],
    });
  });

  it('default (dns): no Role, and no API token mounted into the pods', () => {
    expect(objects.filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding')).toEqual([]);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(objectOf(objects, 'ServiceAccount').automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe('multi-server-kit');
  });
});

describe('Services and Ingress', () => {
  it('the peers Service is headless, lists pods before they are ready and names its port sync', () => {
    const peers = objectOf(objects, 'Service', 'multi-server-kit-peers');
    expect(peers.spec.clusterIP).toBe('None');
    expect(peers.spec.publishNotReadyAddresses).toBe(true);
    expect(peers.spec.ports).toEqual([{ name: 'sync', port: 8765, targetPort: 8765, protocol: 'TCP' }]);
    expect(peers.spec.selector).toEqual(SELECTOR);
  });

  it("the app Service forwards port 80 to the app's 8080", () => {
    const app = objectOf(objects, 'Service', 'multi-server-kit-app');
    expect(app.spec.type).toBe('ClusterIP');
    expect(app.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }]);
    expect(app.spec.selector).toEqual(SELECTOR);
  });

  it('the Ingress sends everything on the ONE host to the app Service', () => {
    const ingress = objectOf(objects, 'Ingress');
    expect(ingress.spec.rules).toEqual([
      {
        host: 'platform.example.com',
        http: {
          paths: [
            {
              path: '/',
              pathType: 'Prefix',
              backend: { service: { name: 'multi-server-kit-app', port: { number: 80 } } },
            },
          ],
        },
      },
    ]);
    expect(ingress.spec.tls).toBeUndefined();
  });

  it('can configure TLS, the IngressClass and annotations', () => {
    const ingress = objectOf(
      synth({
        tls: { secretName: 'platform-tls' },
        ingressClassName: 'nginx',
        ingressAnnotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' },
      }),
      'Ingress',
    );
    expect(ingress.spec.tls).toEqual([{ hosts: ['platform.example.com'], secretName: 'platform-tls' }]);
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'letsencrypt' });
  });
});

describe('NetworkPolicy', () => {
  const policy = objectOf(objects, 'NetworkPolicy');
  const ownPods = { podSelector: { matchLabels: SELECTOR } };

  it("applies to the installation's pods in both directions", () => {
    expect(policy.spec.podSelector).toEqual({ matchLabels: SELECTOR });
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
  });

  it("lets only the installation's own pods reach the sync port 8765", () => {
    const syncRules = policy.spec.ingress.filter((rule: Loose) => rule.ports.some((p: Loose) => p.port === 8765));
    expect(syncRules).toEqual([{ from: [ownPods], ports: [{ protocol: 'TCP', port: 8765 }] }]);
  });

  it('default: lets the ingress-nginx namespace reach the app port 8080', () => {
    expect(policy.spec.ingress).toContainEqual({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
      ports: [{ protocol: 'TCP', port: 8080 }],
    });
    expect(policy.spec.ingress).toHaveLength(3);
  });

  it('default: lets the monitoring namespace scrape the metrics ports 9464 and 9465; can open them to anyone', () => {
    expect(policy.spec.ingress[2]).toEqual({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
      ports: [
        { protocol: 'TCP', port: 9464 },
        { protocol: 'TCP', port: 9465 },
      ],
    });
    const open = objectOf(synth({ networkPolicy: { metricsReachableFrom: 'anywhere' } }), 'NetworkPolicy');
    expect(open.spec.ingress[2]).toEqual({
      ports: [
        { protocol: 'TCP', port: 9464 },
        { protocol: 'TCP', port: 9465 },
      ],
    });
  });

  it('can let another namespace, or anyone, reach the app port', () => {
    const traefik = objectOf(synth({ networkPolicy: { appReachableFrom: { namespace: 'traefik' } } }), 'NetworkPolicy');
    expect(traefik.spec.ingress[1].from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'traefik' } } },
    ]);
    const open = objectOf(synth({ networkPolicy: { appReachableFrom: 'anywhere' } }), 'NetworkPolicy');
    expect(open.spec.ingress[1]).toEqual({ ports: [{ protocol: 'TCP', port: 8080 }] });
  });

  it("default: allows egress only for DNS and to the peers' sync port", () => {
    expect(policy.spec.egress).toEqual([
      {
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
      { to: [ownPods], ports: [{ protocol: 'TCP', port: 8765 }] },
    ]);
  });

  it('can allow all egress', () => {
    expect(objectOf(synth({ networkPolicy: { egress: 'unrestricted' } }), 'NetworkPolicy').spec.egress).toEqual([{}]);
  });
});
