/**
 * charts/multi-server-kit judged by real Helm (built from upstream source by .ci/kubernetes/build.sh) on the same
 * real cluster. Without a cluster: `helm lint --strict`; `helm template` with every documented value set (each
 * one reaches the objects it controls) and with bad values (refused, naming the key). On the cluster: two releases
 * in one namespace and one in another (that one through the commands of docs/helm.md), all ready, distinct node
 * IDs, no release peering with another; `helm test`; `helm upgrade` of replicas and image tags under a write load
 * with no acknowledged write lost; a persistence.size change refused; `helm uninstall` leaving only the claims.
 * The releases are shared between the steps, which run in order.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { resolvePlatformConfig } from '../../cdk8s/src/platformConfigSchema';
import { chartValueTree } from '../../cdk8s/src/helmChart';
import type { ValueTree } from '../../cdk8s/src/helm/chartValues';
import { platformConfig } from '../../cdk8s/src/platform.config';
import { sharedSecretKeys } from '../../cdk8s/src/synthOutputs';
import { docsCommands } from '../support/docsCommands';
import { eventually } from '../support/eventually';
import { helm } from './support/kubectl';
import { runDocs } from './support/runDocs';
import { Installation } from './support/installation';
import { createBusiness, signInAsAdmin, waitForBusinesses } from './support/platformApi';
import { objectOf, objectsOf, type RenderedObject } from './support/renderedObjects';
import { CHART_DIR, REPO_ROOT, initSecret, postgresImage, restrictedNamespaceYaml, type TestSecret } from './support/testManifests';
import { writeLoad } from './support/writeLoad';

const execFileAsync = promisify(execFile);
const NAMESPACE = 'msk-helm';
const DOCS_NAMESPACE = 'msk-helm-docs';
const EVERY_VALUE = join(__dirname, 'fixtures', 'every-value.yaml');
const READY_TIMEOUT_MS = 900_000;
const PEERS_TIMEOUT_MS = 180_000;
const REPLICATION_TIMEOUT_MS = 180_000;
const UPGRADE_TAG = '0.1.0-helm-upgrade';
const PROJECT_IMAGES = ['multi-server-kit/app', 'multi-server-kit/sync'];

/** Leaf paths of the values tree (a map such as `settings` counts by its keys). */
function leafPaths(tree: ValueTree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, spec]) => (spec.children ? leafPaths(spec.children, `${prefix}${key}.`) : [`${prefix}${key}`]));
}

function valueAt(values: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], values);
}

const BAD_VALUES: [string, string[], RegExp][] = [
  ['a typo in a key of ours', ['--set', 'ingres.enabled=true'], /additional properties 'ingres' not allowed/],
  ['a typo inside an image', ['--set', 'image.app.tagg=1.0'], /at '\/image\/app': additional properties 'tagg' not allowed/],
  ['an image tagged latest', ['--set', 'image.sync.tag=latest'], /image\.sync\.tag is latest: pin a version tag/],
  ['zero replicas', ['--set', 'replicaCount=0'], /at '\/replicaCount': minimum: got 0, want 1/],
  ['a storage size in GB', ['--set', 'persistence.size=10GB'], /at '\/persistence\/size': '10GB' does not match pattern/],
  ['a host with a scheme', ['--set', 'ingress.hosts[0].host=https://shop.example.org'], /at '\/ingress\/hosts\/0\/host'/],
  ['two hosts', ['--set', 'ingress.hosts[1].host=b.example.org'], /at '\/ingress\/hosts': maxItems: got 2, want 1/],
  ['a setting the contract does not have', ['--set', 'settings.SYNC_SECRET_SAUCE=1'], /at '\/settings': additional properties 'SYNC_SECRET_SAUCE' not allowed/],
  ['a secret as a setting', ['--set', 'settings.NEXTAUTH_SECRET=abc'], /at '\/settings': additional properties 'NEXTAUTH_SECRET' not allowed/],
  ['an unknown discovery mode', ['--set', 'discovery=mdns'], /at '\/discovery': value must be one of 'dns', 'kubernetes'/],
  ['a number as a setting', ['--set', 'settings.SYNC_INTERVAL=30000'], /at '\/settings\/SYNC_INTERVAL': got number, want string/],
  ['a name too long for pod names', ['--set', 'fullnameOverride=a-very-long-installation-name-for-the-platform'], /at '\/fullnameOverride': maxLength: got 46, want 40/],
  [
    'a release and name that together are too long',
    ['--set', 'nameOverride=a-very-long-platform-name-for-shops-x'],
    /the objects' name "shop-a-very-long-platform-name-for-shops-x" has 42 characters, at most 40 fit .*: choose a shorter release name or set fullnameOverride/,
  ],
  ['an external database with a scheme', ['--set', 'externalDatabase.host=postgresql://db.example.org'], /at '\/externalDatabase\/host': '.*' does not match pattern/],
  ['an external database on port 0', ['--set', 'externalDatabase.host=db.example.org,externalDatabase.port=0'], /at '\/externalDatabase\/port': minimum: got 0, want 1/],
  ['an sslMode libpq has but the app does not take', ['--set', 'externalDatabase.sslMode=allow'], /at '\/externalDatabase\/sslMode': value must be one of/],
  ['a role name with a quote', ['--set', "externalDatabase.user=app'x"], /at '\/externalDatabase\/user': .* does not match pattern/],
  ['an app port the sync service uses', ['--set', 'app.port=8765'], /app\.port is 8765, which another container of the pod uses/],
  ['a probe path without its slash', ['--set', 'app.probes.readinessPath=api/ready'], /at '\/app\/probes\/readinessPath': 'api\/ready' does not match pattern/],
  ['a contract variable as an app env extra', ['--set', 'app.env.NEXTAUTH_SECRET=x'], /app\.env\.NEXTAUTH_SECRET is a variable of the kit/],
  ['an app env extra that is not a variable name', ['--set', 'app.env.1BAD=x'], /invalid propertyName '1BAD'/],
  ['no replicated table', ['--set-json', 'replication.tables=[]'], /at '\/replication\/tables': minItems: got 0, want 1/],
  ['a replicated table named twice', ['--set-json', 'replication.tables=["users","users"]'], /at '\/replication\/tables': items at 0 and 1 are equal/],
  ['a ServiceMonitor without its CRD', ['--set', 'metrics.serviceMonitor.enabled=true'], /metrics\.serviceMonitor\.enabled needs the Prometheus Operator's CRDs/],
];

describe('the Helm chart with real Helm', () => {
  const tool = helm();
  let work: string;
  /** The chart with stand-ins for files/ the monitoring engineer writes, when the repository has none yet. */
  let chartWithFiles: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'msk-helm-chart-'));
    chartWithFiles = join(work, 'multi-server-kit');
    cpSync(CHART_DIR, chartWithFiles, { recursive: true });
    mkdirSync(join(chartWithFiles, 'files'), { recursive: true });
    const rules = join(chartWithFiles, 'files', 'prometheus-rules.yaml');
    const dashboard = join(chartWithFiles, 'files', 'grafana-dashboard.json');
    if (!existsSync(rules)) writeFileSync(rules, 'groups:\n  - name: stand-in\n    rules:\n      - alert: StandIn\n        expr: vector(1)\n        annotations: { summary: "{{ $labels.pod }}" }\n');
    if (!existsSync(dashboard)) writeFileSync(dashboard, '{"title": "stand-in", "panels": []}\n');
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('passes `helm lint --strict` with its defaults and with every value set', async () => {
    for (const extra of [[], ['-f', EVERY_VALUE]]) {
      const lint = await tool.attempt(['lint', '--strict', CHART_DIR, ...extra]);
      expect(lint).toMatchObject({ exitCode: 0 });
      expect(lint.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it('has a fixture that sets every value values.yaml documents, each to something other than its default', () => {
    const config = resolvePlatformConfig(platformConfig);
    const tree = chartValueTree(config, sharedSecretKeys(config).map((k) => k.key));
    const fixture = parse(readFileSync(EVERY_VALUE, 'utf8')) as unknown;
    const defaults = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as unknown;
    const unset = leafPaths(tree).filter((path) => valueAt(fixture, path) === undefined || JSON.stringify(valueAt(fixture, path)) === JSON.stringify(valueAt(defaults, path)));
    // the switches that remove objects stay on here; the next test turns them off
    expect(unset).toEqual(['serviceAccount.create', 'ingress.enabled', 'externalDatabase.host', 'networkPolicy.enabled', 'metrics.enabled']);
    const settings = tree.settings?.schema?.properties as Record<string, unknown>;
    expect(Object.keys((fixture as { settings: object }).settings).sort()).toEqual(Object.keys(settings).sort());
  });

  it('renders every documented value into the objects it controls, and drops what the switches turn off (`helm template`, Prometheus CRDs announced)', async () => {
    const rendered = objectsOf(
      await tool.ok(['template', 'shop', chartWithFiles, '-n', 'retail', '-f', EVERY_VALUE, '--api-versions', 'monitoring.coreos.com/v1']),
    );
    const name = 'shop-platform';
    const statefulSet = objectOf(rendered, 'StatefulSet', name);
    const pod = statefulSet.spec.template;
    const container = (c: string) => pod.spec.containers.find((x: RenderedObject) => x.name === c);
    const env = (c: string, variable: string) => container(c).env.find((e: { name: string }) => e.name === variable);
    expect(statefulSet.spec.replicas).toBe(3);
    expect(statefulSet.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'platform', 'app.kubernetes.io/instance': 'shop', 'app.kubernetes.io/managed-by': 'Helm', 'helm.sh/chart': 'multi-server-kit-0.4.0' });
    expect(container('app')).toMatchObject({ image: 'registry.example.com/team/app:2.0.1', imagePullPolicy: 'Always', resources: { requests: { cpu: '100m', memory: '200Mi' }, limits: { memory: '400Mi' } } });
    expect(container('sync')).toMatchObject({ image: 'registry.example.com/team/sync:2.0.1', resources: { requests: { cpu: '50m' } } });
    expect(container('postgres')).toMatchObject({ image: 'registry.example.com/mirror/postgres:17.7-bookworm', imagePullPolicy: 'Never', resources: { limits: { memory: '600Mi' } } });
    expect(pod.metadata.labels).toMatchObject({ team: 'retail', 'app.kubernetes.io/component': 'node' });
    expect(pod.metadata.annotations).toEqual({ 'backup.example.com/skip': 'true' });
    expect(pod.spec).toMatchObject({
      imagePullSecrets: [{ name: 'regcred' }],
      serviceAccountName: 'shop-nodes',
      automountServiceAccountToken: true,
      nodeSelector: { disktype: 'ssd' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'platform', effect: 'NoSchedule' }],
      priorityClassName: 'business-critical',
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone' }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: expect.any(Object) } },
    });
    expect(env('app', 'NEXTAUTH_URL')).toEqual({ name: 'NEXTAUTH_URL', value: 'https://shop.example.org' });
    expect(env('app', 'NEXTAUTH_SECRET').valueFrom.secretKeyRef).toEqual({ name: 'shop-secrets', key: 'nextauth-secret', optional: false });
    expect(env('sync', 'SYNC_DATABASE_PASSWORD').valueFrom.secretKeyRef).toMatchObject({ name: 'shop-secrets', key: 'sync-database-password' });
    expect(env('app', 'MSK_NODE_ID_SEED')).toEqual({ name: 'MSK_NODE_ID_SEED', value: `retail/${name}` });
    expect(env('sync', 'SYNC_DISCOVERY').value).toBe('kubernetes');
    expect(env('sync', 'SYNC_KUBERNETES_SERVICE').value).toBe(`${name}-peers`);
    expect(env('sync', 'SYNC_DNS_NAME')).toBeUndefined();
    expect(env('app', 'APP_NAME').value).toBe('Shop Platform');
    expect(env('app', 'ADMIN_EMAIL').value).toBe('owner@example.org');
    expect(env('sync', 'SYNC_LOG_LEVEL').value).toBe('debug');
    expect(env('sync', 'SYNC_INTERVAL').value).toBe('20000');
    // the app: another team's image, port, command, args, env extras, probe paths; their tables
    expect(container('app').command.slice(-2)).toEqual(['node', 'apps/web/server.js']);
    expect(container('app').args).toEqual(['--max-old-space-size=384']);
    expect(container('app').ports[0]).toEqual({ name: 'http', containerPort: 3000 });
    expect(env('app', 'PORT').value).toBe('3000');
    expect(env('sync', 'SYNC_HTTP_PORT').value).toBe('3000');
    expect(container('app').env.slice(-2)).toEqual([{ name: 'FEATURE_FLAGS', value: 'a,b' }, { name: 'LOG_FORMAT', value: 'json' }]);
    expect(container('app').startupProbe.httpGet).toEqual({ path: '/api/auth/providers', port: 3000, scheme: 'HTTP' });
    expect(container('app').livenessProbe.httpGet).toEqual({ path: '/api/auth/providers', port: 3000, scheme: 'HTTP' });
    // no readiness path: the app is ready when live, the sync container's /ready gates the pod
    expect(container('app').readinessProbe).toMatchObject({ httpGet: { path: '/api/auth/providers', port: 3000 }, periodSeconds: 5 });
    expect(container('sync').readinessProbe.httpGet).toMatchObject({ path: '/ready', port: 8765, scheme: 'HTTPS' });
    expect(container('app').securityContext).toMatchObject({ runAsUser: 1500, runAsGroup: 1500 });
    expect(container('app').volumeMounts).toContainEqual({ name: 'app-next-cache', mountPath: '/srv/app/.next/cache' });
    expect(env('sync', 'REPLICATED_TABLES').value).toBe('accounts,contacts,deals');
    expect(objectOf(rendered, 'Service', `${name}-app`).spec.ports[0]).toMatchObject({ port: 80, targetPort: 3000 });
    expect(statefulSet.spec.volumeClaimTemplates[0]).toMatchObject({
      metadata: { annotations: { 'backup.example.com/policy': 'daily' } },
      spec: { storageClassName: 'fast-ssd', resources: { requests: { storage: '50Gi' } } },
    });
    expect(objectOf(rendered, 'ServiceAccount', 'shop-nodes').metadata.annotations).toEqual({ 'iam.example.com/role': 'shop' });
    expect(objectOf(rendered, 'RoleBinding', `${name}-discovery`).subjects[0].name).toBe('shop-nodes');
    const ingress = objectOf(rendered, 'Ingress', name);
    expect(ingress.metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'letsencrypt' });
    expect(ingress.spec).toEqual({
      ingressClassName: 'nginx',
      rules: [{ host: 'shop.example.org', http: { paths: [{ path: '/', pathType: 'ImplementationSpecific', backend: { service: { name: `${name}-app`, port: { number: 80 } } } }] } }],
      tls: [{ secretName: 'shop-tls', hosts: ['shop.example.org'] }],
    });
    const policy = objectOf(rendered, 'NetworkPolicy', name);
    expect(policy.spec.egress).toEqual([{}]);
    expect(policy.spec.ingress[1]).toEqual({ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'traefik' } } }], ports: [{ protocol: 'TCP', port: 3000 }] });
    expect(policy.spec.ingress[2]).toMatchObject({ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'prometheus' } } }], ports: [{ port: 9464 }, { port: 9465 }] });
    const monitor = objectOf(rendered, 'ServiceMonitor', name);
    expect(monitor.metadata.labels?.release).toBe('prometheus');
    expect(monitor.spec.endpoints).toEqual([
      { port: 'app-metrics', path: '/metrics', interval: '15s', scrapeTimeout: '10s' },
      { port: 'sync-metrics', path: '/metrics', interval: '15s', scrapeTimeout: '10s' },
    ]);
    const metricsSelector = { 'app.kubernetes.io/name': 'platform', 'app.kubernetes.io/instance': 'shop', 'app.kubernetes.io/component': 'metrics' };
    expect(monitor.spec.selector.matchLabels).toEqual(metricsSelector);
    expect(objectOf(rendered, 'Service', `${name}-metrics`).metadata.labels).toMatchObject(metricsSelector);
    const rule = objectOf(rendered, 'PrometheusRule', name);
    expect(rule.metadata.labels?.release).toBe('prometheus');
    expect(rule.spec).toEqual(parse(readFileSync(join(chartWithFiles, 'files', 'prometheus-rules.yaml'), 'utf8')));
    const dashboard = objectOf(rendered, 'ConfigMap', `${name}-grafana-dashboard`);
    expect(dashboard.metadata).toMatchObject({ labels: { grafana_dashboard: 'yes' }, annotations: { grafana_folder: 'Platform' } });
    expect(dashboard.data['multi-server-kit.json']).toBe(readFileSync(join(chartWithFiles, 'files', 'grafana-dashboard.json'), 'utf8'));
    const switchedOff = objectsOf(
      await tool.ok([
        'template', 'shop', chartWithFiles, '-n', 'retail', '-f', EVERY_VALUE, '--api-versions', 'monitoring.coreos.com/v1',
        '--set', 'serviceAccount.create=false,ingress.enabled=false,networkPolicy.enabled=false,metrics.enabled=false',
      ]),
    );
    expect(switchedOff.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      ['ConfigMap/shop-platform-grafana-dashboard', 'ConfigMap/shop-platform-postgres-initdb', 'PodDisruptionBudget/shop-platform', 'PrometheusRule/shop-platform',
        'Role/shop-platform-discovery', 'RoleBinding/shop-platform-discovery', 'Service/shop-platform-app', 'Service/shop-platform-peers', 'StatefulSet/shop-platform', 'Pod/shop-platform-test'].sort(),
    );
    expect(objectOf(switchedOff, 'StatefulSet', name).spec.template.spec.serviceAccountName).toBe('shop-nodes');
    const testPod = objectOf(rendered, 'Pod', `${name}-test`);
    expect(testPod.metadata.annotations?.['helm.sh/hook']).toBe('test');
    expect(testPod.metadata.labels?.['app.kubernetes.io/name']).toBeUndefined();
    expect(testPod.spec.containers[0].image).toBe('registry.example.com/team/sync:2.0.1');
  });

  it('with externalDatabase.host: pods of app and sync only, no claim template or initdb ConfigMap, DATABASE_TOPOLOGY=shared, URLs and passwords from externalDatabase.*', async () => {
    const rendered = objectsOf(
      await tool.ok(['template', 'shop', chartWithFiles, '-n', 'retail', '-f', EVERY_VALUE, '--api-versions', 'monitoring.coreos.com/v1', '--set', 'externalDatabase.host=db-rw.databases.svc.corp.example,networkPolicy.egress=restricted']),
    );
    const name = 'shop-platform';
    const statefulSet = objectOf(rendered, 'StatefulSet', name);
    const pod = statefulSet.spec.template.spec;
    const container = (c: string) => pod.containers.find((x: RenderedObject) => x.name === c);
    const env = (c: string, variable: string) => container(c).env.find((e: { name: string }) => e.name === variable);
    expect(pod.containers.map((c: RenderedObject) => c.name)).toEqual(['app', 'sync']);
    expect(statefulSet.spec.volumeClaimTemplates).toBeUndefined();
    expect(pod.volumes.map((v: { name: string }) => v.name)).toEqual(['app-next-cache', 'app-tmp', 'sync-tmp']);
    expect(rendered.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name)).not.toContain(`${name}-postgres-initdb`);
    const url = (role: string) => `postgresql://${role}@db-rw.databases.svc.corp.example:6432/shop_db?sslmode=verify-full`;
    for (const c of ['app', 'sync']) {
      expect(env(c, 'DATABASE_URL').value).toBe(url('shop_app'));
      expect(env(c, 'DATABASE_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'shop-database', key: 'app-password', optional: false });
    }
    expect(env('sync', 'SYNC_DATABASE_URL').value).toBe(url('shop_sync'));
    expect(env('sync', 'SYNC_DATABASE_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'shop-database', key: 'sync-password', optional: false });
    expect(env('sync', 'DATABASE_TOPOLOGY')).toEqual({ name: 'DATABASE_TOPOLOGY', value: 'shared' });
    // the node IDs still come from the ordinals
    expect(env('sync', 'MSK_POD_INDEX').valueFrom.fieldRef.fieldPath).toBe("metadata.labels['apps.kubernetes.io/pod-index']");
    expect(env('app', 'NEXTAUTH_SECRET').valueFrom.secretKeyRef.name).toBe('shop-secrets');
    // restricted egress lets the pods reach the database's port
    expect(objectOf(rendered, 'NetworkPolicy', name).spec.egress).toContainEqual({ ports: [{ protocol: 'TCP', port: 6432 }] });

    const sharedSecret = objectsOf(
      await tool.ok(['template', 'shop', CHART_DIR, '-n', 'retail', '--set', 'externalDatabase.host=10.0.0.5,existingSecret=shop-secrets']),
    );
    const syncEnv = objectOf(sharedSecret, 'StatefulSet', 'shop-multi-server-kit').spec.template.spec.containers[1].env;
    const byName = (variable: string) => syncEnv.find((e: { name: string }) => e.name === variable);
    expect(byName('DATABASE_URL').value).toBe('postgresql://msk_app@10.0.0.5:5432/multi_business_db');
    expect(byName('SYNC_DATABASE_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'shop-secrets', key: 'SYNC_DATABASE_PASSWORD', optional: false });
    expect(byName('DATABASE_TOPOLOGY')).toEqual({ name: 'DATABASE_TOPOLOGY', value: 'shared' });

    const bundled = objectOf(objectsOf(await tool.ok(['template', 'shop', chartWithFiles, '-n', 'retail', '-f', EVERY_VALUE, '--api-versions', 'monitoring.coreos.com/v1'])), 'StatefulSet', name);
    const bundledSync = bundled.spec.template.spec.containers.find((x: RenderedObject) => x.name === 'sync');
    expect(bundledSync.env.find((e: { name: string }) => e.name === 'DATABASE_TOPOLOGY')).toBeUndefined();
    expect(bundledSync.env.find((e: { name: string }) => e.name === 'DATABASE_URL').value).toBe('postgresql://msk_app@127.0.0.1:5432/multi_business_db');
    expect(bundled.spec.template.spec.containers.map((c: RenderedObject) => c.name)).toEqual(['app', 'sync', 'postgres']);
  });

  it('with its defaults renders only the plain manifests\' objects plus the helm test hook; no PrometheusRule without its file', async () => {
    const rendered = objectsOf(await tool.ok(['template', 'multi-server-kit', CHART_DIR, '-n', 'multi-server-kit']));
    const manifests = objectsOf(readFileSync(join(REPO_ROOT, 'kubernetes', 'multi-server-kit.yaml'), 'utf8'));
    const names = (objects: readonly RenderedObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(names(rendered)).toEqual([...names(manifests), 'NetworkPolicy/multi-server-kit-test', 'Pod/multi-server-kit-test'].sort());
    if (!existsSync(join(CHART_DIR, 'files', 'prometheus-rules.yaml'))) {
      const withRule = await tool.ok(['template', 'x', CHART_DIR, '--set', 'metrics.prometheusRule.enabled=true', '--api-versions', 'monitoring.coreos.com/v1']);
      expect(objectsOf(withRule).map((o) => o.kind)).not.toContain('PrometheusRule');
    }
  });

  it.each(BAD_VALUES)('refuses %s, naming the value', async (_what, args, message) => {
    const refused = await tool.attempt(['template', 'shop', CHART_DIR, ...args]);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toMatch(message);
  });

  it('passes `helm lint` and `helm template` as docs/helm.md runs them', async () => {
    const values = join(work, 'docs-values.yaml');
    writeFileSync(values, stringify({ existingSecret: 'multi-server-kit-shared', ingress: { hosts: [{ host: 'platform.example.com' }] } }));
    const output = await runDocs(docsCommands('docs/helm.md', 'helm-lint'), { RELEASE: 'platform', NAMESPACE: 'platform', VALUES: values });
    expect(output).toContain('0 chart(s) failed');
    expect(output).toContain('platform-multi-server-kit-peers');
  });
});


describe('releases of the chart side by side on a real cluster', () => {
  const tool = helm();
  const alpha = new Installation(NAMESPACE, 'alpha-multi-server-kit', 'alpha');
  const beta = new Installation(NAMESPACE, 'beta-multi-server-kit', 'beta');
  const docsAlpha = new Installation(DOCS_NAMESPACE, 'alpha-multi-server-kit', 'alpha');
  const kubectl = alpha.kubectl;
  let work: string;
  let valuesFile: string;
  const secrets: TestSecret[] = [];

  /** What every test release sets: the PostgreSQL image the cluster has and small CPU requests (five pods on two cores). */
  function testValues(extra: Record<string, unknown>): string {
    const image = postgresImage();
    const colon = image.lastIndexOf(':');
    const small = (memory: string) => ({ requests: { cpu: '50m', memory }, limits: { cpu: '1000m', memory: '1024Mi' } });
    return stringify({
      image: { postgres: { repository: image.slice(0, colon), tag: image.slice(colon + 1) } },
      resources: { app: small('256Mi'), sync: small('128Mi'), postgres: small('256Mi') },
      ...extra,
    });
  }

  const docsVariables = () => ({ RELEASE: 'alpha', NAMESPACE: DOCS_NAMESPACE, VALUES: valuesFile, TAG: UPGRADE_TAG });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'msk-helm-releases-'));
    for (const namespace of [NAMESPACE, DOCS_NAMESPACE]) {
      await kubectl.ok(['delete', 'namespace', namespace, '--ignore-not-found', '--wait=true', '--timeout=300s']);
    }
    await kubectl.ok(['apply', '-f', '-'], restrictedNamespaceYaml(NAMESPACE));
    const alphaSecret = initSecret('http://platform.example.com');
    const betaSecret = initSecret('http://platform.example.com', 'beta-multi-server-kit-shared');
    secrets.push(alphaSecret, betaSecret);
    await kubectl.ok(['apply', '-n', NAMESPACE, '-f', '-'], alphaSecret.withAdminYaml);
    await kubectl.ok(['apply', '-n', NAMESPACE, '-f', '-'], betaSecret.withAdminYaml);
    // the docs' working folder: the chart, and deploy/kubernetes-secret.yaml as `npm run init` leaves it
    mkdirSync(join(work, 'deploy'));
    symlinkSync(join(REPO_ROOT, 'charts'), join(work, 'charts'));
    const docsSecret = initSecret('http://platform.example.com');
    secrets.push(docsSecret);
    writeFileSync(join(work, 'deploy', 'kubernetes-secret.yaml'), docsSecret.withAdminYaml);
    valuesFile = join(work, 'my-values.yaml');
    writeFileSync(valuesFile, testValues({ existingSecret: 'multi-server-kit-shared', replicaCount: 1 }));
  });

  afterAll(async () => {
    for (const [release, namespace] of [['alpha', NAMESPACE], ['beta', NAMESPACE], ['alpha', DOCS_NAMESPACE]]) {
      await tool.attempt(['uninstall', release as string, '-n', namespace as string, '--wait']);
    }
    for (const namespace of [NAMESPACE, DOCS_NAMESPACE]) await kubectl.attempt(['delete', 'namespace', namespace, '--wait=true', '--timeout=300s']);
    for (const secret of secrets) secret.deploy.remove();
    for (const image of PROJECT_IMAGES) await execFileAsync('docker', ['rmi', `${image}:${UPGRADE_TAG}`]).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it('installs two releases in one namespace and one in another (as docs/helm.md does): all ready, distinct node IDs, each release its own peers', async () => {
    const alphaValues = join(work, 'alpha.yaml');
    const betaValues = join(work, 'beta.yaml');
    writeFileSync(alphaValues, testValues({ existingSecret: 'multi-server-kit-shared' }));
    writeFileSync(betaValues, testValues({ replicaCount: 1 }));
    const install = (release: string, values: string) => tool.attempt(['install', release, CHART_DIR, '-n', NAMESPACE, '-f', values, '--wait', '--timeout', '15m']);
    const docsInstall = (async () => {
      await runDocs(docsCommands('docs/helm.md', 'helm-variables'), {});
      await runDocs(docsCommands('docs/helm.md', 'helm-secret'), docsVariables(), work);
      return runDocs(docsCommands('docs/helm.md', 'helm-install'), docsVariables(), work);
    })();
    const [installedAlpha, installedBeta, docsOutput] = await Promise.all([install('alpha', alphaValues), install('beta', betaValues), docsInstall]);
    expect(installedAlpha).toMatchObject({ exitCode: 0 });
    expect(installedBeta).toMatchObject({ exitCode: 0 });
    expect(installedAlpha.stderr).not.toMatch(/violate PodSecurity/);
    expect(installedAlpha.stdout).toContain('helm test alpha -n msk-helm');
    expect(docsOutput).toContain('STATUS: deployed');

    const nodeIds = new Map<string, string>();
    for (const [installation, replicas] of [[alpha, 2], [beta, 1], [docsAlpha, 1]] as const) {
      await installation.waitReady(replicas, READY_TIMEOUT_MS);
      for (let ordinal = 0; ordinal < replicas; ordinal++) {
        // a release with one pod has no peer: the other releases, in the same namespace or not, are not its peers
        const status = await installation.waitPeersConnected(ordinal, replicas - 1, PEERS_TIMEOUT_MS);
        nodeIds.set(`${installation.namespace}/${installation.podName(ordinal)}`, status.nodeId);
      }
    }
    expect(nodeIds.size).toBe(4);
    expect(new Set(nodeIds.values()).size).toBe(4);
    expect(await runDocs(docsCommands('docs/helm.md', 'helm-status'), docsVariables(), work)).toContain('Peers Connected: 0');
  });

  it('`helm test` passes: every pod reports replicas-1 peers and accepts a session made on pod 0', async () => {
    const tested = await tool.attempt(['test', 'alpha', '-n', NAMESPACE, '--timeout', '10m']);
    expect(tested).toMatchObject({ exitCode: 0 });
    expect(tested.stdout).toMatch(/TEST SUITE: +alpha-multi-server-kit-test[\s\S]*Phase: +Succeeded/);
    expect(await runDocs(docsCommands('docs/helm.md', 'helm-test'), docsVariables(), work)).toMatch(/Phase: +Succeeded/);
    // hook-succeeded: nothing of the test stays behind
    expect(await kubectl.ok(['-n', NAMESPACE, 'get', 'pods,networkpolicies', '-l', 'app.kubernetes.io/component=helm-test', '-o', 'name'])).toBe('');
  });

  it('`helm upgrade` to 3 replicas and new image tags under a steady write load: no acknowledged write lost', async () => {
    for (const image of PROJECT_IMAGES) await execFileAsync('docker', ['tag', `${image}:0.1.0`, `${image}:${UPGRADE_TAG}`]);
    await execFileAsync('bash', [join(REPO_ROOT, '.ci', 'kubernetes', 'load-images.sh'), ...PROJECT_IMAGES.map((i) => `${i}:${UPGRADE_TAG}`)]);
    const service = await kubectl.ok(['-n', NAMESPACE, 'get', 'service', 'alpha-multi-server-kit-app', '-o', 'jsonpath={.spec.clusterIP}:{.spec.ports[0].port}']);
    const entry = `http://${service}`;
    const session = await signInAsAdmin(entry);
    const load = writeLoad({ url: entry, session, create: createBusiness });
    try {
      await load.waitForAcknowledged(10);
      await runDocs(docsCommands('docs/helm.md', 'helm-upgrade'), { ...docsVariables(), RELEASE: 'alpha', NAMESPACE });
      await alpha.waitReady(3, READY_TIMEOUT_MS);
      await load.waitForAcknowledged(load.acknowledged.length + 10);
    } finally {
      await load.stop();
    }
    const images = await kubectl.ok(['-n', NAMESPACE, 'get', 'pods', '-l', 'app.kubernetes.io/instance=alpha,app.kubernetes.io/name=multi-server-kit', '-o', 'jsonpath={range .items[*]}{.spec.containers[0].image} {.spec.containers[1].image}{"\\n"}{end}']);
    expect(images.trim().split('\n')).toEqual(Array(3).fill(`multi-server-kit/app:${UPGRADE_TAG} multi-server-kit/sync:${UPGRADE_TAG}`));
    expect(load.acknowledged.length).toBeGreaterThan(20);
    for (const ordinal of [0, 1, 2]) {
      await alpha.waitPeersConnected(ordinal, 2, PEERS_TIMEOUT_MS);
      const pod = await alpha.appUrl(ordinal);
      await waitForBusinesses(pod, await signInAsAdmin(pod), load.acknowledged, REPLICATION_TIMEOUT_MS);
    }
    const refusals = [...load.failures].map(([kind, n]) => `${n} × ${kind}`).join(', ') || 'none';
    process.stdout.write(`[kubernetes] helm upgrade (replicas 2→3, new image tags): ${load.acknowledged.length} writes acknowledged, none lost; refused while pods were replaced: ${refusals}\n`);
  });

  it('refuses `helm upgrade` of persistence.size, naming the value and the fix, and leaves the release as it was', async () => {
    const refused = await tool.attempt(['upgrade', 'alpha', CHART_DIR, '-n', NAMESPACE, '--reuse-values', '--set', 'persistence.size=20Gi']);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain('persistence.size cannot change after install: StatefulSet alpha-multi-server-kit has 10Gi claims and the values ask for 20Gi');
    expect(refused.stderr).toContain('keep persistence.size=10Gi');
    const history = await tool.ok(['history', 'alpha', '-n', NAMESPACE]);
    expect(history).toMatch(/^2\s.*deployed\s.*Upgrade complete/m);
    expect(history).not.toMatch(/^3\s/m);
  });

  it('`helm uninstall` leaves only the data claims (and the Secrets it never made); the documented command deletes the claims', async () => {
    await tool.ok(['uninstall', 'alpha', '-n', NAMESPACE, '--wait']);
    await tool.ok(['uninstall', 'beta', '-n', NAMESPACE, '--wait']);
    const kinds = 'statefulsets,pods,services,serviceaccounts,configmaps,secrets,networkpolicies,poddisruptionbudgets,ingresses,roles,rolebindings';
    // what Kubernetes puts in every namespace, and the Secrets the test made, stay (pods take a moment to go)
    const expected = new Set(['', 'serviceaccount/default', 'configmap/kube-root-ca.crt', 'secret/multi-server-kit-shared', 'secret/beta-multi-server-kit-shared']);
    await eventually(
      async () => {
        const left = (await kubectl.ok(['-n', NAMESPACE, 'get', kinds, '-o', 'name'])).split('\n').filter((line) => !expected.has(line));
        if (left.length > 0) throw new Error(`still there: ${left.join(', ')}`);
      },
      { what: `nothing but the claims left in ${NAMESPACE}`, timeoutMs: 180_000, intervalMs: 2000 },
    );
    const claims = await kubectl.ok(['-n', NAMESPACE, 'get', 'pvc', '-o', 'name']);
    expect(claims.split('\n').filter(Boolean).sort()).toEqual(
      ['data-alpha-multi-server-kit-0', 'data-alpha-multi-server-kit-1', 'data-alpha-multi-server-kit-2', 'data-beta-multi-server-kit-0'].map((c) => `persistentvolumeclaim/${c}`),
    );

    const listed = await runDocs(docsCommands('docs/helm.md', 'helm-uninstall'), docsVariables(), work);
    expect(listed).toContain('data-alpha-multi-server-kit-0');
    await runDocs(docsCommands('docs/helm.md', 'helm-delete-claims'), docsVariables(), work);
    await eventually(
      async () => {
        const left = await kubectl.ok(['-n', DOCS_NAMESPACE, 'get', 'pvc,statefulsets,pods,services', '-o', 'name']);
        if (left.trim() !== '') throw new Error(`still there: ${left}`);
      },
      { what: `nothing left in ${DOCS_NAMESPACE}`, timeoutMs: 180_000, intervalMs: 2000 },
    );
  });
});
