/**
 * Authenticated sessions, one per completed handshake. Each holds the key this node signs with and the key it
 * verifies the peer with (one per direction), a replay window, and, for sessions this node started over TLS,
 * the peer certificate it pinned during the handshake.
 */
import { MAX_REMEMBERED_NONCES, MAX_SESSIONS } from '../core/limits';
import { ReplayWindow } from '../core/replayWindow';

export interface Session {
  readonly id: string;
  readonly peerId: string;
  readonly peerInstanceId: string;
  readonly role: 'initiator' | 'responder';
  readonly sendKey: Buffer;
  readonly receiveKey: Buffer;
  readonly replay: ReplayWindow;
  /** SHA-256 of the peer's TLS certificate seen during the handshake (initiator side), null otherwise. */
  readonly peerTlsCertSha256: string | null;
  readonly createdAtMs: number;
  lastUsedAtMs: number;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly replayWindowMs: number) {}

  add(input: Omit<Session, 'replay' | 'lastUsedAtMs'>): Session {
    if (this.sessions.size >= MAX_SESSIONS) this.evictLeastRecentlyUsed();
    const session: Session = {
      ...input,
      replay: new ReplayWindow(this.replayWindowMs, MAX_REMEMBERED_NONCES),
      lastUsedAtMs: input.createdAtMs,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /** The session to send requests to a peer with: the newest of the peer's current instance. */
  forPeer(peerId: string, instanceId: string): Session | undefined {
    let best: Session | undefined;
    for (const s of this.sessions.values()) {
      if (s.peerId !== peerId || s.peerInstanceId !== instanceId) continue;
      if (!best || s.createdAtMs > best.createdAtMs) best = s;
    }
    return best;
  }

  /** Drops every session with a peer (all instances, or all but the given one). */
  dropPeer(peerId: string, keepInstanceId?: string): void {
    for (const [id, s] of this.sessions) {
      if (s.peerId === peerId && s.peerInstanceId !== keepInstanceId) this.sessions.delete(id);
    }
  }

  get size(): number {
    return this.sessions.size;
  }

  private evictLeastRecentlyUsed(): void {
    let oldest: Session | undefined;
    for (const s of this.sessions.values()) if (!oldest || s.lastUsedAtMs < oldest.lastUsedAtMs) oldest = s;
    if (oldest) this.sessions.delete(oldest.id);
  }
}
