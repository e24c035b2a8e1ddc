/** Kubernetes objects from YAML text (`helm template`, the plain manifests), compared without the tools' own labels. */
import { parseAllDocuments } from 'yaml';

/** Labels only one of the two tools writes: Helm's own, and cdk8s's managed-by. */
export const TOOL_LABELS = ['helm.sh/chart', 'app.kubernetes.io/version', 'app.kubernetes.io/managed-by'];

export interface RenderedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read fields of any kind of object
  readonly [field: string]: any;
}

export function objectsOf(yamlText: string): RenderedObject[] {
  return parseAllDocuments(yamlText)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(document.errors.map((e) => e.message).join('; '));
      return document.toJS() as RenderedObject | null;
    })
    .filter((object): object is RenderedObject => object !== null);
}

export function withoutToolLabels(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutToolLabels);
  if (node === null || typeof node !== 'object') return node;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'labels' && value !== null && typeof value === 'object') {
      result[key] = Object.fromEntries(Object.entries(value).filter(([label]) => !TOOL_LABELS.includes(label)));
    } else {
      result[key] = withoutToolLabels(value);
    }
  }
  return result;
}

/** Sorted the same way on both sides (Helm orders its output by kind, cdk8s by construct), tool labels removed. */
export function comparable(objects: readonly unknown[]): unknown[] {
  const key = (o: unknown) => {
    const object = o as { kind: string; metadata: { name: string } };
    return `${object.kind}/${object.metadata.name}`;
  };
  return [...objects].sort((a, b) => key(a).localeCompare(key(b))).map(withoutToolLabels);
}

export function objectOf(objects: readonly RenderedObject[], kind: string, name: string): RenderedObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}
