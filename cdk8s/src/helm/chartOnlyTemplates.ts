/** The objects only the chart has: ServiceMonitor, PrometheusRule, Grafana dashboard, and the helm test hook. */
import type { LabelScheme } from '../labels';
import type { Loose } from '../manifestQueries';
import { APP_METRICS_PORT_NAME, METRICS_PATH, SYNC_METRICS_PORT, SYNC_METRICS_PORT_NAME } from '../metricsPorts';
import { COMPONENT_LABEL, METRICS_COMPONENT } from '../networking';
import { type Placeholders, templatize } from './chartPlaceholders';
import { CHART_NAME } from './chartHelpers';
import { CHART_TEST_SCRIPT } from './chartTestScript';
import { include, spliceValue, TemplateMarkers, withScalar, withValue } from './templateMarkers';
import { GRAFANA_DASHBOARD_FILE, PROMETHEUS_RULES_FILE, type Template } from './templateFile';
import { APP_PORT_VALUE, SYNC_PORT } from './valueExpressions';

/** The chart-only objects, each with its file name and condition. */
export function chartOnlyTemplates(
  p: Placeholders,
  labels: LabelScheme,
  markers: TemplateMarkers,
  seen: Set<string | number>,
): Template[] {
  const t = (object: unknown) => templatize(object, p, markers, seen) as Loose;
  const metadata = (suffix: string, extra: Record<string, unknown> = {}) => ({
    name: `${p.name}${suffix}`,
    namespace: p.config.namespace,
    ...extra,
  });
  const monitoringLabels = (expression: string) => ({
    ...labels.common,
    'msk.helm/extra-labels': markers.line(spliceValue(expression)),
  });
  const endpoint = (port: string) => ({
    port,
    path: METRICS_PATH,
    interval: markers.scalar('{{ .Values.metrics.serviceMonitor.interval | quote }}'),
    scrapeTimeout: markers.line(withScalar('.Values.metrics.serviceMonitor.scrapeTimeout')),
  });
  const serviceMonitor = t({
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: metadata('', { labels: monitoringLabels('.Values.metrics.serviceMonitor.labels') }),
    spec: {
      selector: { matchLabels: { ...labels.selector, [COMPONENT_LABEL]: METRICS_COMPONENT } },
      namespaceSelector: { matchNames: [p.config.namespace] },
      endpoints: [endpoint(APP_METRICS_PORT_NAME), endpoint(SYNC_METRICS_PORT_NAME)],
    },
  });
  const prometheusRule = t({
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: metadata('', { labels: monitoringLabels('.Values.metrics.prometheusRule.labels') }),
    spec: markers.line((indent, key) => `${indent}${key}:\n${indent}  {{- $rules | nindent ${indent.length + 2} }}`),
  });
  const dashboard = t({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metadata('-grafana-dashboard', {
      labels: monitoringLabels('.Values.metrics.grafanaDashboard.labels'),
      annotations: markers.line(withValue('.Values.metrics.grafanaDashboard.annotations')),
    }),
    data: { [`${CHART_NAME}.json`]: markers.scalar('{{ $dashboard | toJson }}') },
  });
  const crdCheck = (what: string) =>
    `{{- if not (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1") }}\n` +
    `{{- fail "${what} needs the Prometheus Operator's CRDs (monitoring.coreos.com/v1), which this cluster lacks: install them or set ${what}=false" }}\n` +
    '{{- end }}';

  const testLabels = { 'msk.helm/test-labels': markers.line(include(`${CHART_NAME}.testLabels`)) };
  const hook = (weight: string) => ({
    'helm.sh/hook': 'test',
    'helm.sh/hook-weight': weight,
    'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
  });
  const secretEnv = (name: string, key: string, optional: boolean) => ({
    name,
    valueFrom: {
      secretKeyRef: {
        name: p.config.sharedSecretName,
        key: markers.scalar(`{{ index .Values.secretKeys ${JSON.stringify(key)} | quote }}`),
        optional,
      },
    },
  });
  const testPod = t({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: metadata('-test', { labels: testLabels, annotations: hook('0') }),
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      imagePullSecrets: markers.line(withValue('.Values.imagePullSecrets')),
      containers: [
        {
          name: 'peers-and-sessions',
          image: `${p.config.images.sync.repository}:${p.config.images.sync.tag}`,
          imagePullPolicy: markers.scalar('{{ .Values.image.sync.pullPolicy }}'),
          command: ['node', '-e', CHART_TEST_SCRIPT],
          env: [
            { name: 'REPLICAS', value: markers.scalar('{{ .Values.replicaCount | quote }}') },
            { name: 'STATEFUL_SET', value: p.name },
            { name: 'PEERS_DOMAIN', value: `${p.name}-peers.${p.config.namespace}.svc.${p.config.clusterDomain}` },
            { name: 'APP_PORT', value: markers.scalar(`{{ ${APP_PORT_VALUE} | quote }}`) },
            { name: 'SYNC_PORT', value: String(SYNC_PORT) },
            { name: 'SYNC_METRICS_PORT', value: String(SYNC_METRICS_PORT) },
            {
              name: 'ADMIN_EMAIL',
              value: markers.scalar('{{ index .Values.settings "ADMIN_EMAIL" | default "" | quote }}'),
            },
            secretEnv('NEXTAUTH_SECRET', 'NEXTAUTH_SECRET', false),
            secretEnv('ADMIN_PASSWORD', 'ADMIN_PASSWORD', true),
          ],
          resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
          securityContext: {
            runAsUser: p.config.sync.runAsUser,
            runAsGroup: p.config.sync.runAsUser,
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          },
        },
      ],
    },
  });
  const tcp = (port: number) => ({ protocol: 'TCP', port });
  const testPolicy = t({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: metadata('-test', { labels: testLabels, annotations: hook('-1') }),
    spec: {
      podSelector: { matchLabels: { ...labels.selector } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          ports: [
            { protocol: 'TCP', port: markers.scalar(`{{ ${APP_PORT_VALUE} }}`) },
            tcp(SYNC_PORT),
            tcp(SYNC_METRICS_PORT),
          ],
          from: [
            {
              podSelector: {
                matchLabels: { 'msk.helm/test-selector': markers.line(include(`${CHART_NAME}.testSelectorLabels`)) },
              },
            },
          ],
        },
      ],
    },
  });
  return [
    {
      file: 'servicemonitor.yaml',
      condition: 'and .Values.metrics.enabled .Values.metrics.serviceMonitor.enabled',
      prefix: crdCheck('metrics.serviceMonitor.enabled'),
      object: serviceMonitor,
    },
    {
      file: 'prometheusrule.yaml',
      condition: 'and .Values.metrics.prometheusRule.enabled (.Files.Get "files/prometheus-rules.yaml")',
      prefix: `${crdCheck('metrics.prometheusRule.enabled')}\n{{- $rules := .Files.Get "${PROMETHEUS_RULES_FILE}" }}`,
      object: prometheusRule,
    },
    {
      file: 'configmap-grafana-dashboard.yaml',
      condition: `and .Values.metrics.grafanaDashboard.enabled (.Files.Get "${GRAFANA_DASHBOARD_FILE}")`,
      prefix: `{{- $dashboard := .Files.Get "${GRAFANA_DASHBOARD_FILE}" }}`,
      object: dashboard,
    },
    { file: 'tests/networkpolicy-test.yaml', condition: '.Values.networkPolicy.enabled', object: testPolicy },
    { file: 'tests/pod-test.yaml', object: testPod },
  ];
}
