/**
 * The chart's templates, written from the same cdk8s constructs as the plain manifests: the chart is synthesized
 * with a placeholder in place of every value that comes from Helm (release name, namespace, replicas, images,
 * Secret name, settings...) and with stand-in labels; each placeholder becomes a template expression, and the
 * fields users expect to control (resources, scheduling, ingress, network policy, storage, discovery) are swapped
 * for values-driven blocks. Rendered with the default values (values.yaml = platform.config.ts) under the release
 * name and namespace of platform.config.ts, the templates give the plain manifests back, up to Helm's own labels:
 * tests/kubernetes/chartDrift.test.ts proves it with real `helm template`.
 */
import { App } from 'cdk8s';
import type { ResolvedPlatformConfig } from '../platformConfigTypes';
import type { KubernetesObject } from '../kubernetesObject';
import type { LabelScheme } from '../labels';
import type { Loose } from '../manifestQueries';
import { MultiServerKitChart } from '../platformChart';
import { CHART_NAME } from './chartHelpers';
import { chartOnlyTemplates } from './chartOnlyTemplates';
import { placeholders, templatize } from './chartPlaceholders';
import { editIngress, editNetworkPolicy } from './networkTemplates';
import { editStatefulSet } from './statefulSetTemplate';
import { include, TemplateMarkers, withValue } from './templateMarkers';
import { fileNameOf, type Template, written } from './templateFile';
import { BUNDLED_DATABASE, DISCOVERY_KUBERNETES } from './valueExpressions';

function helmLabels(markers: TemplateMarkers): LabelScheme {
  return {
    selector: { 'msk.helm/selector-labels': markers.line(include(`${CHART_NAME}.selectorLabels`)) },
    common: { 'msk.helm/labels': markers.line(include(`${CHART_NAME}.labels`)) },
  };
}

/** Template file name → text, for the chart's templates/ folder. */
export function chartTemplates(config: ResolvedPlatformConfig): Map<string, string> {
  const markers = new TemplateMarkers();
  const labels = helmLabels(markers);
  const p = placeholders(config);
  const synth = (c: ResolvedPlatformConfig) =>
    new MultiServerKitChart(new App(), CHART_NAME, c, labels).toJson() as KubernetesObject[];
  const raw = synth(p.config);
  const rawKubernetes = synth({ ...p.config, discovery: 'kubernetes' });
  const seen = new Set<string | number>();
  const objects = raw.map((o) => templatize(o, p, markers, seen) as Loose);
  const kubernetesObjects = rawKubernetes.map((o) => templatize(o, p, markers, seen) as Loose);
  const kubernetesOf = (kind: string) => kubernetesObjects.find((o) => o.kind === kind);

  const templates: Template[] = [];
  raw.forEach((object, index) => {
    const templated = objects[index];
    const file = fileNameOf(object, p.name);
    switch (object.kind) {
      case 'StatefulSet':
        editStatefulSet(templated, kubernetesOf('StatefulSet'), p, markers);
        templates.push({
          file,
          prefix: `{{- include "${CHART_NAME}.checkValues" . }}\n{{- include "${CHART_NAME}.checkClaimTemplate" . }}`,
          object: templated,
        });
        return;
      case 'ServiceAccount':
        templated.metadata.name = markers.scalar(`{{ include "${CHART_NAME}.serviceAccountName" $ }}`);
        templated.metadata.annotations = markers.line(withValue('.Values.serviceAccount.annotations'));
        templated.automountServiceAccountToken = markers.scalar(`{{ ${DISCOVERY_KUBERNETES} }}`);
        templates.push({ file, condition: '.Values.serviceAccount.create', object: templated });
        return;
      case 'Ingress':
        editIngress(templated, markers);
        templates.push({ file, condition: '.Values.ingress.enabled', object: templated });
        return;
      case 'NetworkPolicy':
        editNetworkPolicy(templated, kubernetesOf('NetworkPolicy'), markers);
        templates.push({ file, condition: '.Values.networkPolicy.enabled', object: templated });
        return;
      case 'Service':
        templates.push({
          file,
          condition: object.metadata.name.endsWith('-metrics') ? '.Values.metrics.enabled' : undefined,
          object: templated,
        });
        return;
      case 'ConfigMap':
        // only the bundled PostgreSQL reads the roles' initdb script
        templates.push({
          file,
          condition: object.metadata.name.endsWith('-postgres-initdb') ? BUNDLED_DATABASE : undefined,
          object: templated,
        });
        return;
      default:
        templates.push({ file, object: templated });
    }
  });
  // the objects only kubernetes discovery has (the Role to read EndpointSlices and its binding)
  const kinds = new Set(raw.map((o) => o.kind));
  rawKubernetes.forEach((object, index) => {
    if (kinds.has(object.kind)) return;
    const templated = kubernetesObjects[index];
    if (object.kind === 'RoleBinding') {
      for (const subject of templated.subjects as Loose[])
        subject.name = markers.scalar(`{{ include "${CHART_NAME}.serviceAccountName" $ }}`);
    }
    templates.push({ file: fileNameOf(object, p.name), condition: DISCOVERY_KUBERNETES, object: templated });
  });
  templates.push(...chartOnlyTemplates(p, labels, markers, seen));

  const unused = [...p.expressions]
    .filter(([placeholder]) => !seen.has(placeholder))
    .map(([, expression]) => expression);
  if (unused.length > 0) throw new Error(`Helm values used by no manifest: ${unused.join(', ')}`);
  const files = new Map<string, string>();
  for (const template of templates) {
    if (files.has(template.file)) throw new Error(`two templates would be written to ${template.file}`);
    files.set(template.file, written(template, markers));
  }
  return files;
}
