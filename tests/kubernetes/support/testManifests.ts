/**
 * What the tests apply: the committed manifests and the Secret `npm run init` writes, with the one change this
 * offline cluster needs — the PostgreSQL image. No registry is reachable here, so the official `postgres` image
 * the manifests name is replaced by the offline stand-in that globalSetup imported (MSK_K8S_POSTGRES_IMAGE); when
 * the official image itself is in the cluster, nothing is replaced.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { initDeployFolder, type DeployFolder } from '../../containers/support/composeProject';
import { ADMIN } from './platformApi';

export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const MANIFESTS_FILE = join(REPO_ROOT, 'kubernetes', 'multi-server-kit.yaml');
export const CHART_DIR = join(REPO_ROOT, 'charts', 'multi-server-kit');
export const OFFICIAL_POSTGRES_IMAGE = 'postgres:17.6-bookworm';

export function postgresImage(): string {
  return process.env.MSK_K8S_POSTGRES_IMAGE ?? OFFICIAL_POSTGRES_IMAGE;
}

/** The manifests' text with the PostgreSQL image the cluster has; refuses a file that does not name the official one. */
export function withClusterImages(manifests: string): string {
  const official = `image: ${OFFICIAL_POSTGRES_IMAGE}`;
  const count = manifests.split(official).length - 1;
  if (count !== 1) throw new Error(`expected the manifests to name ${OFFICIAL_POSTGRES_IMAGE} once, found ${count} times`);
  return manifests.replace(official, `image: ${postgresImage()}`);
}

export interface TestSecret {
  readonly deploy: DeployFolder;
  /** kubernetes-secret.yaml as init wrote it. */
  readonly initYaml: string;
  /** The same Secret with the admin password an operator adds (ADMIN_PASSWORD, an optional key of the Secret). */
  readonly withAdminYaml: string;
}

export function initSecret(publicUrl: string, secretName?: string): TestSecret {
  const deploy = initDeployFolder({ publicUrl });
  const initYaml = readFileSync(join(deploy.dir, 'kubernetes-secret.yaml'), 'utf8');
  const secret = parse(initYaml) as { metadata: { name: string }; data: Record<string, string> };
  if (secretName) secret.metadata.name = secretName;
  secret.data.ADMIN_PASSWORD = Buffer.from(ADMIN.password).toString('base64');
  return { deploy, initYaml, withAdminYaml: stringify(secret) };
}

/** A namespace that enforces the Pod Security "restricted" profile, made fresh (an old one of a failed run is deleted). */
export function restrictedNamespaceYaml(name: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/warn': 'restricted',
      },
    },
  });
}
