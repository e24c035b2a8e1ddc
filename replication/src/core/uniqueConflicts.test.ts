import fc from 'fast-check';
import { encodeHlc } from './hlc';
import { rowStateOfWrite } from './rowState';
import type { UniqueCandidate } from './uniqueConflicts';
import { conflictRenameOf, resolveUniqueConflicts } from './uniqueConflicts';

const EMAIL_KEY = { name: 'users_email_key', columns: ['email'], renameColumn: 'email' };
const hlc = (wallMs: number, nodeId: string) => encodeHlc({ wallMs, counter: 0, nodeId });
const user = (pk: string, email: string | null, stamp: string): UniqueCandidate => ({
  pk,
  state: rowStateOfWrite({ id: pk, email, name: pk }, stamp),
});
const PK1 = '00000000-0000-7000-8000-000000000001';
const PK2 = '00000000-0000-7000-8000-000000000002';
const PK3 = '00000000-0000-7000-8000-000000000003';

describe('unique-constraint conflicts', () => {
  it('the row that claimed the value first keeps it and the other is renamed', () => {
    const first = user(PK2, 'same@example.com', hlc(10, 'bbbbbbbbbbbbbbbb'));
    const second = user(PK1, 'same@example.com', hlc(20, 'aaaaaaaaaaaaaaaa'));
    const [resolution, ...rest] = resolveUniqueConflicts([second, first], EMAIL_KEY);
    expect(rest).toHaveLength(0);
    expect(resolution).toMatchObject({
      winnerPk: PK2,
      loserPk: PK1,
      renamedTo: 'same@example.com#conflict-000000000001',
    });
    expect(resolution!.loserState.values.email).toBe('same@example.com#conflict-000000000001');
    expect(resolution!.loserState.versions.email! > hlc(20, 'aaaaaaaaaaaaaaaa')).toBe(true);
  });

  it('gives every node the same outcome whatever order it sees the rows in', () => {
    const candidates = [
      user(PK1, 'x@example.com', hlc(30, 'aaaaaaaaaaaaaaaa')),
      user(PK2, 'x@example.com', hlc(10, 'bbbbbbbbbbbbbbbb')),
      user(PK3, 'x@example.com', hlc(20, 'cccccccccccccccc')),
    ];
    fc.assert(
      fc.property(fc.shuffledSubarray(candidates, { minLength: 3, maxLength: 3 }), (order) => {
        const outcome = resolveUniqueConflicts(order, EMAIL_KEY)
          .map((r) => [r.loserPk, r.renamedTo, r.renamedAtHlc])
          .sort();
        expect(outcome).toEqual(
          resolveUniqueConflicts(candidates, EMAIL_KEY)
            .map((r) => [r.loserPk, r.renamedTo, r.renamedAtHlc])
            .sort(),
        );
        expect(outcome.map((o) => o[0])).toEqual([PK1, PK3]);
      }),
    );
  });

  it('renames a loser the same way whichever winner it met', () => {
    const loser = user(PK3, 'x@example.com', hlc(20, 'cccccccccccccccc'));
    const againstEarly = resolveUniqueConflicts(
      [loser, user(PK1, 'x@example.com', hlc(5, 'aaaaaaaaaaaaaaaa'))],
      EMAIL_KEY,
    );
    const againstLater = resolveUniqueConflicts(
      [loser, user(PK2, 'x@example.com', hlc(10, 'bbbbbbbbbbbbbbbb'))],
      EMAIL_KEY,
    );
    expect(againstEarly[0]!.loserState).toEqual(againstLater[0]!.loserState);
  });

  it('ignores null values and distinct values', () => {
    expect(
      resolveUniqueConflicts(
        [
          user(PK1, null, hlc(1, 'aaaaaaaaaaaaaaaa')),
          user(PK2, null, hlc(2, 'bbbbbbbbbbbbbbbb')),
          user(PK3, 'a@b', hlc(3, 'cccccccccccccccc')),
        ],
        EMAIL_KEY,
      ),
    ).toEqual([]);
  });

  it('keeps the renamed value lowercase and unique per row', () => {
    expect(conflictRenameOf('a@b.c', 'AbCd0000-0000-7000-8000-0000deadbeef'.toLowerCase())).toBe(
      'a@b.c#conflict-0000deadbeef',
    );
  });
});
