/** One synthesized Kubernetes object, as cdk8s's toJson() returns it. */
export type KubernetesObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
};
