import { LeanPgoutputPlugin } from './pgoutputLean';

const ID = '0190b7a4-7c2e-7000-8000-000000000001';

function int16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeInt16BE(value);
  return buffer;
}
function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}
const cstring = (text: string) => Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from([0])]);
const text = (value: string) => Buffer.concat([Buffer.from('t'), int32(Buffer.byteLength(value)), Buffer.from(value)]);

/** Relation 16385 public.users (email, id): the key is the second column. */
const relation = Buffer.concat([
  Buffer.from('R'),
  int32(16385),
  cstring('public'),
  cstring('users'),
  Buffer.from('f'),
  int16(2),
  ...['email', 'id'].map((name) => Buffer.concat([Buffer.from([0]), cstring(name), int32(25), int32(-1)])),
]);
const insert = Buffer.concat([
  Buffer.from('I'),
  int32(16385),
  Buffer.from('N'),
  int16(2),
  text('a@b.example'),
  text(ID),
]);
const commit = Buffer.concat([
  Buffer.from('C'),
  Buffer.from([0]),
  Buffer.from([0, 0, 0, 0, 0x01, 0x5a, 0x00, 0x10]),
  Buffer.from([0, 0, 0, 0x02, 0x01, 0x5a, 0x00, 0x40]),
  Buffer.alloc(8),
]);

function plugin(): LeanPgoutputPlugin {
  return new LeanPgoutputPlugin({ protoVersion: 1, publicationNames: ['p'] });
}

describe('lean pgoutput reader', () => {
  it("reads an insert's key through its relation, skipping the other columns, and a commit's end", () => {
    const reader = plugin();
    expect(reader.parseLean(relation)).toEqual({ tag: 'other' });
    expect(reader.parseLean(insert)).toEqual({ tag: 'insert', new: { id: ID } });
    expect(reader.parseLean(commit)).toEqual({ tag: 'commit', commitEndLsn: '2/15A0040' });
  });

  it('refuses an insert into a relation it was not told about', () => {
    expect(() => plugin().parseLean(insert)).toThrow('an insert into relation 16385 came before its Relation');
  });

  it('refuses every truncation of a message instead of reading past its end', () => {
    const reader = plugin();
    reader.parseLean(relation);
    for (const message of [insert, commit]) {
      for (let length = 1; length < message.length; length++) {
        expect(() => reader.parseLean(message.subarray(0, length))).toThrow(/^pgoutput: /);
      }
    }
    for (let length = 1; length < relation.length; length++) {
      expect(() => plugin().parseLean(relation.subarray(0, length))).toThrow(/^pgoutput: /);
    }
  });

  it('refuses a column length beyond the message, trailing bytes and an unknown column kind', () => {
    const reader = plugin();
    reader.parseLean(relation);
    const long = Buffer.from(insert);
    long.writeInt32BE(1_000_000, 9); // the first column's length
    expect(() => reader.parseLean(long)).toThrow('pgoutput: column value runs past the end');
    const negative = Buffer.from(insert);
    negative.writeInt32BE(-5, 9);
    expect(() => reader.parseLean(negative)).toThrow('pgoutput: column value runs past the end');
    expect(() => reader.parseLean(Buffer.concat([commit, Buffer.from([0])]))).toThrow(
      'pgoutput: 1 unexpected bytes after the end of a Commit message',
    );
    const kind = Buffer.from(insert);
    kind[8] = 'x'.charCodeAt(0);
    expect(() => reader.parseLean(kind)).toThrow('pgoutput: unknown column kind "x"');
  });
});
