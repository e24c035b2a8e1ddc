/**
 * The capture channel (msk_sync_changes) as another database role sees it: any role that can connect may LISTEN
 * on it and pg_notify on it. Nothing it reads there is row data, and nothing it sends there reaches a peer.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { NODE_IDS, businessRow, userRow } from '../testing/appShapedTables';
import type { PostgresNode } from '../testing/postgresNodes';
import { postgresNodesPerTest } from '../testing/postgresNodes';
import { wirePushes } from '../testing/pushWiring';
import { until } from '../testing/waitUntil';
import { CHANGE_CHANNEL } from './sql';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Longer than the notify gate's "quick succession": each write below is an isolated commit, the gate stays open. */
const APART_MS = 50;

describe('the capture channel, seen by a role without table privileges', () => {
  const intruders: { client: Client; role: string; admin: PostgresNode }[] = [];
  // declared before the nodes' own afterEach, so it runs while their connections are open
  afterEach(async () => {
    for (const { client, role, admin } of intruders.splice(0)) {
      await client.end().catch(() => undefined);
      await admin.app.query(`DROP ROLE IF EXISTS ${role}`);
    }
  });
  const start = postgresNodesPerTest();

  /** A role that may only connect (no grant on any table), connected to the node's database. */
  const intruderOn = async (node: PostgresNode): Promise<Client> => {
    const role = `intruder_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    await node.app.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    const url = new URL(node.database.url);
    url.username = role;
    url.password = password;
    const client = new Client({ connectionString: url.toString() });
    client.on('error', () => undefined);
    await client.connect();
    intruders.push({ client, role, admin: node });
    // it really has no table privilege
    await expect(client.query('SELECT * FROM users')).rejects.toThrow(/permission denied/);
    return client;
  };

  it('hears that something was written, but no row values: no password hash, no email, no business name', async () => {
    const node = await start(NODE_IDS[0]);
    node.store.onChange(() => undefined);
    await node.store.listening();
    const intruder = await intruderOn(node);
    const payloads: string[] = [];
    intruder.on('notification', (message) => payloads.push(message.payload ?? ''));
    await intruder.query(`LISTEN ${CHANGE_CHANNEL}`);

    const user = userRow({ password_hash: '$2b$10$Sup3rS3cretHashValueNobodyElseSees', name: 'Zoë Admin' });
    const business = businessRow({ name: 'Quiet Harbour Bakery' });
    await node.insert('users', user);
    await until(() => payloads.length === 1);
    await sleep(APART_MS);
    await node.insert('businesses', business);
    await until(() => payloads.length === 2);

    const heard = payloads.join('\n');
    for (const value of [
      user.password_hash,
      user.email,
      user.name,
      business.name,
      business.contact_email,
      user.id,
      business.id,
    ]) {
      expect(heard).not.toContain(value);
    }
  });

  it('can NOTIFY a well-formed row, which never reaches a peer', async () => {
    const source = await start(NODE_IDS[0]);
    const peer = await start(NODE_IDS[1]);
    const pushes = await wirePushes(source, peer);
    const intruder = await intruderOn(source);

    // an admin that nobody created, in the form a single-row INSERT's capture NOTIFY used to carry its row
    const forged = userRow({
      email: 'mallory@example.com',
      role: 'admin',
      password_hash: '$2b$10$MalloryKnowsThisPasswordHash',
    });
    const stamp = Date.now().toString(16).padStart(12, '0') + '00000001' + source.nodeId;
    await intruder.query('SELECT pg_notify($1, $2)', [
      CHANGE_CHANNEL,
      JSON.stringify({ t: 'users', k: forged.id, h: stamp, v: forged }),
    ]);
    await sleep(APART_MS);
    // a real write after it: pushes to a peer go one after another, so once this row is there, whatever the
    // forged NOTIFY made the service send has been sent
    const real = userRow();
    await source.insert('users', real);
    await until(async () => (await peer.rows('users')).some((row) => row.id === real.id));

    expect(await peer.rows('users')).toEqual([real]);
    expect(pushes.flatMap((push) => push.batch.changes.map((change) => change.pk))).not.toContain(forged.id);
  });
});
