import { encodeFields } from './encoding';

describe('encodeFields', () => {
  it('never encodes two different field lists alike', () => {
    expect(encodeFields(['ab', 'c']).equals(encodeFields(['a', 'bc']))).toBe(false);
    expect(encodeFields([null]).equals(encodeFields(['']))).toBe(false);
    expect(encodeFields([1]).equals(encodeFields(['1']))).toBe(false);
  });

  it('is deterministic', () => {
    expect(encodeFields(['x', 2, null]).equals(encodeFields(['x', 2, null]))).toBe(true);
  });

  it('refuses numbers that are not safe integers', () => {
    expect(() => encodeFields([1.5])).toThrow(/not a safe integer/);
  });
});
