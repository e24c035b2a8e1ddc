import { comparePeerSchema, describeSchema, judgePeerSchema, schemaDescriptionSchema } from './schemaCompatibility';
import type { ReplicatedTable } from './tableSchema';
import { schemaVersionOf } from './tableSchema';

const users = (extra: { name: string; type: string }[] = []): ReplicatedTable => ({
  name: 'users',
  primaryKey: 'id',
  columns: [{ name: 'id', type: 'uuid' }, { name: 'email', type: 'text' }, ...extra],
  uniqueKeys: [],
  foreignKeys: [],
});
const nickname = { name: 'nickname', type: 'text' };

describe("comparing a peer's tables with this node's", () => {
  it('the same tables are the same, whatever the order of their columns', () => {
    const shuffled = {
      tables: [
        {
          ...describeSchema([users([nickname])]).tables[0]!,
          columns: [nickname, { name: 'email', type: 'text' }, { name: 'id', type: 'uuid' }],
        },
      ],
    };
    expect(comparePeerSchema([users([nickname])], shuffled)).toEqual({ kind: 'same' });
  });

  it('a peer without a column this node has is behind: its changes apply', () => {
    expect(comparePeerSchema([users([nickname])], describeSchema([users()]))).toEqual({
      kind: 'peer-behind',
      peerLacks: ['users.nickname'],
    });
  });

  it("a peer with a column this node lacks makes its changes wait for this node's upgrade", () => {
    expect(comparePeerSchema([users()], describeSchema([users([nickname])]))).toEqual({
      kind: 'waiting-for-upgrade',
      localLacks: ['users.nickname'],
      peerLacks: [],
    });
  });

  it('a column of another type, another primary key or another table list is incompatible, each named', () => {
    const verdict = comparePeerSchema([users()], {
      tables: [
        {
          name: 'users',
          primaryKey: 'email',
          columns: [
            { name: 'id', type: 'uuid' },
            { name: 'email', type: 'integer' },
          ],
        },
        { name: 'extra', primaryKey: 'id', columns: [{ name: 'id', type: 'uuid' }] },
      ],
    });
    expect(verdict.kind).toBe('incompatible');
    expect(verdict.kind === 'incompatible' && verdict.problems).toEqual([
      'table users: primary key email there, id here',
      'table users: column email is integer there, text here',
      'the peer replicates table extra, this node does not',
    ]);
    expect(comparePeerSchema([users()], { tables: [] })).toEqual({
      kind: 'incompatible',
      problems: ['the peer does not replicate table users'],
    });
  });

  it('equal schema versions need no description; a different one without a description is incompatible (a sync service from before rolling upgrades)', () => {
    const local = { schemaVersion: schemaVersionOf([users()]), tables: [users()] };
    expect(judgePeerSchema(local, { schemaVersion: local.schemaVersion })).toEqual({ kind: 'same' });
    const verdict = judgePeerSchema(local, { schemaVersion: 'sv1-0123456789abcdef' });
    expect(verdict.kind === 'incompatible' && verdict.problems.join(' ')).toMatch(
      /did not describe its tables.*same release/,
    );
  });

  it('a hostile description is refused at the boundary: names must be SQL identifiers, lists are bounded', () => {
    expect(
      schemaDescriptionSchema.safeParse({ tables: [{ name: 'users; DROP', primaryKey: 'id', columns: [] }] }).success,
    ).toBe(false);
    expect(
      schemaDescriptionSchema.safeParse({
        tables: Array.from({ length: 201 }, () => ({ name: 't', primaryKey: 'id', columns: [] })),
      }).success,
    ).toBe(false);
    expect(schemaDescriptionSchema.safeParse(describeSchema([users([nickname])])).success).toBe(true);
  });
});
