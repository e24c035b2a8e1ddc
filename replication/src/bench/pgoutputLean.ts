/**
 * A lean pgoutput (protocol 1) reader for the capture-modes measurement: it decodes only what a capture needs to
 * learn from an INSERT (the relation and the primary key's text) and a Commit's end position, and skips every
 * other column by its length, without type parsing. Every length and offset is checked against the message: a
 * malformed message throws, naming what was wrong, and is never read past its end.
 */
import { PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';

export type LeanMessage =
  | { readonly tag: 'insert'; readonly new: { readonly id: string | null } }
  | { readonly tag: 'commit'; readonly commitEndLsn: string }
  | { readonly tag: 'other' };

class Reader {
  private at = 0;
  constructor(private readonly buffer: Buffer) {}
  private need(bytes: number, what: string): void {
    if (bytes < 0 || this.at + bytes > this.buffer.length)
      throw new Error(`pgoutput: ${what} runs past the end of a ${this.buffer.length}-byte message`);
  }
  byte(what: string): number {
    this.need(1, what);
    return this.buffer[this.at++]!;
  }
  int16(what: string): number {
    this.need(2, what);
    const value = this.buffer.readInt16BE(this.at);
    this.at += 2;
    return value;
  }
  int32(what: string): number {
    this.need(4, what);
    const value = this.buffer.readInt32BE(this.at);
    this.at += 4;
    return value;
  }
  lsn(what: string): string {
    this.need(8, what);
    const high = this.buffer.readUInt32BE(this.at);
    const low = this.buffer.readUInt32BE(this.at + 4);
    this.at += 8;
    return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`;
  }
  skip(bytes: number, what: string): void {
    this.need(bytes, what);
    this.at += bytes;
  }
  cstring(what: string): string {
    const end = this.buffer.indexOf(0, this.at);
    if (end < 0) throw new Error(`pgoutput: ${what} has no terminating zero byte`);
    const text = this.buffer.toString('utf8', this.at, end);
    this.at = end + 1;
    return text;
  }
  /** A message must end where its last field does: trailing bytes mean it was not what it claimed to be. */
  end(what: string): void {
    if (this.at !== this.buffer.length)
      throw new Error(`pgoutput: ${this.buffer.length - this.at} unexpected bytes after the end of a ${what}`);
  }
  text(bytes: number, what: string): string {
    this.need(bytes, what);
    const text = this.buffer.toString('utf8', this.at, this.at + bytes);
    this.at += bytes;
    return text;
  }
}

export class LeanPgoutputPlugin extends PgoutputPlugin {
  /** Relation id -> position of the `id` column (-1: none), from the Relation messages sent before its rows. */
  private readonly keyColumn = new Map<number, number>();

  override parse(buffer: Buffer): Pgoutput.Message {
    return this.parseLean(buffer) as unknown as Pgoutput.Message;
  }

  parseLean(buffer: Buffer): LeanMessage {
    const reader = new Reader(buffer);
    const tag = String.fromCharCode(reader.byte('message tag'));
    if (tag === 'R') {
      const relation = reader.int32('relation id');
      reader.cstring('relation namespace');
      reader.cstring('relation name');
      reader.byte('replica identity');
      const columns = reader.int16('column count');
      let key = -1;
      for (let column = 0; column < columns; column++) {
        reader.byte('column flags');
        if (reader.cstring('column name') === 'id') key = column;
        reader.skip(8, 'column type and modifier');
      }
      reader.end('Relation message');
      this.keyColumn.set(relation, key);
      return { tag: 'other' };
    }
    if (tag === 'I') {
      const relation = reader.int32('relation id');
      const key = this.keyColumn.get(relation);
      if (key === undefined) throw new Error(`pgoutput: an insert into relation ${relation} came before its Relation`);
      if (String.fromCharCode(reader.byte('new tuple marker')) !== 'N')
        throw new Error('pgoutput: an insert without its new tuple');
      const columns = reader.int16('tuple column count');
      let id: string | null = null;
      for (let column = 0; column < columns; column++) {
        const kind = String.fromCharCode(reader.byte('column kind'));
        if (kind === 'n' || kind === 'u') continue;
        if (kind !== 't' && kind !== 'b') throw new Error(`pgoutput: unknown column kind ${JSON.stringify(kind)}`);
        const length = reader.int32('column length');
        if (column === key) id = reader.text(length, 'key column');
        else reader.skip(length, 'column value');
      }
      reader.end('Insert message');
      return { tag: 'insert', new: { id } };
    }
    if (tag === 'C') {
      reader.byte('commit flags');
      reader.lsn('commit position');
      const commitEndLsn = reader.lsn('commit end position');
      reader.skip(8, 'commit time');
      reader.end('Commit message');
      return { tag: 'commit', commitEndLsn };
    }
    return { tag: 'other' };
  }
}
