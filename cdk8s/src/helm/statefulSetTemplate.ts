/**
 * The StatefulSet as a template: pod-level fields from the values (scheduling, labels, service account), each
 * container's pull policy, resources and environment (database, discovery, settings), the app container's command,
 * args and probes as the values say, and the bundled PostgreSQL only without an external database.
 */
import { type Consumer, variable } from '@msk/contract';
import type { Loose } from '../manifestQueries';
import { withNodeIdentity } from '../nodeIdentityScript';
import { APP_CONTAINER, POSTGRES_CONTAINER } from '../nodeStatefulSet';
import type { Placeholders } from './chartPlaceholders';
import { CHART_NAME } from './chartHelpers';
import { either, spliceValue, TemplateMarkers, valueOr, when, withScalar, withValue } from './templateMarkers';
import {
  BUNDLED_DATABASE,
  DISCOVERY_KUBERNETES,
  EXTERNAL_DATABASE,
  LIVENESS_PATH,
  READINESS_PATH,
} from './valueExpressions';

/** The env entries whose value depends on where the database is, and the externalDatabase role each uses. */
const DATABASE_URL_ROLES: Readonly<Record<string, string>> = {
  DATABASE_URL: 'user',
  SYNC_DATABASE_URL: 'syncUser',
};
const DATABASE_PASSWORD_KEYS: Readonly<Record<string, string>> = {
  DATABASE_PASSWORD: 'passwordKey',
  SYNC_DATABASE_PASSWORD: 'syncPasswordKey',
};

/** An env list item → `- name/value` with the value a template. */
function itemLines(item: unknown): (indent: string) => string {
  return (indent) => TemplateMarkers.yamlAt([item], indent);
}

/** With externalDatabase: its URL for the role, its Secret and key for the password, DATABASE_TOPOLOGY=shared. */
function databaseEnvironment(item: Loose, container: string, markers: TemplateMarkers): Loose[] | undefined {
  const role = DATABASE_URL_ROLES[item.name as string];
  if (role) {
    const external = `include "${CHART_NAME}.externalDatabaseUrl" (dict "root" $ "user" $.Values.externalDatabase.${role}) | quote`;
    const url = {
      ...item,
      value: markers.scalar(
        `{{ if ${EXTERNAL_DATABASE} }}{{ ${external} }}{{ else }}${JSON.stringify(item.value)}{{ end }}`,
      ),
    };
    const topology =
      item.name === 'DATABASE_URL' && variable('DATABASE_TOPOLOGY').readBy.includes(container as Consumer);
    return topology
      ? [url, markers.line(when(EXTERNAL_DATABASE, { name: 'DATABASE_TOPOLOGY', value: 'shared' }))]
      : [url];
  }
  const passwordKey = DATABASE_PASSWORD_KEYS[item.name as string];
  if (passwordKey && item.valueFrom?.secretKeyRef) {
    const ref = item.valueFrom.secretKeyRef;
    const bundledKey = `index $.Values.secretKeys ${JSON.stringify(ref.key)}`;
    ref.name = markers.scalar(`{{ include "${CHART_NAME}.databaseSecretName" $ | quote }}`);
    ref.key = markers.scalar(
      `{{ ternary $.Values.externalDatabase.${passwordKey} (${bundledKey}) (not (empty ${EXTERNAL_DATABASE})) | quote }}`,
    );
    return [item];
  }
  return undefined;
}

function editEnvironment(
  env: Loose[],
  kubernetesEnv: Loose[],
  p: Placeholders,
  markers: TemplateMarkers,
  container: string,
): Loose[] {
  return env.flatMap((item) => {
    if (container !== 'postgres') {
      const database = databaseEnvironment(item, container, markers);
      if (database) return database;
    }
    if (item.valueFrom?.secretKeyRef) {
      const ref = item.valueFrom.secretKeyRef;
      ref.key = markers.scalar(`{{ index .Values.secretKeys ${JSON.stringify(ref.key)} | quote }}`);
    }
    if (item.name === 'SYNC_DISCOVERY') return { ...item, value: markers.scalar('{{ .Values.discovery | quote }}') };
    if (item.name === 'NEXTAUTH_URL')
      return { ...item, value: markers.scalar(`{{ include "${CHART_NAME}.publicUrl" $ | quote }}`) };
    if (item.name === 'SYNC_DNS_NAME') {
      const other = kubernetesEnv.find((e) => e.name === 'SYNC_KUBERNETES_SERVICE');
      if (!other) throw new Error('the kubernetes-discovery synth has no SYNC_KUBERNETES_SERVICE');
      return markers.line((indent) =>
        [
          `${indent}{{- if ${DISCOVERY_KUBERNETES} }}`,
          itemLines(other)(indent),
          `${indent}{{- else }}`,
          itemLines(item)(indent),
          `${indent}{{- end }}`,
        ].join('\n'),
      );
    }
    const setting = typeof item.value === 'string' ? p.settings.get(item.value) : undefined;
    if (setting === 'NODE_ENV')
      return { ...item, value: markers.scalar('{{ .Values.settings.NODE_ENV | default "production" | quote }}') };
    if (setting) {
      const value = markers.scalar(`{{ index .Values.settings ${JSON.stringify(setting)} | quote }}`);
      return markers.line(when(`hasKey .Values.settings ${JSON.stringify(setting)}`, { name: setting, value }));
    }
    return item;
  });
}

export function editStatefulSet(s: Loose, kubernetes: Loose, p: Placeholders, markers: TemplateMarkers): void {
  const template = s.spec.template;
  template.metadata.labels['msk.helm/pod-labels'] = markers.line(spliceValue('.Values.podLabels'));
  template.metadata.annotations = markers.line(withValue('.Values.podAnnotations'));
  const pod = template.spec;
  pod.affinity = markers.line(valueOr('.Values.affinity', pod.affinity));
  pod.automountServiceAccountToken = markers.scalar(`{{ ${DISCOVERY_KUBERNETES} }}`);
  pod.serviceAccountName = markers.scalar(`{{ include "${CHART_NAME}.serviceAccountName" $ }}`);
  pod.imagePullSecrets = markers.line(withValue('.Values.imagePullSecrets'));
  pod.nodeSelector = markers.line(withValue('.Values.nodeSelector'));
  pod.tolerations = markers.line(withValue('.Values.tolerations'));
  pod.topologySpreadConstraints = markers.line(withValue('.Values.topologySpreadConstraints'));
  pod.priorityClassName = markers.line(withScalar('.Values.priorityClassName'));
  for (const container of pod.containers as Loose[]) {
    const kubernetesContainer = kubernetes.spec.template.spec.containers.find((c: Loose) => c.name === container.name);
    container.imagePullPolicy = markers.scalar(`{{ .Values.image.${container.name}.pullPolicy }}`);
    container.resources = markers.line(withValue(`.Values.resources.${container.name}`));
    container.env = editEnvironment(container.env ?? [], kubernetesContainer?.env ?? [], p, markers, container.name);
  }
  pod.containers = (pod.containers as Loose[]).map((c) =>
    c.name === APP_CONTAINER ? editAppContainer(c, markers) : c,
  );
  // externalDatabase: no PostgreSQL container, none of its volumes, no claim template
  pod.containers = (pod.containers as Loose[]).map((c) =>
    c.name === POSTGRES_CONTAINER ? markers.line(when(BUNDLED_DATABASE, c)) : c,
  );
  pod.volumes = (pod.volumes as Loose[]).map((v) =>
    String(v.name).startsWith(`${POSTGRES_CONTAINER}-`) ? markers.line(when(BUNDLED_DATABASE, v)) : v,
  );
  for (const claim of s.spec.volumeClaimTemplates as Loose[]) {
    claim.metadata.annotations = markers.line(withValue('.Values.persistence.annotations'));
    claim.spec.storageClassName = markers.line((indent, key) =>
      [
        `${indent}{{- if eq .Values.persistence.storageClass "-" }}`,
        `${indent}${key}: ""`,
        `${indent}{{- else if .Values.persistence.storageClass }}`,
        `${indent}${key}: {{ .Values.persistence.storageClass | quote }}`,
        `${indent}{{- end }}`,
      ].join('\n'),
    );
  }
  s.spec.volumeClaimTemplates = markers.line(when(BUNDLED_DATABASE, s.spec.volumeClaimTemplates));
}

/** An HTTP probe as a TCP connect to the same port, with the same timing. */
function tcpProbe(probe: Loose): Loose {
  const { httpGet, ...timing } = probe;
  return { ...timing, tcpSocket: { port: httpGet.port } };
}

/** command and args from the values (lists of any length), the env extras, the probes as the paths say. */
function editAppContainer(container: Loose, markers: TemplateMarkers): Loose {
  const { name, command, args: _args, ...rest } = container;
  const entryScript = (command as string[]).slice(0, withNodeIdentity([]).length);
  const extraEnv = (indent: string) =>
    [
      `${indent}{{- range $name, $value := .Values.app.env }}`,
      `${indent}- name: {{ $name | quote }}`,
      `${indent}  value: {{ $value | quote }}`,
      `${indent}{{- end }}`,
    ].join('\n');
  const { startupProbe, livenessProbe, readinessProbe } = rest;
  // readiness without its own path: the liveness check with readiness timing
  const readinessByLiveness = {
    ...readinessProbe,
    httpGet: { ...readinessProbe.httpGet, path: livenessProbe.httpGet.path },
  };
  return {
    name,
    // a line marker may not be a list item's first key: name stays first
    command: markers.line((indent, key) =>
      [
        TemplateMarkers.yamlAt({ [key]: entryScript }, indent),
        `${indent}  {{- range .Values.app.command }}`,
        `${indent}  - {{ . | quote }}`,
        `${indent}  {{- end }}`,
      ].join('\n'),
    ),
    args: markers.line(withValue('.Values.app.args')),
    ...rest,
    env: [...rest.env, markers.line(extraEnv)],
    startupProbe: markers.line(either(LIVENESS_PATH, startupProbe, tcpProbe(startupProbe))),
    livenessProbe: markers.line(either(LIVENESS_PATH, livenessProbe, tcpProbe(livenessProbe))),
    readinessProbe: markers.line((indent, key) =>
      [
        `${indent}{{- if ${READINESS_PATH} }}`,
        TemplateMarkers.yamlAt({ [key]: readinessProbe }, indent),
        `${indent}{{- else if ${LIVENESS_PATH} }}`,
        TemplateMarkers.yamlAt({ [key]: readinessByLiveness }, indent),
        `${indent}{{- else }}`,
        TemplateMarkers.yamlAt({ [key]: tcpProbe(readinessProbe) }, indent),
        `${indent}{{- end }}`,
      ].join('\n'),
    ),
  };
}
