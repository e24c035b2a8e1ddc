/**
 * Unambiguous encoding of a list of fields for MACs and transcript hashes: each field is tagged and
 * length-prefixed, so ["ab", "c"] and ["a", "bc"] never encode alike, and null differs from "".
 */
export type Field = string | number | null;

export function encodeFields(fields: readonly Field[]): Buffer {
  const parts: Buffer[] = [];
  for (const field of fields) {
    if (field === null) {
      parts.push(Buffer.from('n;'));
    } else if (typeof field === 'number') {
      if (!Number.isSafeInteger(field)) throw new Error(`encodeFields: ${field} is not a safe integer`);
      parts.push(Buffer.from(`i${field};`));
    } else {
      const bytes = Buffer.from(field, 'utf8');
      parts.push(Buffer.from(`s${bytes.length}:`), bytes);
    }
  }
  return Buffer.concat(parts);
}
