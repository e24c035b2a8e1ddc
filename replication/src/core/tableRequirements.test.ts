import {
  type ColumnFacts,
  type SchemaFacts,
  type TableFacts,
  checkReplicatedTables,
  formatTableProblem,
} from './tableRequirements';

const PG17 = 170_010;
const PG18 = 180_004;

const column = (name: string, type: string, more: Partial<ColumnFacts> = {}): ColumnFacts => ({
  name,
  type,
  typeKind: 'scalar',
  identity: false,
  generated: false,
  sequence: null,
  ...more,
});

const table = (name: string, more: Partial<TableFacts> = {}): TableFacts => ({
  name,
  columns: [column('id', 'uuid'), column('name', 'text')],
  primaryKey: ['id'],
  primaryKeyName: `${name}_pkey`,
  uniques: [],
  foreignKeys: [],
  ...more,
});

const schema = (tables: TableFacts[], serverVersionNum = PG17): SchemaFacts => ({ serverVersionNum, tables });
const kinds = (names: string[], facts: SchemaFacts) =>
  checkReplicatedTables(names, facts).map((p) => `${p.table}:${p.kind}`);

describe("the replicated tables' requirements", () => {
  it('accepts uuid-keyed tables with a foreign key between them and a unique text column', () => {
    const customers = table('customers', {
      columns: [column('id', 'uuid'), column('email', 'text')],
      uniques: [{ name: 'customers_email_key', columns: ['email'], partial: false }],
    });
    const orders = table('orders', {
      columns: [
        column('id', 'uuid'),
        column('customer_id', 'uuid'),
        column('total', 'numeric(10,2)'),
        column('tags', 'jsonb'),
      ],
      foreignKeys: [
        {
          name: 'orders_customer_id_fkey',
          columns: ['customer_id'],
          referencedSchema: 'public',
          referencedTable: 'customers',
        },
      ],
    });
    expect(checkReplicatedTables(['customers', 'orders'], schema([customers, orders]))).toEqual([]);
  });

  it('names a serial primary key, says why it collides between nodes, and how to move to UUIDv7 on PostgreSQL 17', () => {
    const invoices = table('invoices', {
      columns: [column('id', 'integer', { sequence: 'invoices_id_seq' }), column('total', 'numeric')],
    });
    const lines = table('invoice_lines', {
      columns: [column('id', 'uuid'), column('invoice_id', 'integer')],
      foreignKeys: [
        {
          name: 'invoice_lines_invoice_id_fkey',
          columns: ['invoice_id'],
          referencedSchema: 'public',
          referencedTable: 'invoices',
        },
      ],
    });
    const [problem, ...rest] = checkReplicatedTables(['invoices', 'invoice_lines'], schema([invoices, lines]));
    expect(rest).toEqual([]);
    expect(problem?.kind).toBe('sequence-key');
    const text = formatTableProblem(problem!);
    expect(text).toMatch(
      /^table invoices: primary key id is integer, filled from sequence invoices_id_seq \(serial\): every node hands out the same numbers/,
    );
    expect(text).toContain('ALTER TABLE invoices ADD COLUMN uuid_id uuid NOT NULL DEFAULT gen_random_uuid()');
    expect(text).toContain('ALTER TABLE invoices DROP CONSTRAINT invoices_pkey, ADD PRIMARY KEY (uuid_id)');
    expect(text).toContain('first point the references to it (invoice_lines.invoice_id)');
    expect(text).toMatch(/older than 18 and has no uuidv7\(\): generate a UUIDv7 in the app/);
    expect(text).not.toContain('DEFAULT uuidv7()');
  });

  it('offers uuidv7() as the default on PostgreSQL 18', () => {
    const invoices = table('invoices', { columns: [column('id', 'bigint', { identity: true })] });
    const [problem] = checkReplicatedTables(['invoices'], schema([invoices], PG18));
    expect(problem?.kind).toBe('sequence-key');
    expect(problem?.message).toContain('primary key id is bigint, an identity column');
    expect(problem?.fix).toContain('DEFAULT uuidv7()');
  });

  it('names a table without a primary key, and one whose key is not uuid or has several columns', () => {
    const logs = table('audit_log', {
      primaryKey: [],
      primaryKeyName: null,
      columns: [column('at', 'timestamp with time zone'), column('what', 'text')],
    });
    const codes = table('codes', { columns: [column('code', 'text'), column('label', 'text')], primaryKey: ['code'] });
    const pairs = table('pairs', { columns: [column('a', 'uuid'), column('b', 'uuid')], primaryKey: ['a', 'b'] });
    const problems = checkReplicatedTables(['audit_log', 'codes', 'pairs'], schema([logs, codes, pairs]));
    expect(problems.map((p) => `${p.table}:${p.kind}`)).toEqual([
      'audit_log:no-primary-key',
      'codes:key-not-uuid',
      'pairs:composite-key',
    ]);
    expect(problems[0]?.fix).toContain(
      'ALTER TABLE audit_log ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY',
    );
    expect(problems[1]?.message).toContain('primary key code is text');
    expect(problems[2]?.message).toContain('2 columns (a, b)');
  });

  it('suggests making an existing uuid id the key of a table without one', () => {
    const notes = table('notes', { primaryKey: [], primaryKeyName: null });
    expect(checkReplicatedTables(['notes'], schema([notes]))[0]?.fix).toBe(
      'make its uuid column the key: ALTER TABLE notes ADD PRIMARY KEY (id)',
    );
  });

  it('names array and composite columns as types it cannot carry, with a jsonb fix, and leaves generated columns alone', () => {
    const posts = table('posts', {
      columns: [
        column('id', 'uuid'),
        column('tags', 'text[]', { typeKind: 'array' }),
        column('place', 'address', { typeKind: 'composite' }),
        column('search', 'tsvector'),
        column('tag_count', 'integer[]', { typeKind: 'array', generated: true }),
      ],
    });
    const problems = checkReplicatedTables(['posts'], schema([posts]));
    expect(problems.map((p) => p.kind)).toEqual(['unsupported-type', 'unsupported-type']);
    expect(problems[0]?.message).toBe(
      'table posts: column tags is of type text[], an array, which replication cannot carry yet',
    );
    expect(problems[0]?.fix).toContain('ALTER TABLE posts ALTER COLUMN tags TYPE jsonb USING to_jsonb(tags)');
    expect(problems[1]?.message).toContain('column place is of type address, a composite type');
  });

  it('names a serial column that is not the key, an expression unique index and a unique key without text', () => {
    const orders = table('orders', {
      columns: [
        column('id', 'uuid'),
        column('number', 'integer', { sequence: 'orders_number_seq' }),
        column('email', 'text'),
        column('slot', 'integer'),
      ],
      uniques: [
        { name: 'orders_email_lower', columns: null, partial: false },
        { name: 'orders_slot_key', columns: ['slot'], partial: false },
      ],
    });
    expect(kinds(['orders'], schema([orders]))).toEqual([
      'orders:sequence-column',
      'orders:unique-index',
      'orders:unique-without-text',
    ]);
  });

  it('names a multi-column reference to a replicated table, and ignores references to local tables', () => {
    const parent = table('parents');
    const child = table('children', {
      foreignKeys: [
        { name: 'children_parent_fkey', columns: ['a', 'b'], referencedSchema: 'public', referencedTable: 'parents' },
        {
          name: 'children_country_fkey',
          columns: ['c', 'd'],
          referencedSchema: 'public',
          referencedTable: 'countries',
        },
      ],
    });
    expect(kinds(['parents', 'children'], schema([parent, child]))).toEqual(['children:multi-column-reference']);
  });

  it('reports every problem of every table at once, missing tables included', () => {
    const a = table('a', { primaryKey: [], primaryKeyName: null });
    const b = table('b', {
      columns: [column('id', 'integer', { sequence: 'b_id_seq' }), column('xs', 'integer[]', { typeKind: 'array' })],
    });
    expect(kinds(['a', 'b', 'c'], schema([a, b]))).toEqual([
      'a:no-primary-key',
      'b:sequence-key',
      'b:unsupported-type',
      'c:missing',
    ]);
  });

  it('refuses a bad or repeated name before looking at the schema', () => {
    expect(kinds(['users', 'Users', 'users'], schema([]))).toEqual(['Users:bad-name', 'users:listed-twice']);
  });
});
