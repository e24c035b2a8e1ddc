/**
 * Who this node knows: addresses proposed by discovery (candidates), nodes that passed the handshake, and
 * refusals. Pure state: time and randomness come in as parameters; the connector and the HTTP handlers drive it.
 */
import { type AdmissionDecision, type KnownNode, decideAdmission } from '../core/admission';
import type { AppBuildIdentity } from '../core/appBuild';
import type { ConfigFingerprints } from '../core/configFingerprints';
import type { NodeIdentity } from '../core/handshake';
import { RECONNECT_BACKOFF, REFUSED_BACKOFF, backoffDelayMs } from '../core/backoff';
import type { Refusal, RefusalReason } from '../core/refusal';

export const DISCOVERY_SOURCES = ['static', 'mdns', 'dns', 'kubernetes', 'inbound'] as const;
export type DiscoverySource = (typeof DISCOVERY_SOURCES)[number];

export type CandidateState = 'new' | 'connecting' | 'unreachable' | 'refused' | 'self' | 'linked';

export interface DiscoveryHint {
  readonly id?: string;
  readonly name?: string;
}

export interface Candidate {
  readonly address: string;
  readonly via: Set<DiscoverySource>;
  hint: DiscoveryHint;
  state: CandidateState;
  /** Node behind this address, once a handshake (or a refusal) told us. */
  nodeId?: string;
  lastError?: string;
  failures: number;
  nextAttemptAtMs: number;
  lastAttemptAtMs?: number;
  /** When the address stopped answering (for forgetting inbound-only addresses). */
  unreachableSinceMs?: number;
}

export interface PeerNode {
  identity: NodeIdentity;
  address: string;
  config: ConfigFingerprints;
  /** The build of the app beside the peer's sync service, as it last told us; null until it does. */
  appBuild: AppBuildIdentity | null;
  connected: boolean;
  connectedAt: number;
  lastSeenAt: number;
  clockSkewMs: number | null;
  disconnectedReason?: string;
}

export type RefusalSide = 'refused-by-this-node' | 'refused-by-peer';

export interface RefusalRecord {
  readonly address: string;
  id?: string;
  name?: string;
  reason: RefusalReason;
  message: string;
  side: RefusalSide;
  firstAt: number;
  lastAt: number;
  count: number;
}

export interface IdentityConflict {
  readonly message: string;
  readonly otherAddress: string;
  at: number;
}

export interface PeerRegistryOptions {
  readonly self: NodeIdentity;
  readonly selfAddress: string;
  readonly maxClockSkewMs: number;
  /** A connected node seen within this time blocks a newcomer claiming its ID at another address. */
  readonly liveWithinMs: number;
  readonly random: () => number;
}

/** Refusals older than this no longer count as current (refused peers are retried well within it). */
export const REFUSAL_CURRENT_MS = 90_000;
/** An inbound-only address that stays unreachable this long is forgotten. */
export const INBOUND_CANDIDATE_TTL_MS = 10 * 60_000;
export const MAX_REFUSAL_RECORDS = 256;
export const MAX_CANDIDATES = 1024;
/** Refusals about the node at an address itself (not about one message), which also settle its candidate. */
const NODE_REFUSALS: ReadonlySet<RefusalReason> = new Set([
  'registration-key-differs',
  'duplicate-node-id',
  'clock-skew',
  'protocol-version',
  'tls-certificate-mismatch',
]);

export type RegistryEvent =
  | { readonly type: 'peer-connected'; readonly peer: PeerNode }
  | { readonly type: 'peer-disconnected'; readonly peer: PeerNode; readonly reason: string };

export class PeerRegistry {
  readonly candidates = new Map<string, Candidate>();
  readonly nodes = new Map<string, PeerNode>();
  readonly refusals = new Map<string, RefusalRecord>();
  /** Set when this node shares its ID with another node and is the later one (it should not serve). */
  identityConflict: IdentityConflict | undefined;
  private readonly listeners = new Set<(event: RegistryEvent) => void>();

  constructor(readonly options: PeerRegistryOptions) {}

  onEvent(listener: (event: RegistryEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: RegistryEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // a listener's failure must not break the registry
      }
    }
  }

  /** Replaces the addresses one discovery source proposes. Returns the addresses that are new. */
  setDiscovered(
    source: DiscoverySource,
    entries: readonly { address: string; hint?: DiscoveryHint }[],
    nowMs: number,
  ): string[] {
    const added: string[] = [];
    const current = new Set(entries.map((e) => e.address));
    for (const entry of entries) {
      let candidate = this.candidates.get(entry.address);
      if (!candidate) {
        if (this.candidates.size >= MAX_CANDIDATES) continue;
        candidate = {
          address: entry.address,
          via: new Set(),
          hint: {},
          state: 'new',
          failures: 0,
          nextAttemptAtMs: nowMs,
        };
        this.candidates.set(entry.address, candidate);
        added.push(entry.address);
      }
      candidate.via.add(source);
      if (entry.hint) candidate.hint = { ...candidate.hint, ...entry.hint };
    }
    for (const [address, candidate] of this.candidates) {
      if (candidate.via.has(source) && !current.has(address)) {
        candidate.via.delete(source);
        if (candidate.via.size === 0) this.candidates.delete(address);
      }
    }
    return added;
  }

  /** Candidates to dial now: not self, not behind a connected node, and due. */
  dueCandidates(nowMs: number): Candidate[] {
    return [...this.candidates.values()].filter(
      (c) =>
        c.state !== 'self' &&
        c.state !== 'connecting' &&
        !this.isLinkedToConnectedNode(c) &&
        c.nextAttemptAtMs <= nowMs,
    );
  }

  /** Earliest time a candidate becomes due (for the connector's timer), or undefined. */
  nextDueAtMs(): number | undefined {
    let next: number | undefined;
    for (const c of this.candidates.values()) {
      if (c.state === 'self' || c.state === 'connecting' || this.isLinkedToConnectedNode(c)) continue;
      next = next === undefined ? c.nextAttemptAtMs : Math.min(next, c.nextAttemptAtMs);
    }
    return next;
  }

  private isLinkedToConnectedNode(c: Candidate): boolean {
    if (c.nodeId === undefined) return false;
    const node = this.nodes.get(c.nodeId);
    return node !== undefined && node.connected;
  }

  attemptStarted(address: string, nowMs: number): void {
    const c = this.candidates.get(address);
    if (!c) return;
    c.state = 'connecting';
    c.lastAttemptAtMs = nowMs;
  }

  attemptFailed(address: string, error: string, nowMs: number): void {
    const c = this.candidates.get(address);
    if (!c) return;
    c.failures += 1;
    c.state = 'unreachable';
    c.lastError = error;
    c.unreachableSinceMs ??= nowMs;
    c.nextAttemptAtMs = nowMs + backoffDelayMs(RECONNECT_BACKOFF, c.failures, this.options.random);
    if (c.via.size === 1 && c.via.has('inbound') && nowMs - c.unreachableSinceMs > INBOUND_CANDIDATE_TTL_MS) {
      this.candidates.delete(address);
    }
  }

  /** The address turned out to be this node itself (its own hello came back). */
  markSelf(address: string): void {
    const c = this.candidates.get(address);
    if (c) {
      c.state = 'self';
      c.nodeId = this.options.self.id;
    }
  }

  /**
   * Records a refusal, by this node or reported by the peer. For an outbound attempt the candidate backs off.
   * A duplicate-ID refusal may make this node the "second" of a pair, which fails readiness.
   */
  recordRefusal(input: {
    address: string;
    refusal: Refusal;
    side: RefusalSide;
    peer?: NodeIdentity;
    nowMs: number;
    outbound: boolean;
    thisNodeIsSecond?: boolean;
  }): void {
    const { address, refusal, side, peer, nowMs } = input;
    const key = `${address} ${refusal.reason}`;
    const existing = this.refusals.get(key);
    if (existing) {
      existing.message = refusal.message;
      existing.side = side;
      existing.lastAt = nowMs;
      existing.count += 1;
      if (peer) {
        existing.id = peer.id;
        existing.name = peer.name;
      }
    } else {
      if (this.refusals.size >= MAX_REFUSAL_RECORDS) this.forgetOldestRefusal();
      this.refusals.set(key, {
        address,
        ...(peer ? { id: peer.id, name: peer.name } : {}),
        reason: refusal.reason,
        message: refusal.message,
        side,
        firstAt: nowMs,
        lastAt: nowMs,
        count: 1,
      });
    }
    const c = this.candidates.get(address);
    if (c && (input.outbound || NODE_REFUSALS.has(refusal.reason))) {
      {
        c.failures += 1;
        c.state = 'refused';
        c.lastError = refusal.message;
        if (peer) c.nodeId = peer.id;
        c.nextAttemptAtMs = nowMs + backoffDelayMs(REFUSED_BACKOFF, c.failures, this.options.random);
      }
    }
    const secondByPeer =
      side === 'refused-by-peer' && refusal.reason === 'duplicate-node-id' && peer?.id !== this.options.self.id;
    if (refusal.reason === 'duplicate-node-id' && (input.thisNodeIsSecond === true || secondByPeer)) {
      this.identityConflict = { message: refusal.message, otherAddress: address, at: nowMs };
    }
  }

  private forgetOldestRefusal(): void {
    let oldestKey: string | undefined;
    let oldestAt = Infinity;
    for (const [key, r] of this.refusals) {
      if (r.lastAt < oldestAt) {
        oldestAt = r.lastAt;
        oldestKey = key;
      }
    }
    if (oldestKey !== undefined) this.refusals.delete(oldestKey);
  }

  /** Decides whether an authenticated peer may join (see decideAdmission), without changing anything. */
  judge(input: { identity: NodeIdentity; address: string; clockSkewMs: number; nowMs: number }): AdmissionDecision {
    const existing = this.nodes.get(input.identity.id);
    const known: KnownNode | undefined = existing && {
      identity: existing.identity,
      address: existing.address,
      connected: existing.connected,
      lastSeenAt: existing.lastSeenAt,
    };
    return decideAdmission({
      self: { identity: this.options.self, address: this.options.selfAddress },
      candidate: { identity: input.identity, address: input.address },
      existing: known,
      nowMs: input.nowMs,
      liveWithinMs: this.options.liveWithinMs,
      clockSkewMs: input.clockSkewMs,
      maxClockSkewMs: this.options.maxClockSkewMs,
    });
  }

  /** Records an admitted peer (after judge said accept or replace). */
  admit(input: {
    identity: NodeIdentity;
    address: string;
    config: ConfigFingerprints;
    clockSkewMs: number | null;
    nowMs: number;
    inbound: boolean;
  }): PeerNode {
    const { identity, address, nowMs } = input;
    const previous = this.nodes.get(identity.id);
    const wasConnected = previous?.connected === true && previous.identity.instanceId === identity.instanceId;
    if (previous?.connected === true && !wasConnected) {
      previous.connected = false;
      this.emit({ type: 'peer-disconnected', peer: previous, reason: 'restarted' });
    }
    const node: PeerNode = {
      identity,
      // A second session with the same running node (both dialled at once) keeps the first address.
      address: wasConnected ? (previous as PeerNode).address : address,
      config: input.config,
      appBuild: wasConnected ? (previous as PeerNode).appBuild : null,
      connected: true,
      connectedAt: wasConnected ? (previous as PeerNode).connectedAt : nowMs,
      lastSeenAt: nowMs,
      clockSkewMs: input.clockSkewMs ?? previous?.clockSkewMs ?? null,
    };
    this.nodes.set(identity.id, node);
    if (input.inbound && !this.candidates.has(address)) {
      this.setInbound(address, nowMs);
    }
    const c = this.candidates.get(address);
    if (c) {
      c.state = 'linked';
      c.nodeId = identity.id;
      c.failures = 0;
      delete c.lastError;
      delete c.unreachableSinceMs;
      c.hint = { id: identity.id, name: identity.name };
    }
    // The node at this address is accepted now; refusals of single messages (replays) stay until they age out.
    for (const [key, r] of this.refusals) {
      if (r.address === address && NODE_REFUSALS.has(r.reason)) this.refusals.delete(key);
    }
    if (!wasConnected) this.emit({ type: 'peer-connected', peer: node });
    return node;
  }

  private setInbound(address: string, nowMs: number): void {
    if (this.candidates.size >= MAX_CANDIDATES) return;
    this.candidates.set(address, {
      address,
      via: new Set(['inbound']),
      hint: {},
      state: 'linked',
      failures: 0,
      nextAttemptAtMs: nowMs,
    });
  }

  /** A successful exchange with the peer (heartbeat, authenticated request). */
  touch(nodeId: string, nowMs: number, clockSkewMs?: number): void {
    const node = this.nodes.get(nodeId);
    if (!node) return;
    node.lastSeenAt = nowMs;
    if (clockSkewMs !== undefined) node.clockSkewMs = clockSkewMs;
  }

  /** The peer told us the build of its app (or that it does not know it). */
  setAppBuild(nodeId: string, build: AppBuildIdentity | null): boolean {
    const node = this.nodes.get(nodeId);
    if (!node) return false;
    node.appBuild = build;
    return true;
  }

  /** The peer stopped answering, said goodbye, or lost its session: dial its address again soon. */
  disconnect(nodeId: string, reason: string, nowMs: number, retryAfterMs = 0): void {
    const node = this.nodes.get(nodeId);
    if (!node || !node.connected) return;
    node.connected = false;
    node.disconnectedReason = reason;
    for (const c of this.candidates.values()) {
      if (c.nodeId === nodeId) {
        c.state = 'unreachable';
        c.lastError = reason;
        c.failures = 0;
        c.unreachableSinceMs = nowMs;
        c.nextAttemptAtMs = nowMs + retryAfterMs;
      }
    }
    this.emit({ type: 'peer-disconnected', peer: node, reason });
  }

  connectedNodes(): PeerNode[] {
    return [...this.nodes.values()].filter((n) => n.connected);
  }

  currentRefusals(nowMs: number): RefusalRecord[] {
    return [...this.refusals.values()].filter((r) => nowMs - r.lastAt <= REFUSAL_CURRENT_MS);
  }

  currentIdentityConflict(nowMs: number): IdentityConflict | undefined {
    const conflict = this.identityConflict;
    return conflict && nowMs - conflict.at <= REFUSAL_CURRENT_MS ? conflict : undefined;
  }
}
