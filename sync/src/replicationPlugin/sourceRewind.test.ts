import { isFromAnotherDatabase, pullFromStart } from './sourceRewind';

const cursor = (xid: string, seq: string) => ({ xid, seq });

describe('a pull cursor from a replaced source database', () => {
  it('is recognised when it lies ahead of the source head', () => {
    expect(isFromAnotherDatabase(cursor('90000', '12'), cursor('800', '0'))).toBe(true);
  });

  it('is not assumed for a cursor at or below the head', () => {
    expect(isFromAnotherDatabase(cursor('800', '0'), cursor('800', '0'))).toBe(false);
    expect(isFromAnotherDatabase(cursor('799', '4000'), cursor('800', '0'))).toBe(false);
    expect(isFromAnotherDatabase(null, cursor('800', '0'))).toBe(false);
  });

  it('compares transaction ids as numbers, not as text', () => {
    expect(isFromAnotherDatabase(cursor('900', '0'), cursor('1000', '0'))).toBe(false);
  });

  it('is answered from the start of the log, keeping the rest of the request', () => {
    const request = { type: 'pull', limit: 10, cursor: cursor('5', '1'), acknowledged: cursor('4', '0') };
    expect(pullFromStart(request)).toEqual({ type: 'pull', limit: 10, cursor: null, acknowledged: null });
  });
});
