import { REFERENCE_APP_REPLICATED_TABLES, formatProblem, validateNodeEnvironment } from './index';
import { goodEnvironment } from './testing';

const problemsOf = (env: Record<string, string>, consumer?: 'app' | 'sync') =>
  validateNodeEnvironment(env, consumer)
    .problems.filter((p) => p.variable === 'REPLICATED_TABLES')
    .map(formatProblem);

describe('REPLICATED_TABLES', () => {
  it('reads a comma-separated list of table names, in the order written', () => {
    const { config } = validateNodeEnvironment(
      { ...goodEnvironment(), REPLICATED_TABLES: 'orders,customers,order_lines' },
      'sync',
    );
    expect(config?.replicatedTables).toEqual(['orders', 'customers', 'order_lines']);
  });

  it('is required by the sync service with per-node databases, and there is no built-in list', () => {
    const { REPLICATED_TABLES: _unset, ...env } = goodEnvironment();
    const [problem] = problemsOf(env, 'sync');
    expect(problem).toMatch(
      /^error: REPLICATED_TABLES is not set: with DATABASE_TOPOLOGY=per-node .* no built-in list\. Fix: list your app's tables/,
    );
    expect(problemsOf({ ...env, REPLICATED_TABLES: '' }, 'sync')).toHaveLength(1);
  });

  it('is not required with one shared database, nor by the app', () => {
    const { REPLICATED_TABLES: _unset, ...env } = goodEnvironment();
    expect(problemsOf({ ...env, DATABASE_TOPOLOGY: 'shared' }, 'sync')).toEqual([]);
    expect(problemsOf(env, 'app')).toEqual([]);
  });

  it.each([
    [
      'app.orders',
      /"app\.orders": the replication engine replicates tables of schema public only, so write the table name alone \(orders\)/,
    ],
    ['public.users', /"public\.users".*write the table name alone \(users\)/],
    ['Users', /"Users", which is not a lowercase table name/],
    ['"users"', /wrapped in quotes/],
    ['users, businesses', /without spaces or empty items/],
    ['users,,businesses', /without spaces or empty items/],
    ['1users', /not a lowercase table name/],
    ['a'.repeat(64), /at most 63 characters/],
    ['users;drop table users', /not a lowercase table name/],
    ['users,businesses,users', /names users more than once: list each table once/],
  ])('refuses %j, naming the variable, the rule and the fix', (value, message) => {
    const [problem] = problemsOf({ ...goodEnvironment(), REPLICATED_TABLES: value }, 'sync');
    expect(problem).toMatch(/^error: REPLICATED_TABLES /);
    expect(problem).toMatch(message);
    expect(problem).toContain('Fix: ');
  });

  it("names the reference app's three tables as one configuration among others", () => {
    expect(REFERENCE_APP_REPLICATED_TABLES).toEqual(['users', 'businesses', 'employees']);
  });
});
