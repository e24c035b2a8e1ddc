/**
 * Whether an authenticated peer may join: identity conflicts and clock skew. Pure; the registry supplies what
 * it knows about a node with the same ID.
 */
import type { NodeIdentity } from './handshake';
import type { Refusal } from './refusal';

export interface AdmissionParty {
  readonly identity: NodeIdentity;
  /** host:port this node is reached at. */
  readonly address: string;
}

export interface KnownNode {
  readonly identity: NodeIdentity;
  readonly address: string;
  readonly connected: boolean;
  readonly lastSeenAt: number;
}

export type AdmissionDecision =
  | { readonly action: 'accept' }
  /** The same node restarted (or moved): the previous record is replaced. */
  | { readonly action: 'replace' }
  | {
      readonly action: 'refuse';
      readonly refusal: Refusal;
      /** For a duplicate of this node's own ID: whether this node is the one that started later. */
      readonly thisNodeIsSecond?: boolean;
    };

export interface AdmissionInput {
  readonly self: AdmissionParty;
  readonly candidate: AdmissionParty;
  /** What the registry knows about a node with the candidate's ID, if anything. */
  readonly existing: KnownNode | undefined;
  readonly nowMs: number;
  /** A connected record seen this recently blocks a newcomer with the same ID. */
  readonly liveWithinMs: number;
  readonly clockSkewMs: number;
  readonly maxClockSkewMs: number;
}

const FIX_DUPLICATE = 'give every node its own SYNC_NODE_ID (`openssl rand -hex 8`, or `npm run init`)';

function describe(party: { identity: NodeIdentity; address: string }): string {
  return `${party.identity.name} at ${party.address}`;
}

/** Later start is second; equal start times: the higher instance ID (random) is second. */
export function startedLater(a: NodeIdentity, b: NodeIdentity): boolean {
  return a.startedAt !== b.startedAt ? a.startedAt > b.startedAt : a.instanceId > b.instanceId;
}

export function decideAdmission(input: AdmissionInput): AdmissionDecision {
  const { self, candidate, existing } = input;
  if (candidate.identity.id === self.identity.id) {
    return {
      action: 'refuse',
      refusal: {
        reason: 'duplicate-node-id',
        message:
          `node ID ${self.identity.id} is used by both this node (${describe(self)}) and ${describe(candidate)}; ` +
          FIX_DUPLICATE,
      },
      thisNodeIsSecond: startedLater(self.identity, candidate.identity),
    };
  }
  if (existing && existing.identity.instanceId !== candidate.identity.instanceId) {
    const live = existing.connected && input.nowMs - existing.lastSeenAt <= input.liveWithinMs;
    if (live && existing.address !== candidate.address) {
      return {
        action: 'refuse',
        refusal: {
          reason: 'duplicate-node-id',
          message:
            `node ID ${candidate.identity.id} is already used by ${describe(existing)}; refused ${describe(candidate)}, ` +
            `which claims the same ID; ${FIX_DUPLICATE}`,
        },
      };
    }
  }
  if (Math.abs(input.clockSkewMs) > input.maxClockSkewMs) {
    return {
      action: 'refuse',
      refusal: {
        reason: 'clock-skew',
        message:
          `the clock of ${describe(candidate)} differs from this node's by about ${input.clockSkewMs} ms ` +
          `(SYNC_MAX_CLOCK_SKEW_MS is ${input.maxClockSkewMs}); run NTP (chrony or systemd-timesyncd) on every server`,
      },
    };
  }
  if (existing && existing.identity.instanceId !== candidate.identity.instanceId) return { action: 'replace' };
  return { action: 'accept' };
}
