/**
 * Order-independent hash of a table's contents, to prove nodes converged: the XOR of a SHA-256 per row (rows are
 * distinct by primary key, so XOR loses nothing) plus the row count. Rows are maps of column name to canonical
 * text value (the replication value form), so the hash does not depend on column order, row order or driver
 * types. Streaming: add rows one at a time.
 */
import { createHash } from 'node:crypto';
import type { ColumnValue } from '../core/rowState';

export class TableHash {
  private readonly accumulator = Buffer.alloc(32);
  private rows = 0;

  add(row: Readonly<Record<string, ColumnValue>>): this {
    const hash = createHash('sha256');
    for (const column of Object.keys(row).sort()) {
      const value = row[column];
      // length-prefixed fields: no separator ambiguity; null differs from every string
      hash.update(`${column.length}:${column}=`);
      hash.update(value === null || value === undefined ? '~' : `${Buffer.byteLength(value)}:${value}`);
      hash.update(';');
    }
    const digest = hash.digest();
    for (let i = 0; i < 32; i++) this.accumulator[i]! ^= digest[i]!;
    this.rows += 1;
    return this;
  }

  /** `<row count>:<64 hex>` */
  digest(): string {
    return `${this.rows}:${this.accumulator.toString('hex')}`;
  }
}

export function tableHashOf(rows: Iterable<Readonly<Record<string, ColumnValue>>>): string {
  const hash = new TableHash();
  for (const row of rows) hash.add(row);
  return hash.digest();
}
