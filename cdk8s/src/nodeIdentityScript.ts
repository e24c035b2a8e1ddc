/**
 * SYNC_NODE_ID of a pod, derived from its ordinal. An env var cannot compute a hash, so the app and sync
 * containers start through a short POSIX sh entry script that sets SYNC_NODE_ID and then `exec`s the real command
 * (which reads it through the env contract as usual):
 *
 *   ordinal = the `apps.kubernetes.io/pod-index` label (downward API; Kubernetes >= 1.28),
 *             else the number at the end of the pod name (a StatefulSet pod's name and hostname end in `-<ordinal>`);
 *   SYNC_NODE_ID = deriveNodeId(seed, ordinal) = first 16 hex of sha256("<seed>/<ordinal>"), seed = "<namespace>/<name>".
 *
 * The hash is computed by `node` (present in both images) with the same formula as the contract's deriveNodeId; an
 * integration test runs this script and compares.
 */
import { NODE_ID_HEX_LENGTH } from '@msk/contract';
import type { EnvSource } from './environment';

export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
/** Helper variables of the script (not contract variables: nothing but the script reads them). */
export const POD_INDEX_ENV = 'MSK_POD_INDEX';
export const NODE_ID_SEED_ENV = 'MSK_NODE_ID_SEED';
/** Shown as $0 in the script's error messages. */
export const SCRIPT_NAME = 'msk-node-identity';

/** The seed that makes IDs differ per installation: namespace and StatefulSet name. */
export function nodeIdSeed(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

const HASH_WITH_NODE = `process.stdout.write(require("node:crypto").createHash("sha256").update(process.argv[1]).digest("hex").slice(0, ${NODE_ID_HEX_LENGTH}))`;

export const NODE_IDENTITY_SCRIPT = [
  'set -eu',
  `ordinal="\${${POD_INDEX_ENV}:-}"`,
  'name="${SYNC_NODE_NAME:-}"',
  'if [ -z "$ordinal" ]; then ordinal="${name##*-}"; fi',
  'case "$ordinal" in',
  `  ''|*[!0-9]*) echo "$0: no pod ordinal: label ${POD_INDEX_LABEL} is empty and pod name '$name' does not end in -<number>" >&2; exit 1 ;;`,
  'esac',
  `SYNC_NODE_ID="$(node -e '${HASH_WITH_NODE}' "$${NODE_ID_SEED_ENV}/$ordinal")"`,
  'export SYNC_NODE_ID',
  'exec "$@"',
].join('\n');

/** The container command: the entry script, then the real command as its arguments. */
export function withNodeIdentity(command: readonly string[]): string[] {
  return ['sh', '-c', NODE_IDENTITY_SCRIPT, SCRIPT_NAME, ...command];
}

/** The variables the script reads, besides SYNC_NODE_NAME (which the contract plan already gives every container). */
export function nodeIdentityInputs(seed: string): { name: string; source: EnvSource }[] {
  return [
    { name: POD_INDEX_ENV, source: { from: 'pod-field', fieldPath: `metadata.labels['${POD_INDEX_LABEL}']` } },
    { name: NODE_ID_SEED_ENV, source: { from: 'value', value: seed } },
  ];
}
