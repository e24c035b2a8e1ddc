/**
 * Checks across the synthesized objects that schema validation (kubernetes-models) cannot make: references
 * between objects and the deployment's own rules. Each check returns sentences describing what is wrong (empty:
 * fine), so a test shows every problem at once.
 */
import type { KubernetesObject } from './kubernetesObject';

type Json = Record<string, unknown>;
interface Container {
  name: string;
  image?: string;
  env?: { name: string; value?: string; valueFrom?: Json }[];
  envFrom?: Json[];
  ports?: { containerPort: number; name?: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
  livenessProbe?: Json;
  readinessProbe?: Json;
  startupProbe?: Json;
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: (Json & { name: string })[];
  serviceAccountName?: string;
  affinity?: Json;
}
interface Workload {
  labels: Record<string, string>;
  spec: PodSpec;
  owner: string;
}

const WORKLOAD_KINDS = new Set(['StatefulSet', 'Deployment', 'DaemonSet', 'Job']);

function describe(object: KubernetesObject): string {
  return `${object.kind} ${object.metadata.name}`;
}

function ofKind(objects: readonly KubernetesObject[], kind: string): KubernetesObject[] {
  return objects.filter((o) => o.kind === kind);
}

function spec(object: KubernetesObject): Json {
  return (object.spec ?? {}) as Json;
}

export function workloads(objects: readonly KubernetesObject[]): Workload[] {
  return objects
    .filter((o) => WORKLOAD_KINDS.has(o.kind))
    .map((o) => {
      const template = spec(o).template as { metadata?: { labels?: Record<string, string> }; spec: PodSpec };
      return { labels: template.metadata?.labels ?? {}, spec: template.spec, owner: describe(o) };
    });
}

function allContainers(pod: PodSpec): Container[] {
  return [...pod.containers, ...(pod.initContainers ?? [])];
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

function selectsSomePod(objects: readonly KubernetesObject[], selector: Record<string, string> | undefined): boolean {
  return workloads(objects).some((w) => matches(selector, w.labels));
}

/** Every volumeMount names a pod volume or (StatefulSet) a volume claim template. */
export function checkVolumeMounts(objects: readonly KubernetesObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects.filter((o) => WORKLOAD_KINDS.has(o.kind))) {
    const pod = (spec(object).template as { spec: PodSpec }).spec;
    const claims = ((spec(object).volumeClaimTemplates ?? []) as { metadata: { name: string } }[]).map(
      (c) => c.metadata.name,
    );
    const volumes = new Set([...(pod.volumes ?? []).map((v) => v.name), ...claims]);
    for (const container of allContainers(pod)) {
      for (const mount of container.volumeMounts ?? []) {
        if (!volumes.has(mount.name)) {
          problems.push(
            `${describe(object)}: container ${container.name} mounts '${mount.name}' at ${mount.mountPath}, which is neither a volume nor a claim template`,
          );
        }
      }
    }
    const mounted = new Set(allContainers(pod).flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)));
    for (const name of volumes)
      if (!mounted.has(name)) problems.push(`${describe(object)}: volume '${name}' is mounted by no container`);
  }
  return problems;
}

/** Workload selectors match their pod template; Services, PDBs, NetworkPolicies and anti-affinity select real pods. */
export function checkSelectors(objects: readonly KubernetesObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects.filter((o) => WORKLOAD_KINDS.has(o.kind))) {
    const selector = (spec(object).selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels;
    const labels = (spec(object).template as { metadata?: { labels?: Record<string, string> } }).metadata?.labels ?? {};
    if (!matches(selector, labels))
      problems.push(
        `${describe(object)}: selector ${JSON.stringify(selector)} does not match its pod labels ${JSON.stringify(labels)}`,
      );
  }
  for (const service of ofKind(objects, 'Service')) {
    const selector = spec(service).selector as Record<string, string> | undefined;
    if (!selectsSomePod(objects, selector))
      problems.push(`${describe(service)}: selector ${JSON.stringify(selector)} matches no pod`);
  }
  for (const budget of ofKind(objects, 'PodDisruptionBudget')) {
    const selector = (spec(budget).selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels;
    if (!selectsSomePod(objects, selector)) problems.push(`${describe(budget)}: selector matches no pod`);
  }
  for (const policy of ofKind(objects, 'NetworkPolicy')) {
    const selector = (spec(policy).podSelector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels;
    if (!selectsSomePod(objects, selector)) problems.push(`${describe(policy)}: podSelector matches no pod`);
  }
  for (const workload of workloads(objects)) {
    const terms =
      (
        workload.spec.affinity as
          | {
              podAntiAffinity?: {
                preferredDuringSchedulingIgnoredDuringExecution?: {
                  podAffinityTerm: { labelSelector?: { matchLabels?: Record<string, string> } };
                }[];
              };
            }
          | undefined
      )?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    for (const term of terms) {
      if (!matches(term.podAffinityTerm.labelSelector?.matchLabels, workload.labels)) {
        problems.push(`${workload.owner}: pod anti-affinity selects other pods than its own`);
      }
    }
  }
  return problems;
}

/** A StatefulSet's serviceName is a headless Service of the output that selects its pods. */
export function checkServiceName(objects: readonly KubernetesObject[]): string[] {
  const problems: string[] = [];
  for (const statefulSet of ofKind(objects, 'StatefulSet')) {
    const name = spec(statefulSet).serviceName as string | undefined;
    const service = ofKind(objects, 'Service').find((s) => s.metadata.name === name);
    if (!service)
      problems.push(`${describe(statefulSet)}: serviceName '${String(name)}' is not a Service of the output`);
    else if (spec(service).clusterIP !== 'None')
      problems.push(`${describe(statefulSet)}: serviceName '${name}' is not headless (clusterIP: None)`);
  }
  return problems;
}

/** The pod's ServiceAccount exists; RoleBindings bind existing Roles to existing ServiceAccounts. */
export function checkServiceAccounts(objects: readonly KubernetesObject[]): string[] {
  const problems: string[] = [];
  const accounts = new Set(ofKind(objects, 'ServiceAccount').map((o) => o.metadata.name));
  const roles = new Set(ofKind(objects, 'Role').map((o) => o.metadata.name));
  for (const workload of workloads(objects)) {
    const name = workload.spec.serviceAccountName;
    if (!name || !accounts.has(name))
      problems.push(`${workload.owner}: serviceAccountName '${String(name)}' is not a ServiceAccount of the output`);
  }
  for (const binding of ofKind(objects, 'RoleBinding')) {
    const roleRef = binding.roleRef as { kind: string; name: string };
    if (roleRef.kind !== 'Role' || !roles.has(roleRef.name))
      problems.push(`${describe(binding)}: roleRef ${roleRef.kind} ${roleRef.name} is not a Role of the output`);
    for (const subject of (binding.subjects ?? []) as { kind: string; name: string }[]) {
      if (subject.kind !== 'ServiceAccount' || !accounts.has(subject.name))
        problems.push(
          `${describe(binding)}: subject ${subject.kind} ${subject.name} is not a ServiceAccount of the output`,
        );
    }
  }
  return problems;
}

/** Every image has a pinned tag (or digest), never `latest`. */
export function checkImages(objects: readonly KubernetesObject[]): string[] {
  const problems: string[] = [];
  for (const workload of workloads(objects)) {
    for (const container of allContainers(workload.spec)) {
      const image = container.image ?? '';
      const lastSegment = image.split('/').pop() ?? '';
      const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : undefined;
      if (image.includes('@sha256:')) continue;
      if (tag === undefined || tag === '')
        problems.push(`${workload.owner}: container ${container.name} image '${image}' has no tag (means latest)`);
      else if (tag.toLowerCase() === 'latest')
        problems.push(`${workload.owner}: container ${container.name} image '${image}' uses latest`);
    }
  }
  return problems;
}

/** Liveness, readiness and startup probes on every container; HTTP probes aim at a port the container declares. */
export function checkProbes(objects: readonly KubernetesObject[]): string[] {
  const problems: string[] = [];
  for (const workload of workloads(objects)) {
    for (const container of workload.spec.containers) {
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
        const definition = container[probe] as { httpGet?: { port: number | string } } | undefined;
        if (!definition) {
          problems.push(`${workload.owner}: container ${container.name} has no ${probe}`);
          continue;
        }
        const port = definition.httpGet?.port;
        const declared = (container.ports ?? []).some((p) => p.containerPort === port || p.name === port);
        if (port !== undefined && !declared)
          problems.push(
            `${workload.owner}: ${container.name}'s ${probe} targets port ${port}, which the container does not declare`,
          );
      }
    }
  }
  return problems;
}

/** Services forward to ports the pods declare; the Ingress sends to a Service port of the output. */
export function checkPorts(objects: readonly KubernetesObject[]): string[] {
  const problems: string[] = [];
  const services = ofKind(objects, 'Service');
  for (const service of services) {
    const selector = spec(service).selector as Record<string, string> | undefined;
    const pods = workloads(objects).filter((w) => matches(selector, w.labels));
    const declared = pods.flatMap((w) => w.spec.containers.flatMap((c) => c.ports ?? []));
    for (const port of (spec(service).ports ?? []) as { port: number; targetPort?: number | string }[]) {
      const target = port.targetPort ?? port.port;
      if (!declared.some((p) => p.containerPort === target || p.name === target)) {
        problems.push(
          `${describe(service)}: port ${port.port} forwards to ${target}, which no selected container declares`,
        );
      }
    }
  }
  for (const ingress of ofKind(objects, 'Ingress')) {
    for (const rule of (spec(ingress).rules ?? []) as {
      http?: { paths: { backend: { service?: { name: string; port: { number?: number } } } }[] };
    }[]) {
      for (const path of rule.http?.paths ?? []) {
        const backend = path.backend.service;
        const service = services.find((s) => s.metadata.name === backend?.name);
        const ports = ((service ? spec(service).ports : []) ?? []) as { port: number }[];
        if (!service || !ports.some((p) => p.port === backend?.port.number)) {
          problems.push(
            `${describe(ingress)}: backend ${backend?.name}:${backend?.port.number} is not a Service port of the output`,
          );
        }
      }
    }
  }
  return problems;
}

/** The external database's passwords, which may come from a Secret of their own (externalDatabase.existingSecret). */
const EXTERNAL_DATABASE_PASSWORDS: ReadonlySet<string> = new Set(['DATABASE_PASSWORD', 'SYNC_DATABASE_PASSWORD']);

/**
 * Every secret reference in the pods names the same ONE Secret, and the output contains no Secret object. Pods
 * without a PostgreSQL container (an external database) may read the database passwords from another Secret.
 */
export function secretReferences(objects: readonly KubernetesObject[]): Set<string> {
  const names = new Set<string>();
  for (const workload of workloads(objects)) {
    const containers = allContainers(workload.spec);
    const externalDatabase = !containers.some((c) => c.name === 'postgres');
    for (const container of containers) {
      for (const variable of container.env ?? []) {
        const ref = (variable.valueFrom as { secretKeyRef?: { name: string } } | undefined)?.secretKeyRef;
        if (ref && !(externalDatabase && EXTERNAL_DATABASE_PASSWORDS.has(variable.name))) names.add(ref.name);
      }
      for (const source of container.envFrom ?? []) {
        const ref = (source as { secretRef?: { name: string } }).secretRef;
        if (ref) names.add(ref.name);
      }
    }
    for (const volume of workload.spec.volumes ?? []) {
      const secret = (volume as { secret?: { secretName: string } }).secret;
      if (secret) names.add(secret.secretName);
    }
  }
  return names;
}

export function checkSecrets(objects: readonly KubernetesObject[]): string[] {
  const problems: string[] = [];
  const names = secretReferences(objects);
  if (names.size !== 1)
    problems.push(
      `the pods reference ${names.size} Secrets (${[...names].join(', ')}); exactly one shared Secret is expected`,
    );
  for (const secret of ofKind(objects, 'Secret'))
    problems.push(`${describe(secret)} is part of the output: secrets must never be synthesized`);
  return problems;
}

/** Within a container, no variable is set twice (the last one would silently win). */
export function checkEnvironmentNames(objects: readonly KubernetesObject[]): string[] {
  const problems: string[] = [];
  for (const workload of workloads(objects)) {
    for (const container of allContainers(workload.spec)) {
      const names = (container.env ?? []).map((v) => v.name);
      const duplicates = names.filter((name, index) => names.indexOf(name) !== index);
      if (duplicates.length > 0)
        problems.push(`${workload.owner}: container ${container.name} sets ${duplicates.join(', ')} more than once`);
    }
  }
  return problems;
}

/** Every namespaced object is in the same namespace. */
export function checkNamespaces(objects: readonly KubernetesObject[]): string[] {
  const namespaces = new Set(objects.map((o) => o.metadata.namespace));
  return namespaces.size === 1 && !namespaces.has(undefined)
    ? []
    : [`objects are spread over namespaces ${[...namespaces].map(String).join(', ')}`];
}

export const MANIFEST_CHECKS = {
  checkVolumeMounts,
  checkSelectors,
  checkServiceName,
  checkServiceAccounts,
  checkImages,
  checkProbes,
  checkPorts,
  checkSecrets,
  checkEnvironmentNames,
  checkNamespaces,
} as const;

export function checkManifests(objects: readonly KubernetesObject[]): string[] {
  return Object.values(MANIFEST_CHECKS).flatMap((check) => check(objects));
}
