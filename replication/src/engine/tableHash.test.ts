import fc from 'fast-check';
import { TableHash, tableHashOf } from './tableHash';

const rowArb = fc.record({ id: fc.uuid(), name: fc.option(fc.string(), { nil: null }), note: fc.string() });

describe('the table hash', () => {
  it('does not depend on row order or column order', () => {
    fc.assert(
      fc.property(fc.uniqueArray(rowArb, { selector: (row) => row.id, maxLength: 20 }), fc.nat(), (rows, seed) => {
        const shuffled = [...rows].sort(
          (a, b) => (a.id.charCodeAt(seed % 36) || 0) - (b.id.charCodeAt(seed % 36) || 0),
        );
        const reordered = shuffled.map((row) => ({ note: row.note, name: row.name, id: row.id }));
        expect(tableHashOf(reordered)).toBe(tableHashOf(rows));
      }),
    );
  });

  it('changes when any value changes, including null versus the text "~"', () => {
    const base = { id: 'a', name: 'x' };
    expect(tableHashOf([base])).not.toBe(tableHashOf([{ ...base, name: 'y' }]));
    expect(tableHashOf([{ id: 'a', name: null }])).not.toBe(tableHashOf([{ id: 'a', name: '~' }]));
    expect(tableHashOf([{ id: 'a', b: 'c' }])).not.toBe(tableHashOf([{ id: 'a', bc: '' }]));
  });

  it('counts rows and can be built one row at a time', () => {
    const hash = new TableHash().add({ id: '1' }).add({ id: '2' });
    expect(hash.digest()).toBe(tableHashOf([{ id: '2' }, { id: '1' }]));
    expect(hash.digest()).toMatch(/^2:[0-9a-f]{64}$/);
  });
});
