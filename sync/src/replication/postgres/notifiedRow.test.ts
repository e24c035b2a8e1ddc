import { NODE_IDS } from '../testing/appShapedTables';
import { notifiedRowChange } from './notifiedRow';

const NODE = NODE_IDS[0] as string;
const replicatesUsers = new Map([['users', {}]]);
const payload = {
  t: 'users',
  k: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
  h: `0190a1b2c3d400000007${NODE}`,
  v: { id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', email: 'a@example.com', name: null },
};

describe('the row a capture NOTIFY carries', () => {
  it('is a change of this node, all columns at the capture stamp, not deleted', () => {
    expect(notifiedRowChange(JSON.stringify(payload), NODE, replicatesUsers)).toEqual({
      table: 'users',
      pk: payload.k,
      origin: NODE,
      hlc: payload.h,
      values: payload.v,
      deletedHlc: null,
    });
  });

  it.each([
    ['an empty payload (a commit without a row)', ''],
    ['text that is not JSON', '{"t":'],
    ['a table this store does not replicate', JSON.stringify({ ...payload, t: 'invoices' })],
    ['a key that is not a uuid', JSON.stringify({ ...payload, k: '42' })],
    ['a stamp that is not an HLC', JSON.stringify({ ...payload, h: 'yesterday' })],
    ['values that are not text', JSON.stringify({ ...payload, v: { id: 7 } })],
    ['no values', JSON.stringify({ ...payload, v: undefined })],
  ])('is none for %s', (_what, text) => {
    expect(notifiedRowChange(text, NODE, replicatesUsers)).toBeNull();
  });
});
