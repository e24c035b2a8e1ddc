/**
 * A table whose rows the API shows as records: `id`, the fields of `columnOf` (API field → column, in the order the
 * JSON shows them), then `createdAt` and `updatedAt` as ISO strings. The reads, the partial update and the delete
 * every repository needs live here once; what differs per table (inserts, ordering, rules) stays in its repository.
 * Table and column names come from code, never from a request; a patch field without a column is refused.
 */
import { databasePool } from './pool';

export interface StoredRecord {
  readonly id: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

type Row = Record<string, unknown>;

export class RecordTable<R extends StoredRecord> {
  /** The SELECT/RETURNING list for a whole record. */
  readonly columns: string;

  constructor(
    readonly table: string,
    private readonly columnOf: Readonly<Record<Exclude<keyof R, keyof StoredRecord>, string>>,
  ) {
    this.columns = ['id', ...Object.values<string>(columnOf), 'created_at', 'updated_at'].join(', ');
  }

  toRecord(stored: object): R {
    const row = stored as Row;
    const record: Row = { id: row.id };
    for (const [field, column] of Object.entries<string>(this.columnOf)) record[field] = row[column];
    record.createdAt = (row.created_at as Date).toISOString();
    record.updatedAt = (row.updated_at as Date).toISOString();
    return record as R;
  }

  async find(id: string): Promise<R | undefined> {
    const { rows } = await databasePool().query<Row>(`SELECT ${this.columns} FROM ${this.table} WHERE id = $1`, [id]);
    return rows[0] && this.toRecord(rows[0]);
  }

  /** Changes the fields given (undefined ones are left alone); undefined when there is no such record. */
  async update(id: string, patch: Partial<Omit<R, keyof StoredRecord>>): Promise<R | undefined> {
    const entries = Object.entries(patch).filter(([, value]) => value !== undefined);
    const assignments = entries.map(([field], index) => `${this.columnFor(field)} = $${index + 2}`);
    const { rows } = await databasePool().query<Row>(
      `UPDATE ${this.table} SET ${[...assignments, 'updated_at = now()'].join(', ')} WHERE id = $1 RETURNING ${this.columns}`,
      [id, ...entries.map(([, value]) => value)],
    );
    return rows[0] && this.toRecord(rows[0]);
  }

  /** False when there was none. */
  async remove(id: string): Promise<boolean> {
    const { rowCount } = await databasePool().query(`DELETE FROM ${this.table} WHERE id = $1`, [id]);
    return (rowCount ?? 0) > 0;
  }

  private columnFor(field: string): string {
    const columnOf = this.columnOf as Readonly<Record<string, string>>;
    const column = Object.hasOwn(columnOf, field) ? columnOf[field] : undefined;
    if (!column) throw new Error(`${this.table} has no column for the field ${JSON.stringify(field)}`);
    return column;
  }
}
