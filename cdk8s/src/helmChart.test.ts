import { parse, parseAllDocuments } from 'yaml';
import { type PlatformConfig, resolvePlatformConfig } from './config';
import { CONFIG_VARIATIONS } from './exampleConfigs';
import { helmTemplates, KNOBS, placeholderConfig, valuesSchema } from './helmChart';
import { renderTemplate } from './helmRender';
import { platformConfig } from './platform.config';
import { CHART_DIR, MANIFESTS_FILE, synthesizeFiles, synthesizeObjects } from './synthOutputs';

function parseDocuments(text: string): unknown[] {
  return parseAllDocuments(text).map((document) => {
    if (document.errors.length > 0) throw new Error(document.errors.map((e) => e.message).join('; '));
    return document.toJS();
  });
}

/** What `helm template` would output for the chart files, given values and a namespace. */
function renderChart(files: ReadonlyMap<string, string>, values: unknown, releaseNamespace: string): unknown[] {
  return [...files]
    .filter(([path]) => path.startsWith(`${CHART_DIR}/templates/`))
    .flatMap(([, template]) => parseDocuments(renderTemplate(template, { values, releaseNamespace })));
}

function defaultValues(files: ReadonlyMap<string, string>): unknown {
  return parse(files.get(`${CHART_DIR}/values.yaml`) as string);
}

describe('the generated Helm chart', () => {
  it.each(Object.entries(CONFIG_VARIATIONS))('rendered with its default values equals the plain manifests, for %s', (_, config) => {
    const resolved = resolvePlatformConfig(config);
    const files = synthesizeFiles(resolved);
    const plain = parseDocuments(files.get(MANIFESTS_FILE) as string);
    expect(renderChart(files, defaultValues(files), resolved.namespace)).toEqual(plain);
  });

  it('rendered with other values equals a synth of the configuration with those values (one source of truth)', () => {
    const files = synthesizeFiles(resolvePlatformConfig(platformConfig));
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
    const changed: PlatformConfig = { ...platformConfig, namespace: 'retail', ...values, postgres: { ...platformConfig.postgres, ...values.postgres } };
    expect(renderChart(files, values, 'retail')).toEqual(synthesizeObjects(resolvePlatformConfig(changed)));
  });

  it('makes NEXTAUTH_URL, the Ingress host and SYNC_DNS_NAME follow the values and the release namespace', () => {
    const files = synthesizeFiles(resolvePlatformConfig(platformConfig));
    const statefulSet = files.get(`${CHART_DIR}/templates/statefulset-multi-server-kit.yaml`) as string;
    expect(statefulSet).toContain('value: "http://{{ .Values.host }}"');
    expect(statefulSet).toContain('value: "multi-server-kit-peers.{{ .Release.Namespace }}.svc.cluster.local"');
    expect(statefulSet).toContain('replicas: {{ .Values.replicas }}');
    expect(files.get(`${CHART_DIR}/templates/ingress-multi-server-kit.yaml`)).toContain('host: {{ .Values.host | quote }}');
  });

  it('has one values.yaml entry per knob, holding the configured value', () => {
    const files = synthesizeFiles(resolvePlatformConfig({ ...platformConfig, replicas: 3 }));
    expect(defaultValues(files)).toEqual({
      replicas: 3,
      host: 'platform.example.com',
      sharedSecretName: 'multi-server-kit-shared',
      postgres: { storageSize: '10Gi' },
      images: {
        app: { repository: 'multi-server-kit/app', tag: '0.1.0' },
        sync: { repository: 'multi-server-kit/sync', tag: '0.1.0' },
        postgres: { repository: 'postgres', tag: '17.6-bookworm' },
      },
    });
  });

  it('fails the synth if a knob\'s value reaches no manifest', () => {
    const resolved = resolvePlatformConfig(platformConfig);
    const objects = synthesizeObjects(resolved);
    // templating the real objects: none of the placeholders occurs
    expect(() => helmTemplates(objects, placeholderConfig(resolved), objects)).toThrow(/Helm values used by no manifest: \.Values\.replicas/);
  });

  it('writes Chart.yaml with apiVersion v2, the chart version and the app tag as a quoted appVersion', () => {
    const files = synthesizeFiles(resolvePlatformConfig({ ...platformConfig, images: { ...platformConfig.images, app: { repository: 'a/app', tag: '1.0' } } }));
    const chart = files.get(`${CHART_DIR}/Chart.yaml`) as string;
    expect(parse(chart)).toMatchObject({ apiVersion: 'v2', name: 'multi-server-kit', version: '0.1.0', appVersion: '1.0', type: 'application' });
  });
});

describe('values.schema.json', () => {
  const schema = valuesSchema() as { properties: Record<string, { properties?: Record<string, unknown> } & Record<string, unknown>>; additionalProperties: boolean };
  const leaf = (path: readonly string[]) =>
    path.reduce<Record<string, unknown>>((node, key) => (node.properties as Record<string, Record<string, unknown>>)[key] as Record<string, unknown>, schema as never);
  const accepts = (path: readonly string[], value: string) => {
    const definition = leaf(path) as { pattern: string; not?: { pattern: string } };
    return new RegExp(definition.pattern).test(value) && !(definition.not && new RegExp(definition.not.pattern).test(value));
  };

  it('describes every knob and refuses unknown values', () => {
    expect(schema.additionalProperties).toBe(false);
    for (const knob of KNOBS) expect(leaf(knob.path)).toMatchObject({ description: knob.description });
  });

  it('refuses latest as an image tag, in any case', () => {
    expect(accepts(['images', 'app', 'tag'], '0.1.0')).toBe(true);
    expect(accepts(['images', 'app', 'tag'], 'latest')).toBe(false);
    expect(accepts(['images', 'sync', 'tag'], 'LATEST')).toBe(false);
  });

  it('refuses a host with a scheme and a storage size without binary unit', () => {
    expect(accepts(['host'], 'platform.example.com')).toBe(true);
    expect(accepts(['host'], 'https://platform.example.com')).toBe(false);
    expect(accepts(['postgres', 'storageSize'], '10Gi')).toBe(true);
    expect(accepts(['postgres', 'storageSize'], '10GB')).toBe(false);
  });

  it('bounds replicas like the configuration does', () => {
    expect(leaf(['replicas'])).toMatchObject({ type: 'integer', minimum: 1, maximum: 64 });
  });
});

describe('renderTemplate (the minimal helm stand-in)', () => {
  const context = { values: { a: { b: 'x"y' }, n: 3 }, releaseNamespace: 'ns' };

  it('substitutes .Values paths, .Release.Namespace and quotes like Helm\'s quote', () => {
    expect(renderTemplate('n: {{ .Values.n }} ns: {{ .Release.Namespace | quote }} v: {{ .Values.a.b | quote }}', context)).toBe(
      'n: 3 ns: "ns" v: "x\\"y"',
    );
  });

  it('throws on any other template action instead of rendering it wrongly', () => {
    expect(() => renderTemplate('{{ include "x" . }}', context)).toThrow(/unsupported template action/);
    expect(() => renderTemplate('{{- .Values.n }}', context)).toThrow(/unsupported template action/);
  });

  it('throws for a value that is missing or not a scalar', () => {
    expect(() => renderTemplate('{{ .Values.missing }}', context)).toThrow(/\.Values\.missing is not set/);
    expect(() => renderTemplate('{{ .Values.a }}', context)).toThrow(/not a scalar/);
  });
});
