import { encodeHlc } from './hlc';
import {
  MAX_VALUE_LENGTH,
  PROTOCOL_VERSION,
  compareCursors,
  pullRequestSchema,
  pullResponseSchema,
  validateChanges,
} from './protocol';
import type { RowChange } from './protocol';
import type { ReplicatedTable } from './tableSchema';

const TABLE: ReplicatedTable = {
  name: 'users',
  primaryKey: 'id',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'email', type: 'text' },
  ],
  uniqueKeys: [],
  foreignKeys: [],
};
const NODE = 'aaaaaaaaaaaaaaaa';
const PK = '00000000-0000-7000-8000-000000000001';
const NOW_MS = 1_700_000_000_000;
const change = (overrides: Partial<RowChange> = {}): RowChange => ({
  table: 'users',
  pk: PK,
  origin: NODE,
  hlc: encodeHlc({ wallMs: NOW_MS, counter: 0, nodeId: NODE }),
  values: { id: PK, email: 'a@example.com' },
  deletedHlc: null,
  ...overrides,
});
const context = { tables: new Map([['users', TABLE]]), nowMs: NOW_MS };

describe('protocol messages', () => {
  it('accept a well-formed pull request and reject one with a bad cursor, naming the field', () => {
    const request = {
      type: 'pull',
      protocolVersion: PROTOCOL_VERSION,
      schemaVersion: 'sv1-x',
      requesterNodeId: NODE,
      cursor: null,
      limit: 100,
    };
    expect(pullRequestSchema.safeParse(request).success).toBe(true);
    const bad = pullRequestSchema.safeParse({ ...request, cursor: { xid: '-1', seq: '0' } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['cursor', 'xid']);
  });

  it('reject a batch larger than the limit and a response of unknown type', () => {
    expect(
      pullRequestSchema.safeParse({
        type: 'pull',
        protocolVersion: 1,
        schemaVersion: 's',
        requesterNodeId: NODE,
        cursor: null,
        limit: 1_000_000,
      }).success,
    ).toBe(false);
    expect(pullResponseSchema.safeParse({ type: 'surprise' }).success).toBe(false);
  });

  it('order cursors by transaction id, then sequence, as numbers', () => {
    expect(compareCursors({ xid: '9', seq: '100' }, { xid: '10', seq: '1' })).toBe(-1);
    expect(compareCursors({ xid: '10', seq: '2' }, { xid: '10', seq: '10' })).toBe(-1);
    expect(compareCursors(null, { xid: '0', seq: '0' })).toBe(-1);
    expect(compareCursors({ xid: '18446744073709551615', seq: '1' }, { xid: '18446744073709551614', seq: '9' })).toBe(
      1,
    );
  });
});

describe('validating row states from a peer', () => {
  it('expands a valid state to per-column versions', () => {
    const validation = validateChanges(
      [change({ columnHlcs: { email: encodeHlc({ wallMs: NOW_MS, counter: 1, nodeId: NODE }) } })],
      context,
    );
    expect(validation.ok && validation.changes[0]!.state.versions).toEqual({
      id: encodeHlc({ wallMs: NOW_MS, counter: 0, nodeId: NODE }),
      email: encodeHlc({ wallMs: NOW_MS, counter: 1, nodeId: NODE }),
    });
  });

  it('refuses the whole batch when one state names an unknown table, misses a column or mismatches its pk', () => {
    const validation = validateChanges(
      [
        change(),
        change({ table: 'ghosts' }),
        change({ values: { id: PK } }),
        change({ values: { id: '00000000-0000-7000-8000-000000000002', email: null } }),
      ],
      context,
    );
    expect(validation.ok).toBe(false);
    expect(!validation.ok && validation.problems).toEqual([
      expect.stringMatching(/change 1 .*table "ghosts" is not replicated/),
      expect.stringMatching(/change 2 .*missing columns email/),
      expect.stringMatching(/change 3 .*column id must equal the row's pk/),
    ]);
  });

  it('refuses a value or a stamp for a column the table does not have, whatever the name', () => {
    const odd = 'email"; DROP TABLE users; --';
    const parsed = pullResponseSchema.safeParse({
      type: 'batch',
      protocolVersion: PROTOCOL_VERSION,
      schemaVersion: 's',
      sourceNodeId: NODE,
      changes: [
        change({ values: { id: PK, email: 'a@example.com', [odd]: 'x' } }),
        change({ columnHlcs: { __proto__x: change().hlc } }),
      ],
      nextCursor: { xid: '1', seq: '0' },
      hasMore: false,
      remainingChanges: 0,
    });
    expect(parsed.success).toBe(true); // the names are checked against the table, not by pattern
    const validation = validateChanges(
      parsed.success && parsed.data.type === 'batch' ? parsed.data.changes : [],
      context,
    );
    expect(!validation.ok && validation.problems).toEqual([
      expect.stringContaining(`change 0 (users ${PK}): unknown columns ${odd}`),
      expect.stringContaining(`change 1 (users ${PK}): unknown columns __proto__x`),
    ]);
  });

  it('refuses values that are not text or null, too long, or under a name too long, naming the field', () => {
    const batchWith = (values: unknown) =>
      pullResponseSchema.safeParse({
        type: 'batch',
        protocolVersion: PROTOCOL_VERSION,
        schemaVersion: 's',
        sourceNodeId: NODE,
        changes: [{ ...change(), values }],
        nextCursor: { xid: '1', seq: '0' },
        hasMore: false,
        remainingChanges: 0,
      });
    expect(batchWith({ id: PK, email: null }).success).toBe(true);
    for (const values of [
      { id: PK, email: 42 },
      { id: PK, email: 'x'.repeat(MAX_VALUE_LENGTH + 1) },
      { id: PK, ['c'.repeat(64)]: 'x' },
      [PK],
      null,
      'id',
    ]) {
      const parsed = batchWith(values);
      expect(parsed.success).toBe(false);
      expect(!parsed.success && parsed.error.issues[0]!.path).toEqual(['changes', 0, 'values']);
      expect(!parsed.success && parsed.error.issues[0]!.message).toMatch(/must map column names .* to text .* or null/);
    }
  });

  it('refuses a stamp too far in the future, saying how far and what to fix', () => {
    const validation = validateChanges(
      [change({ hlc: encodeHlc({ wallMs: NOW_MS + 120_000, counter: 0, nodeId: NODE }) })],
      context,
    );
    expect(!validation.ok && validation.problems[0]).toMatch(/120000 ms ahead .* fix that node's clock/);
  });
});
