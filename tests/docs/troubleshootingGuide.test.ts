/**
 * docs/troubleshooting.md maps every item of the setup guide ("Multi-Server Setup with Shared User Sessions") to
 * what the kit does. The guide is not part of the repository, so its items are quoted here, one per entry.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPOSITORY_ROOT } from '../support/docsCommands';

const GUIDE_ITEMS = [
  'MUST BE THE SAME on All Servers',
  'MUST BE UNIQUE on Each Server',
  'Server-Specific Settings',
  'SAME/SYNCED',
  'Generate new: `openssl rand -hex 8`',
  '`NODE_ENV="development"`',
  'SAME APPLICATION SETTINGS',
  'All other settings same as Server 1',
  'Is it safe to use the same `NEXTAUTH_SECRET`?',
  'completely separate applications',
  'Copy these EXACT values from Server 1',
  'Restart Both Servers',
  'Peers Connected: 1',
  'Log in on Server 1, access Server 2',
  'No JWT decryption errors in logs',
  'Why NEXTAUTH_SECRET must be the same',
  'Clear browser cookies',
  'Restart Next.js',
  'no extra spaces or quotes',
  'compare character-by-character',
  'Wait 30–60 seconds for peer discovery',
  '`SYNC_REGISTRATION_KEY` matches',
  'UDP 5353',
  'TCP 8765',
  'same network',
  'Can ping between servers',
  'Sync service running on both',
];

describe('docs/troubleshooting.md', () => {
  const page = readFileSync(join(REPOSITORY_ROOT, 'docs/troubleshooting.md'), 'utf8').replace(/\s+/g, ' ');

  it.each(GUIDE_ITEMS)('maps the setup guide item "%s"', (item) => {
    expect(page.toLowerCase()).toContain(item.toLowerCase());
  });
});
