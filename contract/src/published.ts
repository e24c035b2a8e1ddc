/**
 * Values that have been published (the setup guide operators copy from) and so protect nothing.
 * Stored as SHA-256 digests so the secrets themselves are not repeated in this code base.
 */
import { sha256Hex } from './checks';

const PUBLISHED_SECRET_DIGESTS: ReadonlyMap<string, string> = new Map([
  [
    '14a916baaa17d632ad7d9caa4a37b44eedf3ee5a637716526bc7fbf13ce16069',
    'the NEXTAUTH_SECRET example of the multi-server setup guide',
  ],
  [
    '5376bbcc2422e2acdc72c322ff26c578126858c15340102f8d8610b403c09e1e',
    'the SYNC_REGISTRATION_KEY example of the multi-server setup guide',
  ],
]);

/** Example node IDs printed in the setup guide: copying them makes nodes of different installs collide. */
export const GUIDE_EXAMPLE_NODE_IDS: ReadonlyMap<string, string> = new Map([
  ['2595930f841f02e1', "the guide's example for server 1"],
  ['a1b2c3d4e5f6g7h8', "the guide's example for server 2, which is not hex and not what `openssl rand -hex 8` makes"],
]);

/** Where a secret was published, or undefined if it is not a known published value. */
export function publishedSource(value: string): string | undefined {
  return PUBLISHED_SECRET_DIGESTS.get(sha256Hex(value));
}
