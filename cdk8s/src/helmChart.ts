/**
 * The Helm chart, generated from the same cdk8s code as the plain manifests. A few scalar knobs become Helm
 * values; everything else stays static (structural choices — TLS, discovery mode, network policy — are made in
 * platform.config.ts and re-synthesized).
 *
 * How one source of truth is kept: the chart is synthesized once more with a unique placeholder in place of each
 * knob's value; every manifest field that contains a placeholder becomes a `{{ .Values.<path> }}` template, and
 * values.yaml holds the real configuration's values. Rendering the templates with values.yaml therefore gives
 * the plain manifests back — a test renders them with real Helm (tests/kubernetes/chartDrift.test.ts) and compares.
 */
import { stringify } from 'yaml';
import type { ResolvedPlatformConfig } from './config';
import { DNS_SUBDOMAIN_PATTERN, IMAGE_REPOSITORY_PATTERN, IMAGE_TAG_PATTERN, MAX_REPLICAS, STORAGE_SIZE_PATTERN } from './config';
import type { KubernetesObject } from './kubernetesObject';

export const CHART_NAME = 'multi-server-kit';
/** Bump when the templates change in a way users should notice. */
export const CHART_VERSION = '0.1.0';
export const MIN_KUBERNETES_VERSION = '>=1.27.0-0';
export const RELEASE_NAMESPACE = '.Release.Namespace';

interface Knob {
  /** Path in both PlatformConfig and values.yaml. */
  readonly path: readonly string[];
  readonly description: string;
  readonly schema: Record<string, unknown>;
}

const IMAGE_KNOBS: Knob[] = (['app', 'sync', 'postgres'] as const).flatMap((which) => [
  {
    path: ['images', which, 'repository'],
    description: `Image of the ${which} container, without tag.`,
    schema: { type: 'string', pattern: IMAGE_REPOSITORY_PATTERN },
  },
  {
    path: ['images', which, 'tag'],
    description: `Pinned tag of the ${which} image (never latest).`,
    schema: { type: 'string', pattern: IMAGE_TAG_PATTERN, not: { pattern: '^[Ll][Aa][Tt][Ee][Ss][Tt]$' } },
  },
]);

/** The values of the chart. Their defaults are the configuration in platform.config.ts. */
export const KNOBS: readonly Knob[] = [
  { path: ['replicas'], description: 'Number of nodes (pods).', schema: { type: 'integer', minimum: 1, maximum: MAX_REPLICAS } },
  { path: ['host'], description: 'The one host name users open (Ingress rule, NEXTAUTH_URL).', schema: { type: 'string', pattern: DNS_SUBDOMAIN_PATTERN } },
  {
    path: ['sharedSecretName'],
    description: 'Name of the existing Secret with the shared secrets (written by `npm run init`).',
    schema: { type: 'string', pattern: DNS_SUBDOMAIN_PATTERN },
  },
  { path: ['postgres', 'storageSize'], description: 'Size of each node\'s data volume.', schema: { type: 'string', pattern: STORAGE_SIZE_PATTERN } },
  ...IMAGE_KNOBS,
];

/** A number no manifest field holds by accident (replicas is at most 64). */
const NUMBER_PLACEHOLDER_BASE = 700_000_001;

function placeholderFor(index: number, current: unknown): string | number {
  return typeof current === 'number' ? NUMBER_PLACEHOLDER_BASE + index : `mskhelmvalue${String(index).padStart(3, '0')}x`;
}

function getPath(object: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], object);
}

function setPath<T>(object: T, path: readonly string[], value: unknown): T {
  const [head, ...rest] = path as [string, ...string[]];
  const record = object as Record<string, unknown>;
  return { ...record, [head]: rest.length === 0 ? value : setPath(record[head] ?? {}, rest, value) } as T;
}

export interface Placeholders {
  /** The configuration with each knob (and the namespace) replaced by its placeholder. */
  readonly config: ResolvedPlatformConfig;
  /** Placeholder → template expression (without braces), e.g. `.Values.host`. */
  readonly expressions: ReadonlyMap<string | number, string>;
}

export function placeholderConfig(config: ResolvedPlatformConfig): Placeholders {
  let withPlaceholders = config;
  const expressions = new Map<string | number, string>();
  KNOBS.forEach((knob, index) => {
    const placeholder = placeholderFor(index, getPath(config, knob.path));
    withPlaceholders = setPath(withPlaceholders, knob.path, placeholder);
    expressions.set(placeholder, `.Values.${knob.path.join('.')}`);
  });
  const namespacePlaceholder = placeholderFor(KNOBS.length, config.namespace);
  withPlaceholders = { ...withPlaceholders, namespace: namespacePlaceholder as string };
  expressions.set(namespacePlaceholder, RELEASE_NAMESPACE);
  return { config: withPlaceholders, expressions };
}

/** A manifest value turned into template text, kept behind a marker until the YAML is written. */
class TemplateMarkers {
  private readonly templates = new Map<string, string>();

  mark(template: string): string {
    const marker = `mskhelmtemplate${String(this.templates.size).padStart(5, '0')}x`;
    this.templates.set(marker, template);
    return marker;
  }

  replaceIn(text: string): string {
    return text.replace(/mskhelmtemplate\d{5}x/g, (marker) => {
      const template = this.templates.get(marker);
      if (template === undefined) throw new Error(`unknown template marker ${marker}`);
      return template;
    });
  }
}

/** Turns every field holding a placeholder into a template (behind a marker), recording the placeholders it met in `seen`. */
function templatize(node: unknown, placeholders: Placeholders, markers: TemplateMarkers, seen: Set<string | number>): unknown {
  if (typeof node === 'number') {
    const expression = placeholders.expressions.get(node);
    if (expression === undefined) return node;
    seen.add(node);
    return markers.mark(`{{ ${expression} }}`);
  }
  if (typeof node === 'string') {
    const stringPlaceholders = [...placeholders.expressions.keys()].filter((p): p is string => typeof p === 'string' && node.includes(p));
    if (stringPlaceholders.length === 0) return node;
    stringPlaceholders.forEach((p) => seen.add(p));
    const whole = placeholders.expressions.get(node);
    if (whole !== undefined) return markers.mark(`{{ ${whole} | quote }}`);
    // a value inside a longer string: a double-quoted YAML string with the expression inside (the values schema
    // keeps these values to characters that need no escaping)
    const pattern = new RegExp(stringPlaceholders.join('|'), 'g');
    const parts = node.split(pattern).map((part) => JSON.stringify(part).slice(1, -1));
    const expressions = node.match(pattern) ?? [];
    const inner = parts.map((part, i) => part + (i < expressions.length ? `{{ ${placeholders.expressions.get(expressions[i] as string)} }}` : '')).join('');
    return markers.mark(`"${inner}"`);
  }
  if (Array.isArray(node)) return node.map((item) => templatize(item, placeholders, markers, seen));
  if (node !== null && typeof node === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if ([...placeholders.expressions.keys()].some((p) => typeof p === 'string' && key.includes(p))) {
        throw new Error(`a Helm value ended up in the key '${key}'; values may only appear in field values`);
      }
      result[key] = templatize(value, placeholders, markers, seen);
    }
    return result;
  }
  return node;
}

export const GENERATED_HEADER = '# Generated by `npm run synth` from cdk8s/src (cdk8s + cdk8s-plus-27). Do not edit: edit cdk8s/src/platform.config.ts and re-run.\n';

export function templateFileName(object: KubernetesObject): string {
  return `${object.kind.toLowerCase()}-${object.metadata.name}.yaml`;
}

/**
 * Templates from the objects synthesized with placeholders, keyed by file name under `templates/`, in the order
 * of the objects. Fails if a knob's value appears nowhere (it would be a value that does nothing).
 */
export function helmTemplates(placeholderObjects: readonly KubernetesObject[], placeholders: Placeholders, realObjects: readonly KubernetesObject[]): Map<string, string> {
  const markers = new TemplateMarkers();
  const seen = new Set<string | number>();
  const templates = new Map<string, string>();
  placeholderObjects.forEach((object, index) => {
    const real = realObjects[index];
    if (!real || real.kind !== object.kind) throw new Error('the placeholder synth produced different objects than the real one');
    const templated = templatize(object, placeholders, markers, seen);
    templates.set(templateFileName(real), GENERATED_HEADER + markers.replaceIn(stringify(templated, { lineWidth: 0 })));
  });
  const unused = [...placeholders.expressions].filter(([placeholder]) => !seen.has(placeholder)).map(([, expression]) => expression);
  if (unused.length > 0) throw new Error(`Helm values used by no manifest: ${unused.join(', ')}`);
  return templates;
}

export function valuesYaml(config: ResolvedPlatformConfig): string {
  let values: Record<string, unknown> = {};
  for (const knob of KNOBS) values = setPath(values, knob.path, getPath(config, knob.path));
  return (
    '# Default values = cdk8s/src/platform.config.ts. Generated by `npm run synth`; override with --set or -f.\n' +
    '# The namespace is the release namespace (helm install -n <namespace>); put the shared Secret there first.\n' +
    stringify(values, { lineWidth: 0 })
  );
}

/** JSON Schema of the values: Helm refuses a value that does not match (e.g. `latest` or a bad host). */
export function valuesSchema(): Record<string, unknown> {
  let properties: Record<string, unknown> = {};
  for (const knob of KNOBS) {
    properties = setSchemaPath(properties, knob.path, { ...knob.schema, description: knob.description });
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: `Values of the ${CHART_NAME} chart`,
    type: 'object',
    additionalProperties: false,
    required: Object.keys(properties),
    // Helm adds `global` when the chart is used as a dependency
    properties: { ...properties, global: { type: 'object', description: 'Helm global values (unused by this chart).' } },
  };
}

function setSchemaPath(properties: Record<string, unknown>, path: readonly string[], leaf: Record<string, unknown>): Record<string, unknown> {
  const [head, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) return { ...properties, [head]: leaf };
  const existing = (properties[head] as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
  const nested = setSchemaPath(existing, rest, leaf);
  return {
    ...properties,
    [head]: { type: 'object', additionalProperties: false, required: Object.keys(nested), properties: nested },
  };
}

export function chartYaml(config: ResolvedPlatformConfig): string {
  // quoted strings: a version such as 1.0 must stay a string
  return stringify({
    apiVersion: 'v2',
    name: CHART_NAME,
    description: 'Multi-Server Kit: one Next.js + NextAuth platform on several nodes (app + sync + PostgreSQL per pod). Generated by cdk8s.',
    type: 'application',
    version: CHART_VERSION,
    appVersion: config.images.app.tag,
    kubeVersion: MIN_KUBERNETES_VERSION,
  }, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0 });
}

/** The keys the shared Secret must (or may) hold, as a Markdown list. */
export function secretKeyList(keys: readonly { key: string; optional: boolean }[]): string {
  return keys.map(({ key, optional }) => `- \`${key}\`${optional ? ' (optional)' : ''}`).join('\n');
}

export function chartReadme(secretKeys: readonly { key: string; optional: boolean }[]): string {
  const rows = KNOBS.map((knob) => `| \`${knob.path.join('.')}\` | ${knob.description} |`).join('\n');
  return [
    `# ${CHART_NAME} Helm chart`,
    '',
    'Generated by `npm run synth` from the cdk8s code in `cdk8s/src` — never edit these files by hand.',
    'The templates are the same manifests as `kubernetes/multi-server-kit.yaml`; rendered with the default',
    'values they are identical (a test proves it).',
    '',
    'Create the namespace and the shared Secret first (`npm run init` writes `deploy/kubernetes-secret.yaml`), then:',
    '',
    '```sh',
    `helm install ${CHART_NAME} charts/${CHART_NAME} --namespace <namespace> --set host=platform.example.com`,
    '```',
    '',
    '| value | meaning |',
    '|---|---|',
    rows,
    '',
    'The shared Secret (value `sharedSecretName`) is referenced by these keys, never created by the chart:',
    '',
    secretKeyList(secretKeys),
    '',
    'Everything else (TLS, discovery mode, network policy, resources, settings) is chosen in',
    '`cdk8s/src/platform.config.ts`; re-run `npm run synth` to regenerate the chart.',
    '',
  ].join('\n');
}
