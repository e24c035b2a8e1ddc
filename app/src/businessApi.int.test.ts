/**
 * The JSON API of one real app node (built standalone server, real PostgreSQL): businesses and their employees
 * through the app's own routes, authenticated by the session cookie, and users managed by admins only.
 */
import { createTestDatabase, type TestDatabase } from '@msk/kit/testing';
import { startAppServer, type StartedAppServer } from './testing/appServer';
import { TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD, testNodeEnvironment } from './testing/nodeEnvironment';
import { api, signedIn } from './testing/nextAuthClient';
import { ensureStandaloneBuild } from './testing/standaloneBuild';

// Real processes on a shared 2-core machine; Jest ignores a testTimeout set inside a project, so set it here.
jest.setTimeout(120_000);

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MISSING_ID = '01900000-0000-7000-8000-000000000000';
/** What the API answers for a record it has just stored: a UUIDv7 id and both timestamps around the fields. */
const newRecord = (fields: Record<string, unknown>) => ({
  id: expect.stringMatching(UUID_V7),
  ...fields,
  createdAt: expect.any(String),
  updatedAt: expect.any(String),
});

describe('the JSON API', () => {
  let database: TestDatabase;
  let node: StartedAppServer;
  let admin: string;
  /** `null` as the cookie: a request without a session. */
  const call = (method: string, path: string, body?: unknown, cookie: string | null = admin) =>
    api(node.url, cookie ?? undefined, method, path, body);

  beforeAll(async () => {
    const serverJs = await ensureStandaloneBuild();
    database = await createTestDatabase('app_api');
    node = await startAppServer({
      serverJs,
      env: await testNodeEnvironment({ address: '127.0.1.10', nodeName: 'api-node', databaseUrl: database.url }),
    });
    admin = await signedIn(node.url, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
  }, 300_000);

  afterAll(async () => {
    await node?.stop();
    await database?.drop();
  });

  describe('without a session', () => {
    it.each([
      ['GET', '/api/businesses'],
      ['POST', '/api/businesses'],
      ['GET', `/api/businesses/${MISSING_ID}`],
      ['DELETE', `/api/businesses/${MISSING_ID}`],
      ['GET', `/api/businesses/${MISSING_ID}/employees`],
      ['PATCH', `/api/employees/${MISSING_ID}`],
      ['GET', '/api/users'],
    ])('answers 401 to %s %s', async (method, path) => {
      const response = await call(method, path, method === 'GET' || method === 'DELETE' ? undefined : {}, null);
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: 'unauthorized', message: expect.stringContaining('sign in') });
    });

    it('answers health and readiness, which need no session', async () => {
      expect((await call('GET', '/api/health', undefined, null)).body).toEqual({
        status: 'ok',
        node: { id: expect.any(String), name: 'api-node' },
      });
      expect((await call('GET', '/api/ready', undefined, null)).status).toBe(200);
    });
  });

  describe('businesses', () => {
    it('creates, reads, lists, changes and deletes a business', async () => {
      const bakery = {
        name: 'Corner Bakery',
        type: 'restaurant',
        contactEmail: 'Orders@Bakery.example',
        contactPhone: '+1 555 0100',
        address: '1 Main Street',
      };
      const created = await call('POST', '/api/businesses', bakery);
      expect(created.status).toBe(201);
      expect(created.body).toEqual(newRecord({ ...bakery, contactEmail: 'orders@bakery.example', active: true }));
      const id = created.body.id as string;
      expect(created.headers.get('location')).toBe(`/api/businesses/${id}`);

      expect((await call('GET', `/api/businesses/${id}`)).body).toEqual(created.body);
      const list = await call('GET', '/api/businesses');
      expect(list.body.businesses.map((b: { id: string }) => b.id)).toContain(id);

      const patched = await call('PATCH', `/api/businesses/${id}`, { active: false, contactPhone: null });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({
        id,
        name: 'Corner Bakery',
        active: false,
        contactPhone: null,
        createdAt: created.body.createdAt,
      });
      expect(Date.parse(patched.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.body.updatedAt));

      const replaced = await call('PUT', `/api/businesses/${id}`, { name: 'Bakery & Café', type: 'retail' });
      expect(replaced.body).toMatchObject({
        id,
        name: 'Bakery & Café',
        type: 'retail',
        contactEmail: null,
        address: null,
        active: true,
      });

      expect((await call('DELETE', `/api/businesses/${id}`)).status).toBe(204);
      expect((await call('GET', `/api/businesses/${id}`)).status).toBe(404);
      expect((await call('DELETE', `/api/businesses/${id}`)).status).toBe(404);
    });

    it('answers 400 naming each field that is wrong', async () => {
      const response = await call('POST', '/api/businesses', {
        name: '',
        type: 'bank',
        contactEmail: 'not-an-email',
        extra: 1,
      });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        error: 'validation_failed',
        message: expect.stringContaining('name must not be empty'),
        fields: {
          name: 'must not be empty',
          type: expect.stringMatching(/^must be one of/),
          contactEmail: expect.stringMatching(/^must be an email address/),
          extra: 'is not a field of this resource',
        },
      });
    });

    it('answers 400 to a body that is not JSON and 415 to one that is not declared as JSON', async () => {
      expect((await call('POST', '/api/businesses', '{"name": ')).body).toMatchObject({ error: 'invalid_json' });
      const response = await fetch(`${node.url}/api/businesses`, {
        method: 'POST',
        headers: { cookie: `next-auth.session-token=${admin}`, 'content-type': 'text/plain' },
        body: JSON.stringify({ name: 'A', type: 'retail' }),
      });
      expect(response.status).toBe(415);
    });

    it('answers 400 to an empty patch and 404 to unknown or malformed IDs', async () => {
      const { body } = await call('POST', '/api/businesses', { name: 'Patch Target', type: 'services' });
      expect((await call('PATCH', `/api/businesses/${body.id}`, {})).body).toMatchObject({
        error: 'validation_failed',
        fields: { '(body)': 'must contain at least one field to change' },
      });
      expect((await call('PATCH', `/api/businesses/${MISSING_ID}`, { name: 'x' })).status).toBe(404);
      const malformed = await call('GET', "/api/businesses/1'%20OR%20'1'='1");
      expect(malformed.status).toBe(404);
      expect(malformed.body).toMatchObject({ error: 'not_found' });
    });
  });

  describe('employees', () => {
    it('adds, lists, changes and removes the employees of a business', async () => {
      const business = (await call('POST', '/api/businesses', { name: 'Hardware Store', type: 'retail' })).body;
      const added = await call('POST', `/api/businesses/${business.id}/employees`, {
        name: 'Grace Hopper',
        title: 'Manager',
      });
      expect(added.status).toBe(201);
      expect(added.body).toMatchObject({
        id: expect.stringMatching(UUID_V7),
        businessId: business.id,
        name: 'Grace Hopper',
        email: null,
        title: 'Manager',
      });
      const employeeId = added.body.id as string;

      const list = await call('GET', `/api/businesses/${business.id}/employees`);
      expect(list.body).toEqual({ employees: [added.body] });

      const patched = await call('PATCH', `/api/employees/${employeeId}`, { email: 'grace@store.example' });
      expect(patched.body).toMatchObject({
        id: employeeId,
        name: 'Grace Hopper',
        email: 'grace@store.example',
        title: 'Manager',
      });
      expect((await call('GET', `/api/employees/${employeeId}`)).body).toEqual(patched.body);

      expect((await call('DELETE', `/api/employees/${employeeId}`)).status).toBe(204);
      expect((await call('GET', `/api/employees/${employeeId}`)).status).toBe(404);
    });

    it('names the invalid field of an employee and refuses employees of a missing business', async () => {
      const business = (await call('POST', '/api/businesses', { name: 'Clinic', type: 'healthcare' })).body;
      const invalid = await call('POST', `/api/businesses/${business.id}/employees`, { name: ' ', email: 'nope' });
      expect(invalid.status).toBe(400);
      expect(invalid.body.fields).toEqual({
        name: 'must not be empty',
        email: expect.stringMatching(/^must be an email address/),
      });
      expect((await call('POST', `/api/businesses/${MISSING_ID}/employees`, { name: 'Nobody' })).status).toBe(404);
      expect((await call('GET', `/api/businesses/${MISSING_ID}/employees`)).status).toBe(404);
    });

    it('deletes the employees with their business', async () => {
      const business = (await call('POST', '/api/businesses', { name: 'Closing Down', type: 'other' })).body;
      const employee = (await call('POST', `/api/businesses/${business.id}/employees`, { name: 'Last One' })).body;
      expect((await call('DELETE', `/api/businesses/${business.id}`)).status).toBe(204);
      expect((await call('GET', `/api/employees/${employee.id}`)).status).toBe(404);
    });
  });

  describe('users', () => {
    it('lets an admin create a member, who can use the API but not manage users', async () => {
      const created = await call('POST', '/api/users', {
        email: 'Member@Example.com',
        name: 'Mia Member',
        password: 'member-password-1',
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual(newRecord({ email: 'member@example.com', name: 'Mia Member', role: 'member' }));
      expect(JSON.stringify(created.body)).not.toMatch(/password/i);

      const member = await signedIn(node.url, 'member@example.com', 'member-password-1');
      expect((await call('GET', '/api/businesses', undefined, member)).status).toBe(200);
      const refused = await call(
        'POST',
        '/api/users',
        { email: 'x@example.com', name: 'X', password: 'x-password-123' },
        member,
      );
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({ error: 'forbidden', message: 'only admins manage users' });
      expect((await call('GET', '/api/users', undefined, member)).status).toBe(403);
    });

    it('refuses a second user with the same email, naming the field', async () => {
      const response = await call('POST', '/api/users', {
        email: TEST_ADMIN_EMAIL,
        name: 'Again',
        password: 'another-password-1',
      });
      expect(response.status).toBe(409);
      expect(response.body.fields).toEqual({ email: 'is taken' });
    });

    it('never demotes the last admin', async () => {
      const users = (await call('GET', '/api/users')).body.users as { id: string; email: string }[];
      const me = users.find((u) => u.email === TEST_ADMIN_EMAIL)!;
      const response = await call('PATCH', `/api/users/${me.id}`, { role: 'member' });
      expect(response.status).toBe(409);
      expect(response.body.message).toMatch(/last admin/);
    });

    it('takes admin rights away at once when an admin is demoted, even with a session cookie made before', async () => {
      const second = (
        await call('POST', '/api/users', {
          email: 'second-admin@example.com',
          name: 'Second',
          password: 'second-admin-pw',
          role: 'admin',
        })
      ).body;
      const secondCookie = await signedIn(node.url, 'second-admin@example.com', 'second-admin-pw');
      expect((await call('GET', '/api/users', undefined, secondCookie)).status).toBe(200);
      expect((await call('PATCH', `/api/users/${second.id}`, { role: 'member' })).status).toBe(200);
      expect((await call('GET', '/api/users', undefined, secondCookie)).status).toBe(403);
    });
  });
});
