import { parse } from 'yaml';
import { resolvePlatformConfig } from './platformConfigSchema';
import { chartValueTree, valuesSchema } from './helmChart';
import type { ValueTree } from './helm/chartValues';
import { platformConfig } from './platform.config';
import { CHART_DIR, sharedSecretKeys, synthesizeFiles } from './synthOutputs';

const config = resolvePlatformConfig(platformConfig);
const files = synthesizeFiles(config);
const chartFile = (path: string) => {
  const text = files.get(`${CHART_DIR}/${path}`);
  if (text === undefined) throw new Error(`the synth wrote no ${CHART_DIR}/${path}`);
  return text;
};
const templates = [...files].filter(([path]) => path.startsWith(`${CHART_DIR}/templates/`) && path.endsWith('.yaml'));

describe('the generated Helm chart', () => {
  it('names every object from the release (fullname helper) and puts it in the release namespace', () => {
    for (const [path, text] of templates) {
      expect([path, /^ {2}name: .*include "multi-server-kit\.(fullname|serviceAccountName)" \$/m.test(text)]).toEqual([
        path,
        true,
      ]);
      expect([path, text.includes('namespace: {{ .Release.Namespace | quote }}')]).toEqual([path, true]);
      expect(text).not.toContain('multi-server-kit-peers');
    }
  });

  it('labels every object through the helpers (helm.sh/chart, managed-by Helm) and selects pods by name and instance only', () => {
    const helpers = chartFile('templates/_helpers.tpl');
    expect(helpers).toContain('helm.sh/chart: {{ include "multi-server-kit.chart" . }}');
    expect(helpers).toContain('app.kubernetes.io/managed-by: {{ .Release.Service }}');
    expect(helpers).toMatch(
      /define "multi-server-kit.selectorLabels" -}}\napp.kubernetes.io\/name: .*\napp.kubernetes.io\/instance: \{\{ \.Release\.Name \}\}\n\{\{- end \}\}/,
    );
    for (const [path, text] of templates) {
      if (path.includes('/tests/')) expect(text).toContain('include "multi-server-kit.testLabels"');
      else
        expect([path, text.includes('{{- include "multi-server-kit.labels" $ | nindent 4 }}')]).toEqual([path, true]);
    }
  });

  it('seeds the node IDs with the release namespace and the release-derived full name', () => {
    expect(chartFile('templates/statefulset.yaml')).toContain(
      'value: "{{ .Release.Namespace }}/{{ include "multi-server-kit.fullname" $ }}"',
    );
  });

  it('makes NEXTAUTH_URL https when the Ingress has TLS, from the one ingress host', () => {
    expect(chartFile('templates/statefulset.yaml')).toContain(
      '- name: NEXTAUTH_URL\n              value: {{ include "multi-server-kit.publicUrl" $ | quote }}',
    );
    expect(chartFile('templates/_helpers.tpl')).toContain(
      '(ternary "https" "http" (gt (len .Values.ingress.tls) 0)) (index .Values.ingress.hosts 0).host',
    );
  });

  it('refuses a persistence.size or storageClass change on upgrade by looking up the installed StatefulSet', () => {
    expect(chartFile('templates/statefulset.yaml')).toMatch(
      /^\{\{- include "multi-server-kit.checkClaimTemplate" \. \}\}$/m,
    );
    const helpers = chartFile('templates/_helpers.tpl');
    expect(helpers).toContain('lookup "apps/v1" "StatefulSet" .Release.Namespace $fullname');
    expect(helpers).toContain('fail (printf "persistence.size cannot change after install');
    expect(helpers).toContain('fail (printf "persistence.storageClass cannot change after install');
  });

  it('switches discovery, egress, settings and the optional objects with values', () => {
    const statefulSet = chartFile('templates/statefulset.yaml');
    expect(statefulSet).toContain(
      '{{- if eq .Values.discovery "kubernetes" }}\n            - name: SYNC_KUBERNETES_SERVICE',
    );
    expect(statefulSet).toContain('{{- if hasKey .Values.settings "TRUSTED_PROXIES" }}');
    expect(statefulSet).toContain('{{- with .Values.resources.postgres }}');
    expect(chartFile('templates/role-discovery.yaml')).toContain('{{- if eq .Values.discovery "kubernetes" }}');
    expect(chartFile('templates/networkpolicy.yaml')).toContain(
      '{{- if eq .Values.networkPolicy.egress "unrestricted" }}',
    );
    expect(chartFile('templates/ingress.yaml')).toContain('{{- if .Values.ingress.enabled }}');
    expect(chartFile('templates/servicemonitor.yaml')).toContain(
      '.Capabilities.APIVersions.Has "monitoring.coreos.com/v1"',
    );
    expect(chartFile('templates/prometheusrule.yaml')).toContain('.Files.Get "files/prometheus-rules.yaml"');
  });

  it('has a helm test hook pod in the sync image and never writes into files/', () => {
    const pod = chartFile('templates/tests/pod-test.yaml');
    expect(pod).toContain('helm.sh/hook: test');
    expect(pod).toContain('image: "{{ .Values.image.sync.repository }}:{{ .Values.image.sync.tag }}"');
    expect([...files.keys()].filter((path) => path.startsWith(`${CHART_DIR}/files/`))).toEqual([]);
  });

  it('writes Chart.yaml with apiVersion v2, the chart version and the app tag as a quoted appVersion', () => {
    const custom = synthesizeFiles(
      resolvePlatformConfig({
        ...platformConfig,
        images: { ...platformConfig.images, app: { repository: 'a/app', tag: '1.0' } },
      }),
    );
    expect(custom.get(`${CHART_DIR}/Chart.yaml`)).toContain('appVersion: "1.0"');
    expect(parse(chartFile('Chart.yaml'))).toMatchObject({
      apiVersion: 'v2',
      name: 'multi-server-kit',
      version: '0.4.0',
      type: 'application',
    });
  });
});

describe('values.yaml', () => {
  const values = parse(chartFile('values.yaml')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  it("holds the configuration of platform.config.ts as defaults, under Helm's conventional names", () => {
    expect(values).toMatchObject({
      replicaCount: 2,
      image: {
        app: { repository: 'multi-server-kit/app', tag: '0.1.0', pullPolicy: 'IfNotPresent' },
        postgres: { repository: 'postgres', tag: '17.6-bookworm' },
      },
      ingress: {
        enabled: true,
        hosts: [{ host: 'platform.example.com', paths: [{ path: '/', pathType: 'Prefix' }] }],
        tls: [],
      },
      persistence: { size: '10Gi', storageClass: '' },
      existingSecret: '',
      networkPolicy: {
        enabled: true,
        ingressFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
      },
      resources: { app: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1000m', memory: '512Mi' } } },
      settings: { TRUSTED_PROXIES: '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16' },
      discovery: 'dns',
    });
    expect(Object.keys(values.secretKeys)).toEqual(sharedSecretKeys(config).map((k) => k.key));
  });

  it('documents every value with its description as the comment right above it', () => {
    const lines = chartFile('values.yaml').split('\n');
    let from = 0;
    const walk = (tree: ValueTree, indent: string) => {
      for (const [key, spec] of Object.entries(tree)) {
        const at = lines.findIndex((line, index) => index >= from && line.startsWith(`${indent}${key}:`));
        expect([key, at]).not.toEqual([key, -1]);
        const comment: string[] = [];
        for (let index = at - 1; index >= 0 && lines[index]?.startsWith(`${indent}# `); index -= 1)
          comment.unshift((lines[index] as string).slice(indent.length + 2));
        expect(comment.join(' ')).toBe(spec.description);
        from = at + 1;
        if (spec.children) walk(spec.children, `${indent}  `);
      }
    };
    walk(
      chartValueTree(
        config,
        sharedSecretKeys(config).map((k) => k.key),
      ),
      '',
    );
  });
});

describe('values.schema.json', () => {
  const schema = valuesSchema(
    chartValueTree(
      config,
      sharedSecretKeys(config).map((k) => k.key),
    ),
  ) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const at = (path: string) => path.split('.').reduce((node, key) => node.properties[key], schema);
  const accepts = (path: string, value: string) => {
    const definition = at(path) as { pattern: string; not?: { pattern: string } };
    return (
      new RegExp(definition.pattern).test(value) && !(definition.not && new RegExp(definition.not.pattern).test(value))
    );
  };

  it("closes the chart's own keys, so a typo is refused", () => {
    for (const path of [
      'image',
      'image.app',
      'ingress',
      'persistence',
      'networkPolicy',
      'metrics',
      'metrics.serviceMonitor',
      'serviceAccount',
      'secretKeys',
      'settings',
      'resources',
    ]) {
      expect([path, at(path).additionalProperties]).toEqual([path, false]);
    }
    expect(schema.additionalProperties).toBe(false);
  });

  it("leaves Kubernetes' free-form types open", () => {
    expect(at('resources.app')).toMatchObject({ type: 'object' });
    expect(at('resources.app').additionalProperties).toBeUndefined();
    expect(at('affinity').additionalProperties).toBeUndefined();
    expect(at('tolerations')).toMatchObject({ type: 'array', items: { type: 'object' } });
    expect(at('podAnnotations')).toMatchObject({ type: 'object', additionalProperties: { type: 'string' } });
  });

  it('describes every value', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const walk = (node: Record<string, any>, path: string) => {
      for (const [key, child] of Object.entries(node.properties ?? {})) {
        expect([`${path}${key}`, typeof (child as { description?: string }).description]).toEqual([
          `${path}${key}`,
          'string',
        ]);
        if ((child as { additionalProperties?: unknown }).additionalProperties === false)
          walk(child as Record<string, any>, `${path}${key}.`); // eslint-disable-line @typescript-eslint/no-explicit-any
      }
    };
    walk(schema, '');
  });

  it('refuses a bad image tag (latest is refused by the templates), a host with a scheme, a size without binary unit', () => {
    expect(accepts('image.app.tag', '0.1.0')).toBe(true);
    expect(accepts('image.app.tag', 'v1/evil')).toBe(false);
    expect(chartFile('templates/_helpers.tpl')).toContain(
      '{{- if eq (lower (toString (index $.Values.image $container).tag)) "latest" }}',
    );
    expect(accepts('persistence.size', '10Gi')).toBe(true);
    expect(accepts('persistence.size', '10GB')).toBe(false);
    const host = at('ingress.hosts').items.properties.host.pattern as string;
    expect(new RegExp(host).test('platform.example.com')).toBe(true);
    expect(new RegExp(host).test('https://platform.example.com')).toBe(false);
  });

  it('bounds replicas like the configuration does and allows exactly one ingress host', () => {
    expect(at('replicaCount')).toMatchObject({ type: 'integer', minimum: 1, maximum: 64 });
    expect(at('ingress.hosts')).toMatchObject({ minItems: 1, maxItems: 1 });
  });
});
