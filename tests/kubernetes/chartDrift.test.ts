/**
 * The chart and the plain manifests never drift, judged by real Helm (`helm template`, built from upstream source):
 * for every example configuration, the chart synthesized from it, rendered with its default values, is the same
 * objects as the plain manifests synthesized from it; rendered with other values, it is the synth of the
 * configuration with those values. (This replaces the minimal template renderer the tests used before Helm could
 * be built here.) Needs only the helm binary, no cluster.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { type PlatformConfig, resolvePlatformConfig } from '../../cdk8s/src/config';
import { CONFIG_VARIATIONS } from '../../cdk8s/src/exampleConfigs';
import { platformConfig } from '../../cdk8s/src/platform.config';
import { CHART_DIR, MANIFESTS_FILE, synthesizeFiles, synthesizeObjects } from '../../cdk8s/src/synthOutputs';
import { helm } from './support/kubectl';

const RELEASE = 'drift-check';

function objectsOf(yamlText: string): unknown[] {
  return parseAllDocuments(yamlText)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(document.errors.map((e) => e.message).join('; '));
      return document.toJS() as unknown;
    })
    .filter((object) => object !== null);
}

/** Sorted the same way on both sides: Helm orders its output by kind, cdk8s by construct. */
function byKindAndName(objects: unknown[]): unknown[] {
  const key = (o: unknown) => {
    const object = o as { kind: string; metadata: { name: string } };
    return `${object.kind}/${object.metadata.name}`;
  };
  return [...objects].sort((a, b) => key(a).localeCompare(key(b)));
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
    const namespace = resolvePlatformConfig(config).namespace;
    const rendered = await tool.ok(['template', RELEASE, chartDir, '-n', namespace]);
    expect(byKindAndName(objectsOf(rendered))).toEqual(byKindAndName(objectsOf(manifests)));
  });

  it('with other values and another release namespace: the synth of the configuration with those values', async () => {
    const { chartDir } = synthesize('other-values', platformConfig);
    const values = {
      replicas: 5,
      host: 'shop.example.org',
      sharedSecretName: 'shop-shared',
      postgres: { storageSize: '200Gi' },
      images: {
        app: { repository: 'registry.example.com/team/app', tag: '2.0.1' },
        sync: { repository: 'registry.example.com/team/sync', tag: '2.0.1' },
        postgres: { repository: 'postgres', tag: '17.7-bookworm' },
      },
    };
    const valuesFile = join(work, 'other-values.yaml');
    writeFileSync(valuesFile, JSON.stringify(values));
    const rendered = await tool.ok(['template', RELEASE, chartDir, '-n', 'retail', '-f', valuesFile]);
    const changed: PlatformConfig = { ...platformConfig, namespace: 'retail', ...values, postgres: { ...platformConfig.postgres, ...values.postgres } };
    expect(byKindAndName(objectsOf(rendered))).toEqual(byKindAndName(synthesizeObjects(resolvePlatformConfig(changed))));
  });
});
