/**
 * Whether a session cookie still stands for its user, checked on every session read (NextAuth's jwt callback:
 * pages, Server Actions, route handlers and /api/auth/session all pass through it).
 *
 * A cookie carries the user's id and a credential stamp: a digest of the user's password hash when the session
 * began. The session stands while the user row exists and its stamp is unchanged, so deleting a user or setting
 * a new password ends every earlier session. The password hash is an ordinary replicated column, so this holds on
 * every node as soon as replication has carried the change (no extra column, no schema change for the sync
 * service). The role comes from the row too, never from the cookie: a demoted admin is a member on the next
 * request.
 *
 * The stamp is a SHA-256 digest of a salted bcrypt hash inside a cookie sealed with AES-GCM: nobody reads it, and
 * even read it would allow no cheaper guessing than the bcrypt hash itself (a guess costs a bcrypt run with a
 * 128-bit salt the stamp does not reveal).
 *
 * Rows are cached per node for SESSION_STANDING_CACHE_MS, so a burst of requests from one user costs one indexed
 * read; a change therefore takes effect within that time plus replication lag. Pure apart from the injected
 * loader and clock.
 */
import { createHash } from 'node:crypto';
import type { UserRole } from '../users/userSchemas';

/** How long one read of a user's row answers for that user's sessions on this node. */
export const SESSION_STANDING_CACHE_MS = 2_000;
/** Users whose rows are cached at once; past this the oldest entry is dropped. */
export const MAX_CACHED_SESSION_USERS = 10_000;

export interface SessionFacts {
  readonly role: UserRole;
  readonly passwordHash: string;
}

export type SessionStanding =
  | { readonly standing: 'valid'; readonly role: UserRole }
  /** The user is gone, or the password changed after the session began. */
  | { readonly standing: 'revoked'; readonly reason: 'user deleted' | 'password changed' | 'no credential stamp' }
  /** The database could not be asked: the request is treated as signed out, the cookie is kept. */
  | { readonly standing: 'unknown'; readonly error: string };

const STAMP_DOMAIN = 'msk session credential stamp v1\0';

export function credentialStamp(passwordHash: string): string {
  return createHash('sha256').update(STAMP_DOMAIN).update(passwordHash, 'utf8').digest('base64url').slice(0, 22);
}

export interface SessionStandingProps {
  /** The user's row, or undefined when there is none. May throw (database down). */
  readonly loadFacts: (userId: string) => Promise<SessionFacts | undefined>;
  /** @default Date.now */
  readonly nowMs?: () => number;
  /** @default SESSION_STANDING_CACHE_MS */
  readonly cacheMs?: number;
  /** @default MAX_CACHED_SESSION_USERS */
  readonly maxCachedUsers?: number;
}

interface CachedFacts {
  readonly atMs: number;
  readonly facts: Promise<SessionFacts | undefined>;
}

export class SessionStandingChecker {
  private readonly cache = new Map<string, CachedFacts>();
  private readonly nowMs: () => number;
  private readonly cacheMs: number;
  private readonly maxCachedUsers: number;

  constructor(private readonly props: SessionStandingProps) {
    this.nowMs = props.nowMs ?? Date.now;
    this.cacheMs = props.cacheMs ?? SESSION_STANDING_CACHE_MS;
    this.maxCachedUsers = props.maxCachedUsers ?? MAX_CACHED_SESSION_USERS;
  }

  async check(userId: string | undefined, stamp: string | undefined): Promise<SessionStanding> {
    if (!userId) return { standing: 'revoked', reason: 'user deleted' };
    if (!stamp) return { standing: 'revoked', reason: 'no credential stamp' };
    let facts: SessionFacts | undefined;
    try {
      facts = await this.factsOf(userId);
    } catch (error) {
      return { standing: 'unknown', error: error instanceof Error ? error.message : String(error) };
    }
    if (!facts) return { standing: 'revoked', reason: 'user deleted' };
    if (credentialStamp(facts.passwordHash) !== stamp) return { standing: 'revoked', reason: 'password changed' };
    return { standing: 'valid', role: facts.role };
  }

  private factsOf(userId: string): Promise<SessionFacts | undefined> {
    const now = this.nowMs();
    const cached = this.cache.get(userId);
    if (cached && now - cached.atMs < this.cacheMs) return cached.facts;
    const facts = this.props.loadFacts(userId);
    this.cache.delete(userId);
    this.cache.set(userId, { atMs: now, facts });
    // A failed read is not remembered: the next request asks again.
    facts.catch(() => {
      if (this.cache.get(userId)?.facts === facts) this.cache.delete(userId);
    });
    if (this.cache.size > this.maxCachedUsers) this.cache.delete(this.cache.keys().next().value as string);
    return facts;
  }
}
