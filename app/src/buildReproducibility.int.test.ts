/**
 * Two separate builds of one version behind one load balancer: a page rendered by one build posts its Server
 * Action to a node running the other. That works when both builds had the same NEXT_SERVER_ACTIONS_ENCRYPTION_KEY
 * (and the constant deploymentId), and fails with "Failed to find Server Action" when the keys differ.
 * Three extra builds (about 15 s each), made again only when the app's sources change.
 */
import { createHash } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@msk/kit/testing';
import { allStarted, startAppServer, type StartedAppServer } from './testing/appServer';
import {
  newSessionSecret,
  TEST_ADMIN_EMAIL,
  TEST_ADMIN_PASSWORD,
  testNodeEnvironment,
} from './testing/nodeEnvironment';
import { api, sessionHeader, signedIn } from './testing/nextAuthClient';
import { ensureStandaloneBuild } from './testing/standaloneBuild';

// Real processes on a shared 2-core machine; Jest ignores a testTimeout set inside a project, so set it here.
jest.setTimeout(120_000);

// Fixed test keys (base64 of 32 bytes), so the builds are cached between runs; not secrets of any deployment.
const testKey = (label: string) =>
  createHash('sha256').update(`msk app test server actions key ${label}`).digest('base64');
const SHARED_KEY = testKey('shared');
const OTHER_KEY = testKey('other');

/** The hidden fields React renders into a Server Action form, so it also works without JavaScript. */
function serverActionFields(html: string, formLabel: string): [string, string][] {
  const form = new RegExp(`<form[^>]*aria-label="${formLabel}"[^>]*>(.*?)</form>`, 's').exec(html)?.[1];
  if (!form) throw new Error(`no form "${formLabel}" in the page`);
  const unescape = (value: string) =>
    value
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&')
      .replace(/&#x27;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>');
  return [...form.matchAll(/<input type="hidden" name="(\$ACTION_[^"]*)"(?: value="([^"]*)")?\/>/g)].map((m) => [
    m[1] as string,
    unescape(m[2] ?? ''),
  ]);
}

describe('separate builds of one version', () => {
  let database: TestDatabase;
  let firstBuildNode: StartedAppServer;
  let secondBuildNode: StartedAppServer;
  let otherKeyNode: StartedAppServer;
  let session: string;

  beforeAll(async () => {
    const first = await ensureStandaloneBuild({ serverActionsKey: SHARED_KEY, variant: 'first' });
    const second = await ensureStandaloneBuild({ serverActionsKey: SHARED_KEY, variant: 'second' });
    const other = await ensureStandaloneBuild({ serverActionsKey: OTHER_KEY, variant: 'other-key' });
    database = await createTestDatabase('app_builds');
    const secret = newSessionSecret();
    const env = (address: string, nodeName: string) =>
      testNodeEnvironment({
        address,
        nodeName,
        databaseUrl: database.url,
        nextAuthSecret: secret,
        nextAuthUrl: 'http://127.0.1.40:8080',
      });
    // One database for the three nodes, as if replication had already made theirs equal.
    firstBuildNode = await startAppServer({ serverJs: first, env: await env('127.0.1.40', 'first-build') });
    [secondBuildNode, otherKeyNode] = await allStarted([
      startAppServer({ serverJs: second, env: await env('127.0.1.41', 'second-build') }),
      startAppServer({ serverJs: other, env: await env('127.0.1.42', 'other-key-build') }),
    ]);
    session = await signedIn(firstBuildNode.url, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
  }, 600_000);

  afterAll(async () => {
    await Promise.all([firstBuildNode, secondBuildNode, otherKeyNode].map((node) => node?.stop()));
    await database?.drop();
  });

  /** Renders the "Create business" form on the first build's node and submits it (as a browser without JavaScript would) to `target`. */
  async function createBusinessAcrossBuilds(target: StartedAppServer, name: string): Promise<Response> {
    const page = await fetch(`${firstBuildNode.url}/businesses`, { headers: sessionHeader(session) });
    const form = new FormData();
    for (const [field, value] of serverActionFields(await page.text(), 'Create business')) form.append(field, value);
    form.append('name', name);
    form.append('type', 'services');
    return fetch(`${target.url}/businesses`, {
      method: 'POST',
      redirect: 'manual',
      // A load balancer keeps Origin and Host in agreement; here the target is the origin.
      headers: { ...sessionHeader(session), origin: target.url },
      body: form,
    });
  }

  async function businessNames(): Promise<string[]> {
    return (await api(firstBuildNode.url, session, 'GET', '/api/businesses')).body.businesses.map(
      (b: { name: string }) => b.name,
    );
  }

  it('carry the same deploymentId, derived from the package version', async () => {
    const html = await Promise.all(
      [firstBuildNode, secondBuildNode, otherKeyNode].map(async (node) => (await fetch(`${node.url}/signin`)).text()),
    );
    const deploymentIds = html.map((page) => /data-dpl-id="([^"]+)"/.exec(page)?.[1]);
    expect(deploymentIds).toEqual(['msk-app-0-1-0', 'msk-app-0-1-0', 'msk-app-0-1-0']);
  });

  it("accept each other's Server Actions when built with the same NEXT_SERVER_ACTIONS_ENCRYPTION_KEY", async () => {
    const response = await createBusinessAcrossBuilds(secondBuildNode, 'Made across builds');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(/^\/businesses\/[0-9a-f-]{36}$/);
    expect(await businessNames()).toContain('Made across builds');
  });

  it('refuse the Server Actions of a build made with another key', async () => {
    const response = await createBusinessAcrossBuilds(otherKeyNode, 'Refused across keys');
    expect(response.status).not.toBe(303);
    expect(otherKeyNode.output()).toContain('Failed to find Server Action');
    expect(await businessNames()).not.toContain('Refused across keys');
  });
});
