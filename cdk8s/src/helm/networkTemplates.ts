/** The Ingress (hosts, paths, class, TLS) and the NetworkPolicy (who may connect, egress) as the values say. */
import type { Loose } from '../manifestQueries';
import { APP_METRICS_PORT } from '../metricsPorts';
import { either, TemplateMarkers, when, withScalar, withValue } from './templateMarkers';
import { DISCOVERY_KUBERNETES, EXTERNAL_DATABASE, SYNC_PORT } from './valueExpressions';

export function editIngress(ingress: Loose, markers: TemplateMarkers): void {
  ingress.metadata.annotations = markers.line(withValue('.Values.ingress.annotations'));
  const backend = ingress.spec.rules[0].http.paths[0].backend;
  ingress.spec.ingressClassName = markers.line(withScalar('.Values.ingress.className'));
  ingress.spec.rules = markers.line((indent, key) =>
    [
      `${indent}${key}:`,
      `${indent}  {{- range .Values.ingress.hosts }}`,
      `${indent}  - host: {{ .host | quote }}`,
      `${indent}    http:`,
      `${indent}      paths:`,
      `${indent}        {{- range (.paths | default (list (dict "path" "/" "pathType" "Prefix"))) }}`,
      `${indent}        - path: {{ .path | quote }}`,
      `${indent}          pathType: {{ .pathType | default "Prefix" | quote }}`,
      TemplateMarkers.yamlAt({ backend }, `${indent}          `),
      `${indent}        {{- end }}`,
      `${indent}  {{- end }}`,
    ].join('\n'),
  );
  ingress.spec.tls = markers.line(withValue('.Values.ingress.tls'));
}

const hasPort = (rule: Loose, port: number) => (rule.ports as Loose[]).some((p) => p.port === port);

export function editNetworkPolicy(policy: Loose, kubernetes: Loose, markers: TemplateMarkers): void {
  const withFrom = (rule: Loose, expression: string) => {
    const { from: _from, ...rest } = rule;
    return { ...rest, from: markers.line(withValue(expression)) };
  };
  // the rules of the peers' sync port, the app's port (a template value here) and the metrics ports
  policy.spec.ingress = (policy.spec.ingress as Loose[]).map((rule) => {
    if (hasPort(rule, SYNC_PORT)) return rule;
    if (hasPort(rule, APP_METRICS_PORT))
      return markers.line(when('.Values.metrics.enabled', withFrom(rule, '.Values.networkPolicy.metricsFrom')));
    return withFrom(rule, '.Values.networkPolicy.ingressFrom');
  });
  const apiServer = (kubernetes.spec.egress as Loose[]).find((rule) => hasPort(rule, 443));
  if (!apiServer) throw new Error('the kubernetes-discovery synth has no egress rule to the API server');
  const databasePort = { ports: [{ protocol: 'TCP', port: markers.scalar('{{ .Values.externalDatabase.port }}') }] };
  const restricted = [
    ...policy.spec.egress,
    markers.line(when(DISCOVERY_KUBERNETES, apiServer)),
    markers.line(when(EXTERNAL_DATABASE, databasePort)),
  ];
  policy.spec.egress = markers.line(either('eq .Values.networkPolicy.egress "unrestricted"', [{}], restricted));
}
