/**
 * How session cookies are sealed and opened: NextAuth's own JWE (dir + A256GCM, key derived from the secret),
 * sealed only with the current NEXTAUTH_SECRET and opened with the current one or any of NEXTAUTH_SECRET_PREVIOUS.
 * That is what makes a two-phase rotation log nobody out. Every place that reads a session (the NextAuth route,
 * getServerSession in pages, route handlers and Server Actions, getToken in the proxy) must use this decode.
 */
import { decode as decodeWithSecret, encode as encodeWithSecret } from 'next-auth/jwt';
import type { JWT, JWTDecodeParams, JWTEncodeParams } from 'next-auth/jwt';

export interface SessionSecrets {
  readonly current: string;
  /** Decrypt-only: earlier secrets still accepted during a rotation. */
  readonly previous: readonly string[];
}

export interface SessionCodec {
  encode(params: JWTEncodeParams): Promise<string>;
  decode(params: JWTDecodeParams): Promise<JWT | null>;
}

/** jose's error for "this key does not open this JWE"; any other failure (expired, malformed) is final. */
function isWrongKey(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ERR_JWE_DECRYPTION_FAILED'
  );
}

export function sessionCodec(secrets: SessionSecrets): SessionCodec {
  const candidates = [secrets.current, ...secrets.previous];
  return {
    encode(params) {
      return encodeWithSecret({ ...params, secret: secrets.current });
    },
    async decode(params) {
      if (!params.token) return null;
      let lastError: unknown;
      for (const secret of candidates) {
        try {
          return await decodeWithSecret({ ...params, secret });
        } catch (error) {
          if (!isWrongKey(error)) throw error;
          lastError = error;
        }
      }
      // NextAuth logs this as JWT_SESSION_ERROR ("decryption operation failed") and answers with no session.
      throw lastError;
    },
  };
}
