import type { ReplicatedTable } from './tableSchema';
import { orderTablesByDependency, schemaVersionOf } from './tableSchema';

const table = (name: string, references: string[] = [], columns = ['id']): ReplicatedTable => ({
  name,
  primaryKey: 'id',
  columns: columns.map((c) => ({ name: c, type: 'uuid' })),
  uniqueKeys: [],
  foreignKeys: references.map((r) => ({ name: `${name}_${r}_fk`, column: `${r}_id`, references: r })),
});

describe('table dependency order', () => {
  it('puts parents before children', () => {
    const order = orderTablesByDependency([table('employees', ['businesses']), table('users'), table('businesses')]);
    const names = order.map((t) => t.name);
    expect(names.indexOf('businesses')).toBeLessThan(names.indexOf('employees'));
    expect(names).toHaveLength(3);
  });

  it('tolerates self references and cycles', () => {
    const order = orderTablesByDependency([table('a', ['b']), table('b', ['a']), table('c', ['c'])]);
    expect(order.map((t) => t.name).sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('schema version', () => {
  it('does not depend on table or column order', () => {
    expect(schemaVersionOf([table('a', [], ['id', 'x']), table('b')])).toBe(
      schemaVersionOf([table('b'), table('a', [], ['x', 'id'])]),
    );
  });

  it('changes when a column is added', () => {
    expect(schemaVersionOf([table('a', [], ['id', 'x'])])).not.toBe(schemaVersionOf([table('a', [], ['id'])]));
  });
});
