/** Named bounds of the sync protocol. Every queue, cache and wait has one. */

export const PROTOCOL_VERSION = 1;
/** Random bytes in every nonce (handshake and request). */
export const NONCE_BYTES = 32;
/** A started handshake must be confirmed within this time, or it is forgotten. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Pending (unconfirmed) handshakes kept by a responder; the oldest is dropped beyond this. */
export const MAX_PENDING_HANDSHAKES = 256;
/** Authenticated sessions kept; the least recently used is dropped beyond this. */
export const MAX_SESSIONS = 1024;
/** Nonces remembered per replay window; beyond this the oldest are forgotten early (and stale timestamps refused). */
export const MAX_REMEMBERED_NONCES = 20_000;
/** Added to SYNC_MAX_CLOCK_SKEW_MS to get how old a signed request may be (network and scheduling delay). */
export const REQUEST_DELAY_ALLOWANCE_MS = 5_000;
/** Largest request body accepted on the handshake routes. */
export const HANDSHAKE_BODY_LIMIT_BYTES = 16 * 1024;
/** Default largest request body on authenticated routes (plugins may set their own). */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
/** Longest header value we look at (hono-style: validate length and charset before use). */
export const MAX_AUTH_HEADER_LENGTH = 128;
/** How many shared variables a peer may send fingerprints for. */
export const MAX_FINGERPRINTS = 64;
/**
 * Handshake requests (hello + confirm) one source address may send at once, and earns back per second. A real
 * peer needs 2 per connection attempt and retries with backoff; a flood beyond this is answered 429.
 */
export const HANDSHAKE_BURST_PER_ADDRESS = 30;
export const HANDSHAKE_REFILL_PER_SECOND = 5;
/**
 * Source addresses tracked by the handshake rate limit. Only addresses whose bucket is full again (nothing to
 * remember) are forgotten; beyond this, new addresses share one overflow bucket, so a flood of addresses can
 * neither reset a limited address nor get more than one address's allowance between them.
 */
export const MAX_RATE_LIMITED_ADDRESSES = 4096;
/**
 * Port 8765 before authentication. A connection counts as unauthenticated until it carries a request with a valid
 * peer signature; until then it may send one request (answered with Connection: close), with a body of at most
 * PRE_AUTH_BODY_LIMIT_BYTES (what a handshake message needs), and must be done within PRE_AUTH_TIMEOUT_MS of being
 * accepted (TLS handshake, headers, body, answer). At most MAX_UNAUTHENTICATED_CONNECTIONS are open at once, at
 * most MAX_UNAUTHENTICATED_CONNECTIONS_PER_ADDRESS from one address (an IPv6 /64 counts as one address); a
 * newcomer beyond the total displaces the oldest unauthenticated connection of the busiest address.
 */
export const PRE_AUTH_BODY_LIMIT_BYTES = HANDSHAKE_BODY_LIMIT_BYTES;
export const PRE_AUTH_TIMEOUT_MS = 10_000;
export const MAX_UNAUTHENTICATED_CONNECTIONS = 128;
export const MAX_UNAUTHENTICATED_CONNECTIONS_PER_ADDRESS = 8;
