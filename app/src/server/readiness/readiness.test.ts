import { publicReadiness, readinessReport, type ReadinessFacts } from './readiness';

const node = { id: '0123456789abcdef', name: 'server-1' };
const healthy: ReadinessFacts = {
  node,
  databaseError: undefined,
  pendingMigrations: [],
  sync: { reachable: true, agreement: { ok: true, oddOneOut: false, mismatches: [] } },
};
const peer = { id: 'fedcba9876543210', name: 'server-2', address: '127.0.0.3:8765' };
type Mismatch = Extract<ReadinessFacts['sync'], { reachable: true }>['agreement']['mismatches'][number];
/** Peers report these differences; `oddOneOut` when this node is the one that differs from the rest. */
const disagreeing = (oddOneOut: boolean, ...mismatches: Mismatch[]): ReadinessFacts => ({
  ...healthy,
  sync: { reachable: true, agreement: { ok: false, oddOneOut, mismatches } },
});
const secretMismatch = (oddOneOut: boolean) => disagreeing(oddOneOut, { variable: 'NEXTAUTH_SECRET', peers: [peer] });

describe('readiness', () => {
  it('is ready when the database answers, migrations are applied and peers agree', () => {
    expect(readinessReport(healthy)).toEqual({
      httpStatus: 200,
      body: {
        status: 'ready',
        node,
        checks: {
          config: 'ok',
          database: 'ok',
          migrations: 'ok',
          sync: 'ok',
          build: 'ok',
          topology: 'ok',
          initialLoad: 'ok',
        },
        problems: [],
      },
    });
  });

  it("is not ready when the sync service refuses this node's database topology, and says why; only that node", () => {
    const problem =
      'DATABASE_TOPOLOGY is shared but server-1 and server-2 each have their own database; refused: server-2. Fix: …';
    const refused = readinessReport({
      ...healthy,
      sync: {
        ...healthy.sync,
        reachable: true,
        agreement: { ok: true, oddOneOut: false, mismatches: [] },
        database: { problem, thisNodeRefused: true },
      },
    });
    expect(refused.httpStatus).toBe(503);
    expect(refused.body.checks.topology).toBe('refused');
    expect(refused.body.problems).toEqual([`database topology: ${problem}`]);
    expect(publicReadiness(refused).body).toEqual({ status: 'not_ready', reason: 'database_topology_refused' });
    const other = readinessReport({
      ...healthy,
      sync: {
        reachable: true,
        agreement: { ok: true, oddOneOut: false, mismatches: [] },
        database: { problem, thisNodeRefused: false },
      },
    });
    expect(other.httpStatus).toBe(200);
    expect(other.body.checks.topology).toBe('disagreement');
    expect(other.body.problems[0]).toMatch(/not blocking: another node is the one refused/);
  });

  it('is not ready when the database does not answer', () => {
    const report = readinessReport({ ...healthy, databaseError: 'connect ECONNREFUSED 127.0.0.1:5432' });
    expect(report.httpStatus).toBe(503);
    expect(report.body.checks).toMatchObject({ database: 'failed', migrations: 'failed' });
    expect(report.body.problems).toEqual(['database unreachable: connect ECONNREFUSED 127.0.0.1:5432']);
  });

  it('is not ready while migrations are pending, and names them', () => {
    const report = readinessReport({ ...healthy, pendingMigrations: ['002_add_notes.sql'] });
    expect(report.httpStatus).toBe(503);
    expect(report.body.problems).toEqual(['migrations not applied yet: 002_add_notes.sql']);
  });

  it('stays ready when the sync service is unreachable, and says so', () => {
    const report = readinessReport({
      ...healthy,
      sync: { reachable: false, reason: 'GET http://127.0.0.1:8765/status: fetch failed (ECONNREFUSED)' },
    });
    expect(report.httpStatus).toBe(200);
    expect(report.body.checks.sync).toBe('unreachable');
    expect(report.body.problems[0]).toMatch(/^sync service unreachable \(not blocking\)/);
  });

  it('is not ready when this node is the odd one out on NEXTAUTH_SECRET, naming the variable and the peers', () => {
    const report = readinessReport(secretMismatch(true));
    expect(report.httpStatus).toBe(503);
    expect(report.body.checks.sync).toBe('odd-one-out');
    expect(report.body.problems).toEqual([
      'NEXTAUTH_SECRET differs from peers server-2 (fedcba9876543210 at 127.0.0.3:8765): this node is the odd one out, copy the value the other nodes use',
    ]);
  });

  it('passes on what differs when the sync service can say it without a secret', () => {
    const report = readinessReport(
      disagreeing(true, { variable: 'NEXTAUTH_URL', peers: [peer], detail: 'scheme http here, https on the peers' }),
    );
    expect(report.body.problems[0]).toMatch(
      /^NEXTAUTH_URL differs from peers server-2 \(fedcba9876543210 at 127\.0\.0\.3:8765\) \(scheme http here, https on the peers\): this node/,
    );
  });

  it('stays ready when it agrees with the majority and a peer differs', () => {
    const report = readinessReport(secretMismatch(false));
    expect(report.httpStatus).toBe(200);
    expect(report.body.checks.sync).toBe('disagreement');
    expect(report.body.problems[0]).toMatch(/NEXTAUTH_SECRET differs from peers server-2 .*not blocking/);
  });
});

describe('readiness and the app build', () => {
  const buildMismatch = (oddOneOut: boolean) => ({
    variable: 'APP_BUILD',
    peers: [peer],
    detail:
      'the app builds differ (Server Actions key): this node runs b1, key aaaaaaaa, server-2 runs b1, key bbbbbbbb; … Fix: build once, run the same image everywhere',
    oddOneOut,
  });

  it('is not ready when this node runs another build than the rest, with both builds and the fix', () => {
    const report = readinessReport(disagreeing(true, buildMismatch(true)));
    expect(report.httpStatus).toBe(503);
    expect(report.body.checks).toMatchObject({ sync: 'ok', build: 'odd-one-out' });
    expect(report.body.problems[0]).toContain('the app build differs from peers server-2');
    expect(report.body.problems[0]).toContain('this node runs b1, key aaaaaaaa, server-2 runs b1, key bbbbbbbb');
    expect(report.body.problems[0]).toContain('build once, run the same image everywhere');
    expect(publicReadiness(report).body).toEqual({ status: 'not_ready', reason: 'build_differs_from_peers' });
  });

  it('stays ready on the majority build', () => {
    const report = readinessReport(disagreeing(false, buildMismatch(false)));
    expect(report.httpStatus).toBe(200);
    expect(report.body.checks.build).toBe('disagreement');
  });

  it('names the configuration first when both the configuration and the build make this node odd', () => {
    const report = readinessReport(
      disagreeing(true, buildMismatch(true), { variable: 'NEXTAUTH_SECRET', peers: [peer], oddOneOut: true }),
    );
    expect(publicReadiness(report).body.reason).toBe('config_differs_from_peers');
  });
});

describe('the public readiness answer', () => {
  const everything = (answer: unknown) => JSON.stringify(answer);

  it('says ready and ok, and nothing about the node', () => {
    expect(publicReadiness(readinessReport(healthy))).toEqual({
      httpStatus: 200,
      body: { status: 'ready', reason: 'ok' },
    });
  });

  it('gives a reason code for each way of not being ready, without the details', () => {
    const down = publicReadiness(
      readinessReport({ ...healthy, databaseError: 'password authentication failed for user "multi_business"' }),
    );
    expect(down).toEqual({ httpStatus: 503, body: { status: 'not_ready', reason: 'database_unreachable' } });
    const pending = publicReadiness(readinessReport({ ...healthy, pendingMigrations: ['002_add_notes.sql'] }));
    expect(pending).toEqual({ httpStatus: 503, body: { status: 'not_ready', reason: 'migrations_pending' } });
    const odd = publicReadiness(readinessReport(secretMismatch(true)));
    expect(odd).toEqual({ httpStatus: 503, body: { status: 'not_ready', reason: 'config_differs_from_peers' } });
    for (const answer of [down, pending, odd]) {
      expect(everything(answer)).not.toMatch(
        /multi_business|002_add_notes|127\.0\.0\.3|server-2|0123456789abcdef|server-1/,
      );
    }
  });
});

describe('readiness during the initial load of a joining node', () => {
  type InitialLoad = NonNullable<Extract<ReadinessFacts['sync'], { reachable: true }>['initialLoad']>;
  const loadingFrom = (initialLoad: InitialLoad | null | undefined): ReadinessFacts => ({
    ...healthy,
    sync: { ...healthy.sync, reachable: true, agreement: { ok: true, oddOneOut: false, mismatches: [] }, initialLoad },
  });
  const source = { id: 'fedcba9876543210', name: 'server-2' };

  it('is not ready while a load runs, naming the source peer and the rows applied so far', () => {
    const report = readinessReport(
      loadingFrom({
        loading: true,
        phase: 'loading',
        source,
        pages: 3,
        rowsApplied: 15_000,
        startedAt: '2030-01-01T00:00:00.000Z',
      }),
    );
    expect(report.httpStatus).toBe(503);
    expect(report.body.status).toBe('not_ready');
    expect(report.body.checks.initialLoad).toBe('loading');
    expect(report.body.problems).toEqual([
      'initial load in progress: this node holds part of the data while it loads from server-2 (fedcba9876543210), ' +
        '15000 rows applied in 3 pages since 2030-01-01T00:00:00.000Z; ready once every row is in',
    ]);
    expect(publicReadiness(report)).toEqual({
      httpStatus: 503,
      body: { status: 'not_ready', reason: 'initial_load_in_progress' },
    });
    expect(JSON.stringify(publicReadiness(report))).not.toMatch(/server-2|fedcba9876543210|15000/);
  });

  it('is not ready while a load is due and a peer is connected to load from', () => {
    const report = readinessReport(loadingFrom({ loading: true, phase: 'due', source: null }));
    expect(report.httpStatus).toBe(503);
    expect(report.body.problems).toEqual([
      'initial load in progress: this node has no data from its peers yet and loads it from a connected peer; ' +
        'ready once every row is in',
    ]);
  });

  it('is not ready after a restart in the middle of a load until it has caught up from the source', () => {
    const report = readinessReport(loadingFrom({ loading: true, phase: 'catching-up', source }));
    expect(report.httpStatus).toBe(503);
    expect(report.body.problems[0]).toBe(
      'initial load in progress: a restart cut short the load from server-2 (fedcba9876543210); catching up from it ' +
        'by pulls, ready once every row is in',
    );
  });

  it('is ready when nothing can be loaded (no connected peer), after the load, and during a forced reload', () => {
    for (const phase of ['due', 'none', 'reloading', 'catching-up']) {
      const report = readinessReport(loadingFrom({ loading: false, phase, source: null }));
      expect(report.httpStatus).toBe(200);
      expect(report.body.checks.initialLoad).toBe('ok');
      expect(report.body.problems).toEqual([]);
    }
  });

  it('is ready when the sync service tells nothing of a load (an older release, replication off)', () => {
    for (const initialLoad of [undefined, null]) expect(readinessReport(loadingFrom(initialLoad)).httpStatus).toBe(200);
  });

  it('names a misconfiguration before the load when both keep the node out', () => {
    const both = readinessReport({
      ...secretMismatch(true),
      sync: { ...secretMismatch(true).sync, initialLoad: { loading: true, phase: 'loading', source } },
    } as ReadinessFacts);
    expect(both.body.checks).toMatchObject({ sync: 'odd-one-out', initialLoad: 'loading' });
    expect(publicReadiness(both).body.reason).toBe('config_differs_from_peers');
  });
});
