/**
 * The chart and the plain manifests never drift, judged by real Helm (`helm template`, built from upstream source):
 * for every example configuration, the chart synthesized from it, rendered with its default values under the
 * configuration's name as release name and its namespace, is the same objects as the plain manifests synthesized
 * from it, up to Helm's own labels (helm.sh/chart, app.kubernetes.io/version, app.kubernetes.io/managed-by);
 * rendered with other values and another release, it is the cdk8s synth of the configuration those values mean.
 * Needs only the helm binary, no cluster.
 */
import { App } from 'cdk8s';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type PlatformConfig, resolvePlatformConfig } from '../../cdk8s/src/platformConfigSchema';
import { CONFIG_VARIATIONS } from '../../cdk8s/src/exampleConfigs';
import type { KubernetesObject } from '../../cdk8s/src/kubernetesObject';
import { PART_OF } from '../../cdk8s/src/labels';
import { platformConfig } from '../../cdk8s/src/platform.config';
import { MultiServerKitChart } from '../../cdk8s/src/platformChart';
import { CHART_DIR, MANIFESTS_FILE, synthesizeFiles } from '../../cdk8s/src/synthOutputs';
import { helm } from './support/kubectl';
import { comparable, objectsOf } from './support/renderedObjects';

/** The cdk8s synth of a configuration, labelled as Helm labels a release (instance = release name, not the object name). */
function synthAsRelease(config: PlatformConfig, release: string): KubernetesObject[] {
  const resolved = resolvePlatformConfig(config);
  const selector = { 'app.kubernetes.io/name': PART_OF, 'app.kubernetes.io/instance': release };
  return new MultiServerKitChart(new App(), 'release', resolved, { selector, common: { ...selector, 'app.kubernetes.io/part-of': PART_OF } }).toJson() as KubernetesObject[];
}

describe('the chart rendered by real Helm equals the cdk8s manifests', () => {
  let work: string;
  const tool = helm();

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'msk-chart-drift-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** Writes what `npm run synth` would for this configuration, returns the chart folder and the plain manifests. */
  function synthesize(name: string, config: PlatformConfig): { chartDir: string; manifests: string } {
    const files = synthesizeFiles(resolvePlatformConfig(config));
    const out = join(work, name.replace(/[^a-z0-9]+/gi, '-'));
    for (const [path, text] of files) {
      mkdirSync(dirname(join(out, path)), { recursive: true });
      writeFileSync(join(out, path), text);
    }
    return { chartDir: join(out, CHART_DIR), manifests: files.get(MANIFESTS_FILE) as string };
  }

  it.each(Object.entries(CONFIG_VARIATIONS))('with its default values, for %s', async (name, config) => {
    const { chartDir, manifests } = synthesize(name, config);
    const resolved = resolvePlatformConfig(config);
    const rendered = await tool.ok(['template', resolved.name, chartDir, '-n', resolved.namespace, '--skip-tests']);
    expect(comparable(objectsOf(rendered))).toEqual(comparable(objectsOf(manifests)));
  });

  it('with other values, another release and namespace: the synth of the configuration those values mean', async () => {
    const { chartDir } = synthesize('other-values', platformConfig);
    const values = {
      replicaCount: 5,
      image: {
        app: { repository: 'registry.example.com/team/app', tag: '2.0.1' },
        sync: { repository: 'registry.example.com/team/sync', tag: '2.0.1' },
        postgres: { repository: 'postgres', tag: '17.7-bookworm' },
      },
      existingSecret: 'shop-shared',
      persistence: { size: '200Gi', storageClass: 'fast' },
      discovery: 'kubernetes',
      clusterDomain: 'corp.example',
      ingress: {
        className: 'nginx',
        annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' },
        hosts: [{ host: 'shop.example.org' }],
        tls: [{ secretName: 'shop-tls', hosts: ['shop.example.org'] }],
      },
      networkPolicy: { ingressFrom: [], metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'prometheus' } } }], egress: 'unrestricted' },
      settings: { APP_NAME: 'Acme', SYNC_LOG_LEVEL: 'debug' },
      app: {
        port: 3000,
        command: ['node', 'apps/web/server.js'],
        args: ['--max-old-space-size=384'],
        env: { LOG_FORMAT: 'json', FEATURE_FLAGS: 'a,b' },
        cacheMountPath: '/srv/app/.next/cache',
        runAsUser: 1500,
        probes: { livenessPath: '/api/auth/providers', readinessPath: '' },
      },
      replication: { tables: ['accounts', 'contacts', 'deals'] },
    };
    const valuesFile = join(work, 'other-values.json');
    writeFileSync(valuesFile, JSON.stringify(values));
    const rendered = await tool.ok(['template', 'shop', chartDir, '-n', 'retail', '-f', valuesFile, '--skip-tests']);
    const meant: PlatformConfig = {
      ...platformConfig,
      name: 'shop-multi-server-kit',
      namespace: 'retail',
      replicas: 5,
      host: 'shop.example.org',
      tls: { secretName: 'shop-tls' },
      ingressClassName: 'nginx',
      ingressAnnotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' },
      sharedSecretName: 'shop-shared',
      images: values.image,
      postgres: { storageSize: '200Gi', storageClassName: 'fast' },
      discovery: 'kubernetes',
      clusterDomain: 'corp.example',
      networkPolicy: { appReachableFrom: 'anywhere', metricsReachableFrom: { namespace: 'prometheus' }, egress: 'unrestricted' },
      settings: { ...platformConfig.settings, ...values.settings },
      app: values.app,
      replicatedTables: values.replication.tables,
    };
    expect(comparable(objectsOf(rendered))).toEqual(comparable(synthAsRelease(meant, 'shop')));
  });

  it('with app.probes.* both empty: TCP checks on app.port, the synth of that configuration', async () => {
    const { chartDir } = synthesize('tcp-probes', platformConfig);
    const valuesFile = join(work, 'tcp-probes.json');
    writeFileSync(valuesFile, JSON.stringify({ app: { port: 3000, probes: { livenessPath: '', readinessPath: '' } } }));
    const rendered = await tool.ok(['template', 'shop', chartDir, '-n', 'retail', '-f', valuesFile, '--skip-tests']);
    const meant: PlatformConfig = { ...platformConfig, name: 'shop-multi-server-kit', namespace: 'retail', sharedSecretName: 'shop-multi-server-kit-shared', app: { port: 3000, probes: { livenessPath: '', readinessPath: '' } } };
    expect(comparable(objectsOf(rendered))).toEqual(comparable(synthAsRelease(meant, 'shop')));
  });

  it('with externalDatabase.* set: the synth of the configuration with that external database', async () => {
    const { chartDir } = synthesize('external-database', platformConfig);
    const externalDatabase = { host: 'db-rw.databases.svc.cluster.local', port: 6432, database: 'shop_db', user: 'shop_app', syncUser: 'shop_sync', existingSecret: 'shop-database', passwordKey: 'app', syncPasswordKey: 'sync', sslMode: 'verify-full' } as const;
    const valuesFile = join(work, 'external-database.json');
    writeFileSync(valuesFile, JSON.stringify({ externalDatabase }));
    const rendered = await tool.ok(['template', 'shop', chartDir, '-n', 'retail', '-f', valuesFile, '--skip-tests']);
    const meant: PlatformConfig = { ...platformConfig, name: 'shop-multi-server-kit', namespace: 'retail', sharedSecretName: 'shop-multi-server-kit-shared', externalDatabase };
    expect(comparable(objectsOf(rendered))).toEqual(comparable(synthAsRelease(meant, 'shop')));
  });
});
