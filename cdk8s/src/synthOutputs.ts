/**
 * Everything `npm run synth` writes, as file contents keyed by path relative to the repository root — computed
 * without touching the disk, so tests can compare it with what is committed.
 */
import { App } from 'cdk8s';
import { stringify } from 'yaml';
import type { ResolvedPlatformConfig } from './platformConfigTypes';
import type { KubernetesObject } from './kubernetesObject';
import { CHART_NAME, GENERATED_HEADER, helmChartFiles, secretKeyList } from './helmChart';
import { planContainerEnvironment, referencedSecretKeys } from './environment';
import { environmentContext, MultiServerKitChart } from './platformChart';

export const MANIFESTS_DIR = 'kubernetes';
export const MANIFESTS_FILE = `${MANIFESTS_DIR}/${CHART_NAME}.yaml`;
export const CHART_DIR = `charts/${CHART_NAME}`;
/** Hand-written files the chart's templates read (.Files.Get); the synth never writes or deletes them. */
export const CHART_FILES_DIR = `${CHART_DIR}/files`;

/** The Kubernetes objects of one configuration (what `kubectl apply` gets). */
export function synthesizeObjects(config: ResolvedPlatformConfig): KubernetesObject[] {
  const app = new App();
  return new MultiServerKitChart(app, CHART_NAME, config).toJson() as KubernetesObject[];
}

export function manifestsYaml(objects: readonly KubernetesObject[]): string {
  return GENERATED_HEADER + objects.map((object) => stringify(object, { lineWidth: 0 })).join('---\n');
}

/** The keys of the shared Secret the pods reference (PostgreSQL's password is DATABASE_PASSWORD, also referenced by app and sync). */
export function sharedSecretKeys(config: ResolvedPlatformConfig): { key: string; optional: boolean }[] {
  const context = environmentContext(config);
  return referencedSecretKeys([planContainerEnvironment('app', context), planContainerEnvironment('sync', context)]);
}

export function manifestsReadme(config: ResolvedPlatformConfig): string {
  return [
    '# Kubernetes manifests (generated)',
    '',
    `\`${CHART_NAME}.yaml\` is written by \`npm run synth\` from \`cdk8s/src/platform.config.ts\` — never edit it by hand;`,
    'a test fails when it differs from a fresh synth. The same objects, with Helm values, are in `charts/multi-server-kit/`.',
    '',
    '```sh',
    `kubectl create namespace ${config.namespace}`,
    `kubectl apply -n ${config.namespace} -f deploy/kubernetes-secret.yaml   # written by npm run init, never committed`,
    `kubectl apply -f kubernetes/${CHART_NAME}.yaml`,
    '```',
    '',
    `The pods read the Secret \`${config.sharedSecretName}\` by these keys:`,
    '',
    secretKeyList(sharedSecretKeys(config)),
    '',
  ].join('\n');
}

export function synthesizeFiles(config: ResolvedPlatformConfig): Map<string, string> {
  const objects = synthesizeObjects(config);
  const files = new Map<string, string>([
    [MANIFESTS_FILE, manifestsYaml(objects)],
    [`${MANIFESTS_DIR}/README.md`, manifestsReadme(config)],
  ]);
  // the chart offers both shapes: its secretKeys are those of the bundled database
  for (const [path, text] of helmChartFiles(config, sharedSecretKeys({ ...config, externalDatabase: undefined })))
    files.set(`${CHART_DIR}/${path}`, text);
  return files;
}
