/**
 * The chart is synthesized from a configuration whose Helm-controlled fields hold placeholders (strings and numbers
 * no manifest holds by accident); templatize turns every field holding one into a template expression.
 */
import type { ResolvedPlatformConfig } from '../platformConfigTypes';
import { CHART_NAME } from './chartHelpers';
import { chartSettings } from './chartValues';
import type { TemplateMarkers } from './templateMarkers';
import { APP_PORT_VALUE, LIVENESS_PATH, READINESS_PATH } from './valueExpressions';

const FULLNAME = `include "${CHART_NAME}.fullname" $`;
/** Numbers no manifest field holds by accident (replicas is at most 64, ports at most 65535). */
const NUMBER_PLACEHOLDER = 700_000_001;
const APP_PORT_PLACEHOLDER = 700_000_002;
const APP_USER_PLACEHOLDER = 700_000_003;

export interface Placeholders {
  readonly config: ResolvedPlatformConfig;
  /** Placeholder → template expression (without braces). */
  readonly expressions: ReadonlyMap<string | number, string>;
  /** Placeholder → the contract setting it stands for. */
  readonly settings: ReadonlyMap<string, string>;
  readonly name: string;
}

export function placeholders(config: ResolvedPlatformConfig): Placeholders {
  const expressions = new Map<string | number, string>();
  const text = (expression: string) => {
    const placeholder = `mskhelmvalue${String(expressions.size).padStart(3, '0')}x`;
    expressions.set(placeholder, expression);
    return placeholder;
  };
  const image = (which: 'app' | 'sync' | 'postgres') => ({
    repository: text(`.Values.image.${which}.repository`),
    tag: text(`.Values.image.${which}.tag`),
  });
  expressions.set(NUMBER_PLACEHOLDER, '.Values.replicaCount');
  expressions.set(APP_PORT_PLACEHOLDER, APP_PORT_VALUE);
  // the port inside strings (PORT, SYNC_HTTP_PORT, PostgreSQL's wait for the app)
  expressions.set(String(APP_PORT_PLACEHOLDER), APP_PORT_VALUE);
  expressions.set(APP_USER_PLACEHOLDER, '.Values.app.runAsUser');
  const settings = new Map<string, string>();
  const settingValues: Record<string, string> = {};
  for (const { name } of chartSettings()) {
    const placeholder = `mskhelmsetting${String(settings.size).padStart(3, '0')}x`;
    settings.set(placeholder, name);
    settingValues[name] = placeholder;
  }
  const name = text(FULLNAME);
  const withPlaceholders: ResolvedPlatformConfig = {
    ...config,
    name,
    namespace: text('.Release.Namespace'),
    replicas: NUMBER_PLACEHOLDER,
    sharedSecretName: text(`include "${CHART_NAME}.secretName" $`),
    images: { app: image('app'), sync: image('sync'), postgres: image('postgres') },
    app: {
      ...config.app,
      port: APP_PORT_PLACEHOLDER,
      runAsUser: APP_USER_PLACEHOLDER,
      cacheMountPath: text('.Values.app.cacheMountPath'),
      // command and args are written by editStatefulSet (lists of any length)
      args: [],
      env: {},
      probes: { livenessPath: text(LIVENESS_PATH), readinessPath: text(READINESS_PATH) },
    },
    replicatedTables: [text('join "," .Values.replication.tables')],
    postgres: { ...config.postgres, storageSize: text('.Values.persistence.size'), storageClassName: undefined },
    // the bundled shape is synthesized; the values switch it to the external database (editStatefulSet)
    externalDatabase: undefined,
    clusterDomain: text('.Values.clusterDomain'),
    tls: undefined,
    ingressClassName: undefined,
    ingressAnnotations: {},
    discovery: 'dns',
    // both rules get a `from` the values then replace
    networkPolicy: {
      appReachableFrom: { namespace: 'placeholder' },
      metricsReachableFrom: { namespace: 'placeholder' },
      egress: 'restricted',
    },
    settings: settingValues,
  };
  return { config: withPlaceholders, expressions, settings, name };
}

/** Every field holding a placeholder becomes a scalar marker; fails on literal `{{` (Helm would read it). */
export function templatize(
  node: unknown,
  p: Placeholders,
  markers: TemplateMarkers,
  seen: Set<string | number>,
): unknown {
  if (typeof node === 'number') {
    const expression = p.expressions.get(node);
    if (expression === undefined) return node;
    seen.add(node);
    return markers.scalar(`{{ ${expression} }}`);
  }
  if (typeof node === 'string') {
    if (node.includes('{{'))
      throw new Error(`a manifest value contains '{{', which Helm would read as a template: ${node.slice(0, 80)}`);
    const found = [...p.expressions.keys()].filter((k): k is string => typeof k === 'string' && node.includes(k));
    if (found.length === 0) return node;
    found.forEach((k) => seen.add(k));
    const whole = p.expressions.get(node);
    if (whole !== undefined) return markers.scalar(`{{ ${whole} | quote }}`);
    // a value inside a longer string: a double-quoted YAML string with the expressions inside (the values schema
    // keeps these values to characters that need no escaping)
    const pattern = new RegExp(found.join('|'), 'g');
    const parts = node.split(pattern).map((part) => JSON.stringify(part).slice(1, -1));
    const matches = node.match(pattern) ?? [];
    return markers.scalar(
      `"${parts.map((part, i) => part + (i < matches.length ? `{{ ${p.expressions.get(matches[i] as string)} }}` : '')).join('')}"`,
    );
  }
  if (Array.isArray(node)) return node.map((item) => templatize(item, p, markers, seen));
  if (node !== null && typeof node === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if ([...p.expressions.keys()].some((k) => typeof k === 'string' && key.includes(k))) {
        throw new Error(`a Helm value ended up in the key '${key}'; values may only appear in field values`);
      }
      result[key] = templatize(value, p, markers, seen);
    }
    return result;
  }
  return node;
}
