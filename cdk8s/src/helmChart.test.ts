import { parse } from 'yaml';
import { resolvePlatformConfig } from './config';
import { helmTemplates, KNOBS, placeholderConfig, valuesSchema } from './helmChart';
import { platformConfig } from './platform.config';
import { CHART_DIR, synthesizeFiles, synthesizeObjects } from './synthOutputs';

function defaultValues(files: ReadonlyMap<string, string>): unknown {
  return parse(files.get(`${CHART_DIR}/values.yaml`) as string);
}

describe('the generated Helm chart', () => {
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
