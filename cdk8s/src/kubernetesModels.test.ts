import { StatefulSet } from 'kubernetes-models/apps/v1';
import { NetworkPolicy, Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Service, ServiceAccount } from 'kubernetes-models/v1';
import { resolvePlatformConfig } from './platformConfigSchema';
import { CONFIG_VARIATIONS } from './exampleConfigs';
import type { KubernetesObject } from './kubernetesObject';
import { synthesizeObjects } from './synthOutputs';

/** Every kind the synth may produce, with its kubernetes-models class; an unknown kind fails the test. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/StatefulSet': StatefulSet,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'networking.k8s.io/v1/Ingress': Ingress,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
};

function validate(object: KubernetesObject): void {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) throw new Error(`no kubernetes-models class registered for ${object.apiVersion} ${object.kind}`);
  new Model(structuredClone(object) as never).validate();
}

describe('kubernetes-models validation (Kubernetes OpenAPI schemas)', () => {
  it.each(Object.entries(CONFIG_VARIATIONS))('accepts every object synthesized for %s', (_, config) => {
    const objects = synthesizeObjects(resolvePlatformConfig(config));
    expect(objects.length).toBeGreaterThanOrEqual(7);
    for (const object of objects) expect(() => validate(object)).not.toThrow();
  });

  it('rejects an object with a wrongly typed field, so the validation above is real', () => {
    const statefulSet = synthesizeObjects(
      resolvePlatformConfig(CONFIG_VARIATIONS['the committed platform.config.ts']!),
    ).find((o) => o.kind === 'StatefulSet')!;
    const broken = structuredClone(statefulSet) as { spec: { replicas: unknown } } & KubernetesObject;
    broken.spec.replicas = 'two';
    expect(() => validate(broken)).toThrow(/replicas/);
  });

  it('refuses to validate a kind it has no model for', () => {
    expect(() => validate({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } })).toThrow(
      /no kubernetes-models class/,
    );
  });
});
