import { APP_SHAPED_TABLES } from '../testing/appShapedTables';
import { inline, literal, lockKey, lockQueriesOf } from './storeStatements';

describe('parameters written in as literals', () => {
  it('quotes text so that no value can end the literal, and keeps NULL a NULL', () => {
    expect(literal("'; DROP TABLE users; --")).toBe("'''; DROP TABLE users; --'");
    expect(literal("\\'; DROP TABLE users; --")).toBe("E'\\\\''; DROP TABLE users; --'");
    expect(literal(null)).toBe('NULL');
    expect(literal(42)).toBe('42');
  });

  it('writes arrays as PostgreSQL array literals, escaping quotes, backslashes and braces inside elements', () => {
    expect(literal(['a', null, '{a,b}', "O'Brien"])).toBe(`'{"a",NULL,"{a,b}","O''Brien"}'`);
    // a backslash (a quote inside an element takes one): an E'' literal, read alike whatever standard_conforming_strings is
    expect(literal(['back\\slash', 'say "hi"'])).toBe(`E'{"back\\\\\\\\slash","say \\\\"hi\\\\""}'`);
    expect(literal([])).toBe("'{}'");
  });

  it('replaces $10 and $1 each with their own parameter, once, without rescanning what it wrote', () => {
    const params = Array.from({ length: 10 }, (_, i) => `v${i + 1}`);
    params[0] = '$10';
    expect(inline({ text: 'SELECT $1::text, $10::text', params })).toBe("SELECT '$10'::text, 'v10'::text");
  });
});

describe('the row locks of an apply', () => {
  it('has one prepared pair per table for the key, each replicated foreign key and each unique key', () => {
    const queries = lockQueriesOf(APP_SHAPED_TABLES);
    const expected = APP_SHAPED_TABLES.reduce(
      (sum, table) => sum + 1 + table.foreignKeys.length + table.uniqueKeys.length,
      0,
    );
    expect(queries.size).toBe(expected);
    const users = APP_SHAPED_TABLES.find((table) => table.name === 'users')!;
    const byEmail = queries.get(lockKey(users, `unique:${users.uniqueKeys[0]!.name}`));
    expect(byEmail).toMatchObject({ paramType: 'text[]' });
    expect(byEmail?.dataSql).toMatch(/FOR UPDATE$/);
    // states by one = ANY(array): stays an index scan when the prepared plan turns generic
    expect(byEmail?.statesSql).toMatch(/pk = ANY\(ARRAY\(SELECT .*\) \|\| \$2\)/s);
    expect(new Set([...queries.values()].map((query) => query.data)).size).toBe(queries.size);
  });
});
