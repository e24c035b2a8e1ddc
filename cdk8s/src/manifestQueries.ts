/** Small typed lookups into synthesized objects, for tests and checks that read one field at a time. */
import type { KubernetesObject } from './kubernetesObject';

// The synthesized JSON is loosely typed; these lookups return `any` on purpose so tests can read fields directly.
/* eslint-disable @typescript-eslint/no-explicit-any */
export type Loose = any;

export function objectOf(objects: readonly KubernetesObject[], kind: string, name?: string): Loose {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) {
    throw new Error(
      `expected exactly one ${kind}${name ? ` named ${name}` : ''}, found ${found.length}: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
    );
  }
  return found[0];
}

export function podSpecOf(objects: readonly KubernetesObject[]): Loose {
  return objectOf(objects, 'StatefulSet').spec.template.spec;
}

export function containerOf(objects: readonly KubernetesObject[], name: string): Loose {
  const container = podSpecOf(objects).containers.find((c: Loose) => c.name === name);
  if (!container) throw new Error(`no container named ${name}`);
  return container;
}

/** The env entry of a variable in a container (undefined when the container does not set it). */
export function envOf(objects: readonly KubernetesObject[], containerName: string, variable: string): Loose {
  return containerOf(objects, containerName).env?.find((e: Loose) => e.name === variable);
}
