/**
 * A person in a real browser (Debian's Chromium driven by playwright-core) against `npm start`'s cluster:
 * sign in at the entry point, reload until both nodes' badges have been seen, still signed in on every page,
 * sign out works everywhere. A screenshot is saved to test-artifacts/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startLocalCluster, type StartedLocalCluster } from '@msk/kit/cluster';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');

describe('a person in a browser, behind the entry point of a two-node cluster', () => {
  let cluster: StartedLocalCluster;
  let browser: Browser;

  beforeAll(async () => {
    cluster = await startLocalCluster({ nodes: 2, addressBlock: 7 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  it('says so when the email is not an email address, and signs nobody in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${cluster.entryUrl}/signin`);
    for (const email of ['admin', `${cluster.admin.email}#conflict-0123456789ab`]) {
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(cluster.admin.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect(page.locator('#sign-in-error').textContent()).resolves.toBe(
        'Email must be an email address such as ada@example.com.',
      );
      expect(page.url()).toMatch(/\/signin$/);
    }
    const cookies = await context.cookies(cluster.entryUrl);
    expect(cookies.find((c) => c.name.endsWith('next-auth.session-token'))).toBeUndefined();
    await context.close();
  });

  it('signs in once, is served by both nodes while staying signed in, and signs out everywhere', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${cluster.entryUrl}/businesses`);
    await page.waitForURL(/\/signin/);
    await page.getByLabel('Email').fill(cluster.admin.email);
    await page.getByLabel('Password').fill(cluster.admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/businesses/);

    const seen = new Set<string>();
    for (let reloads = 0; reloads < 20 && seen.size < 2; reloads++) {
      if (reloads > 0) await page.reload();
      expect(page.url()).toMatch(/\/businesses$/); // never bounced to the sign-in page
      const badge = page.getByTestId('node-badge');
      seen.add((await badge.getAttribute('data-node-name')) as string);
      await expect(page.getByRole('button', { name: 'Sign out' }).isVisible()).resolves.toBe(true);
    }
    expect([...seen].sort()).toEqual(['node-1', 'node-2']);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'signed-in-across-nodes.png'), fullPage: true });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/signin/);
    // Signed out on every node: each page load, whichever node serves it, goes back to sign-in.
    for (let i = 0; i < 4; i++) {
      await page.goto(`${cluster.entryUrl}/businesses`);
      await page.waitForURL(/\/signin/);
    }
    const cookies = await context.cookies(cluster.entryUrl);
    expect(cookies.find((c) => c.name.endsWith('next-auth.session-token'))).toBeUndefined();
    await context.close();
  });
});
