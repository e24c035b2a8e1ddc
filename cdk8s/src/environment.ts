/**
 * Which environment variable of the env contract a container gets, and from where — derived from each
 * variable's scope and secret flag, not from a hand-typed list:
 *
 * - secret and not per-pod (`shared`, `setting`) → a key of the ONE shared Secret, by reference;
 * - `unique` → derived per pod (SYNC_NODE_NAME from the pod name, SYNC_NODE_ID from the ordinal by the entry script);
 * - `per-node` → the pod's own addresses (its PostgreSQL on 127.0.0.1, bind to all interfaces);
 * - `shared` non-secret and `setting` → plain values, equal on every pod.
 *
 * A contract variable the container reads, that is required and that no rule covers, stops the synth with a
 * message saying where to add the rule.
 */
import { type Consumer, type VariableSpec, VARIABLES } from '@msk/contract';

export type EnvSource =
  /** `secretName`: another Secret than the shared one (externalDatabase.existingSecret). */
  | { readonly from: 'secret'; readonly key: string; readonly optional: boolean; readonly secretName?: string }
  | { readonly from: 'value'; readonly value: string }
  | { readonly from: 'pod-field'; readonly fieldPath: string }
  /** Set by the node identity entry script before the process starts (see nodeIdentityScript.ts). */
  | { readonly from: 'entry-script' };

export interface PlannedVariable {
  readonly name: string;
  readonly source: EnvSource;
}

export type KubernetesDiscovery =
  { readonly mode: 'dns'; readonly dnsName: string } | { readonly mode: 'kubernetes'; readonly serviceName: string };

export interface EnvironmentContext {
  /** NEXTAUTH_URL: the Ingress's public origin. */
  readonly publicUrl: string;
  /** This pod's PostgreSQL as the app's role, without password (DATABASE_PASSWORD comes from the Secret). */
  readonly databaseUrl: string;
  /** The same database as the sync service's role, without password (SYNC_DATABASE_PASSWORD from the Secret). */
  readonly syncDatabaseUrl: string;
  readonly appPort: number;
  readonly syncPort: number;
  readonly discovery: KubernetesDiscovery;
  /** DATABASE_TOPOLOGY: per-node (each pod's own PostgreSQL; the contract's default, not written) or shared. */
  readonly databaseTopology: 'per-node' | 'shared';
  /** Where the roles' passwords come from when not the shared Secret's DATABASE_PASSWORD / SYNC_DATABASE_PASSWORD. */
  readonly databasePasswords?: {
    readonly secretName: string;
    readonly passwordKey: string;
    readonly syncPasswordKey: string;
  };
  /** REPLICATED_TABLES: the app's tables, the same on every pod. */
  readonly replicatedTables: readonly string[];
  /** Operator's plain settings (already validated against the contract). */
  readonly settings: Readonly<Record<string, string>>;
}

/**
 * Secret variables this deployment needs even where the contract calls them optional: the database URLs carry no
 * password here, so the passwords must come from the Secret (PostgreSQL's own container needs them too, to create
 * the roles).
 */
const REQUIRED_HERE: ReadonlySet<string> = new Set(['DATABASE_PASSWORD', 'SYNC_DATABASE_PASSWORD']);

/** The pod field that names a node; its ordinal is derived from the same pod (label or name suffix). */
export const POD_NAME_FIELD = 'metadata.name';
export const ADDRESS_ALL_INTERFACES = '0.0.0.0';

function fromSecret(spec: VariableSpec, consumer: Consumer, context: EnvironmentContext): EnvSource {
  const passwords = context.databasePasswords;
  if (passwords && spec.name === 'DATABASE_PASSWORD')
    return { from: 'secret', key: passwords.passwordKey, optional: false, secretName: passwords.secretName };
  if (passwords && spec.name === 'SYNC_DATABASE_PASSWORD') {
    return { from: 'secret', key: passwords.syncPasswordKey, optional: false, secretName: passwords.secretName };
  }
  const required = spec.requiredBy.includes(consumer) || REQUIRED_HERE.has(spec.name);
  return { from: 'secret', key: spec.name, optional: !required };
}

function perPodSource(spec: VariableSpec, context: EnvironmentContext): EnvSource | null | undefined {
  switch (spec.name) {
    case 'SYNC_NODE_ID':
      return { from: 'entry-script' };
    case 'SYNC_NODE_NAME':
      return { from: 'pod-field', fieldPath: POD_NAME_FIELD };
    case 'DATABASE_URL':
      if (new URL(context.databaseUrl).password !== '') {
        throw new Error(
          'DATABASE_URL of the manifests must not carry a password: it is read from the Secret as DATABASE_PASSWORD',
        );
      }
      return { from: 'value', value: context.databaseUrl };
    case 'SYNC_DATABASE_URL':
      if (new URL(context.syncDatabaseUrl).password !== '') {
        throw new Error(
          'SYNC_DATABASE_URL of the manifests must not carry a password: it is read from the Secret as SYNC_DATABASE_PASSWORD',
        );
      }
      return { from: 'value', value: context.syncDatabaseUrl };
    case 'HOSTNAME':
    case 'SYNC_BIND_ADDRESS':
      return { from: 'value', value: ADDRESS_ALL_INTERFACES };
    case 'SYNC_PEERS':
      return null; // peers come from discovery, never from a static list in Kubernetes
    default:
      return undefined;
  }
}

function plainSource(spec: VariableSpec, context: EnvironmentContext): EnvSource | null | undefined {
  const value = (v: string): EnvSource => ({ from: 'value', value: v });
  switch (spec.name) {
    case 'NEXTAUTH_URL':
      return value(context.publicUrl);
    case 'SYNC_SERVICE_PORT':
      return value(String(context.syncPort));
    case 'PORT':
    case 'SYNC_HTTP_PORT':
      return value(String(context.appPort));
    case 'NODE_ENV':
      return value(context.settings.NODE_ENV ?? 'production');
    case 'REPLICATED_TABLES':
      return value(context.replicatedTables.join(','));
    case 'DATABASE_TOPOLOGY':
      return context.databaseTopology === 'shared' ? value('shared') : undefined;
    case 'SYNC_DISCOVERY':
      return value(context.discovery.mode);
    case 'SYNC_DNS_NAME':
      return context.discovery.mode === 'dns' ? value(context.discovery.dnsName) : null;
    case 'SYNC_KUBERNETES_SERVICE':
      return context.discovery.mode === 'kubernetes' ? value(context.discovery.serviceName) : null;
    default: {
      const configured = context.settings[spec.name];
      return configured === undefined ? undefined : value(configured);
    }
  }
}

/**
 * The environment of one container (app or sync), in the contract's order. Variables left out take the
 * contract's default.
 */
export function planContainerEnvironment(
  consumer: Consumer,
  context: EnvironmentContext,
  variables: readonly VariableSpec[] = VARIABLES,
): PlannedVariable[] {
  const planned: PlannedVariable[] = [];
  for (const spec of variables) {
    if (!spec.readBy.includes(consumer)) continue;
    let source: EnvSource | null | undefined;
    if (spec.scope === 'unique' || spec.scope === 'per-node') {
      source = perPodSource(spec, context);
    } else if (spec.secret) {
      source = fromSecret(spec, consumer, context);
    } else {
      source = plainSource(spec, context);
    }
    if (source === undefined && spec.requiredBy.includes(consumer) && spec.default === undefined) {
      throw new Error(
        `The env contract's ${spec.name} (scope ${spec.scope}) is required by ${consumer} but the Kubernetes synth has no ` +
          'value for it: add a rule in cdk8s/src/environment.ts',
      );
    }
    if (source) planned.push({ name: spec.name, source });
  }
  return planned;
}

/** The keys of the shared Secret any container references: the Secret an operator must provide. */
export function referencedSecretKeys(
  plans: readonly (readonly PlannedVariable[])[],
): { key: string; optional: boolean }[] {
  const keys = new Map<string, boolean>();
  for (const plan of plans) {
    for (const { source } of plan) {
      if (source.from === 'secret' && source.secretName === undefined)
        keys.set(source.key, (keys.get(source.key) ?? true) && source.optional);
    }
  }
  return [...keys].map(([key, optional]) => ({ key, optional }));
}
