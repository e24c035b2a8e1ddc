/** This node's session codec (current + previous secrets from the config), shared by NextAuth and the proxy. */
import { appConfig } from '../config';
import { countSafely } from '../metrics/appMetrics';
import { type SessionCodec, sessionCodec } from './sessionCodec';
import { processSingleton } from '../processSingleton';

export function nodeSessionCodec(): SessionCodec {
  return processSingleton('msk.app.sessionCodec', () => {
    const config = appConfig();
    return countingRefusals(sessionCodec({ current: config.nextAuthSecret, previous: config.nextAuthSecretPrevious }));
  });
}

/** jose's error code for a token past its expiry (NextAuth's decode checks `exp`). */
function isExpired(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ERR_JWT_EXPIRED';
}

/** Counts each cookie that does not open (msk_app_sessions_refused_total); the proxy and NextAuth both decode through here. */
function countingRefusals(codec: SessionCodec): SessionCodec {
  return {
    encode: (params) => codec.encode(params),
    async decode(params) {
      try {
        return await codec.decode(params);
      } catch (error) {
        countSafely((metrics) => metrics.sessionsRefused.inc({ reason: isExpired(error) ? 'expired' : 'bad-cookie' }));
        throw error;
      }
    },
  };
}
