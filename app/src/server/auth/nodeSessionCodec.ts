/** This node's session codec (current + previous secrets from the config), shared by NextAuth and the proxy. */
import { appConfig } from '../config';
import { type SessionCodec, sessionCodec } from './sessionCodec';

const CODEC_KEY = Symbol.for('msk.app.sessionCodec');
type CodecHolder = { [CODEC_KEY]?: SessionCodec };

export function nodeSessionCodec(): SessionCodec {
  const holder = globalThis as CodecHolder;
  if (!holder[CODEC_KEY]) {
    const config = appConfig();
    holder[CODEC_KEY] = sessionCodec({ current: config.nextAuthSecret, previous: config.nextAuthSecretPrevious });
  }
  return holder[CODEC_KEY];
}
