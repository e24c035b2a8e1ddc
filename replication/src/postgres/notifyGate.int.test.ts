import { Client } from 'pg';
import { NODE_IDS, userRow } from '../testing/appShapedTables';
import type { PostgresNode } from '../testing/postgresNodes';
import { startPostgresNode } from '../testing/postgresNodes';
import { until } from '../testing/waitUntil';
import { PostgresReplicationStore } from './postgresStore';
import { NotifyGate } from './notifyGate';
import { CHANGE_CHANNEL, NOTIFY_GATE } from './sql';

const INSERT = 'INSERT INTO users SELECT * FROM jsonb_populate_record(NULL::users, $1)';

describe('the notify gate', () => {
  let node: PostgresNode;
  const clients: Client[] = [];
  const connect = async () => {
    const client = new Client({ connectionString: node.database.url });
    clients.push(client);
    await client.connect();
    return client;
  };
  const gateOf = async (client: Client) =>
    Number((await client.query(`SELECT last_value FROM ${NOTIFY_GATE}`)).rows[0].last_value);

  beforeEach(async () => {
    node = await startPostgresNode(NODE_IDS[0]);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.end().catch(() => undefined);
    await node.close();
  });

  /** Single-row commits from 4 connections; resolves with when the last one committed. */
  const burst = async (commitsPerConnection: number) => {
    const writers = await Promise.all([1, 2, 3, 4].map(connect));
    await Promise.all(
      writers.map(async (writer) => {
        for (let i = 0; i < commitsPerConnection; i++) await writer.query(INSERT, [JSON.stringify(userRow())]);
      }),
    );
    return Date.now();
  };

  it('closes under a burst of commits: far fewer NOTIFYs than commits, a poke after the last one, then NOTIFY again', async () => {
    const pokes: number[] = [];
    node.store.onChange(() => pokes.push(Date.now()));
    await node.store.listening();
    const counter = await connect();
    let notifications = 0;
    counter.on('notification', () => (notifications += 1));
    await counter.query(`LISTEN ${CHANGE_CHANNEL}`);

    const lastCommitMs = await burst(250);
    await until(() => pokes.some((at) => at >= lastCommitMs));
    await new Promise((resolve) => setTimeout(resolve, 300)); // late NOTIFYs arrive
    expect(notifications).toBeLessThan(1000 / 4);
    expect(await gateOf(counter)).toBe(1);

    // reopened: an isolated commit NOTIFYs and pokes at once
    const before = notifications;
    const pokedAt = pokes.length;
    await node.insert('users', userRow());
    await until(() => notifications === before + 1 && pokes.length > pokedAt);
  });

  it('a second store on the database (which does not drive the gate) is poked after a burst too', async () => {
    const second = await PostgresReplicationStore.open({
      connectionString: node.database.url,
      nodeId: node.nodeId,
      tables: ['users', 'businesses', 'employees'],
    });
    try {
      const pokes = { driver: [] as number[], follower: [] as number[] };
      node.store.onChange(() => pokes.driver.push(Date.now()));
      await node.store.listening();
      second.onChange(() => pokes.follower.push(Date.now()));
      await second.listening();
      const lastCommitMs = await burst(100);
      await until(
        () => pokes.driver.some((at) => at >= lastCommitMs) && pokes.follower.some((at) => at >= lastCommitMs),
      );
    } finally {
      await second.close();
    }
  });

  describe('a writer that found the gate closed and commits after it reopened', () => {
    // slow probes leave time to write while the gate is closed
    const timing = { closeWithinMs: 1000, probeMs: 150, maxProbeMs: 150 };

    const writeWhileClosed = async () => {
      const writer = await connect();
      await writer.query('BEGIN');
      expect(await gateOf(writer)).toBe(0);
      await writer.query(INSERT, [JSON.stringify(userRow())]);
      // still closed after the insert: its trigger read the gate closed (only notified() closes it again)
      expect(await gateOf(writer)).toBe(0);
      return writer;
    };

    /** A gate driven by `driver` that records when it poked and throws what it reports. */
    const gateOn = (driver: Client) => {
      const pokes: number[] = [];
      const gate = new NotifyGate(
        driver,
        () => pokes.push(Date.now()),
        (error) => {
          throw error;
        },
        timing,
      );
      return { gate, pokes };
    };
    const expectPokedOnlyAfterCommit = async (gate: NotifyGate, watcher: Client, writer: Client, pokes: number[]) => {
      // the gate reopens, but waits for the writer (older than the reopening) before its last poke
      await until(async () => (await gateOf(watcher)) === 1, 3000, 20);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const pokesBeforeCommit = pokes.length;
      const committedMs = Date.now();
      await writer.query('COMMIT');
      await until(() => pokes.some((at) => at >= committedMs));
      expect(pokes.length).toBe(pokesBeforeCommit + 1);
      expect(gate.isOpen).toBe(true);
    };

    it('closed by quick NOTIFYs: is poked after its commit', async () => {
      const driver = await connect();
      const watcher = await connect();
      const { gate, pokes } = gateOn(driver);
      try {
        gate.notified();
        gate.notified(); // two in quick succession: close
        await until(() => !gate.isOpen);
        await until(async () => (await gateOf(watcher)) === 0, 3000, 1);
        const writer = await writeWhileClosed();
        await expectPokedOnlyAfterCommit(gate, watcher, writer, pokes);
      } finally {
        gate.stop();
      }
    });

    it('left closed by a driver that went away: the next driver takes over and pokes after the commit', async () => {
      const watcher = await connect();
      await watcher.query(`SELECT setval('${NOTIFY_GATE}', 0)`); // what a driver that died while closed leaves
      const driver = await connect();
      const { gate, pokes } = gateOn(driver);
      try {
        const writer = await writeWhileClosed();
        await gate.start();
        expect(gate.isOpen).toBe(false);
        await expectPokedOnlyAfterCommit(gate, watcher, writer, pokes);
      } finally {
        gate.stop();
      }
    });
  });
});
