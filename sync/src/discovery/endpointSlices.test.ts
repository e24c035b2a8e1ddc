import { addressesFromEndpointSlices, syncPortOf } from './endpointSlices';

const slice = {
  metadata: { name: 'peers-abc', namespace: 'msk' },
  addressType: 'IPv4',
  endpoints: [
    { addresses: ['10.1.0.5'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'platform-0' } },
    { addresses: ['10.1.0.6'], conditions: { ready: false }, targetRef: { kind: 'Pod', name: 'platform-1' } },
    {
      addresses: ['10.1.0.7'],
      conditions: { ready: false, terminating: true },
      targetRef: { kind: 'Pod', name: 'platform-2' },
    },
  ],
  ports: [
    { name: 'http', port: 8080 },
    { name: 'sync', port: 8765 },
  ],
};

describe('addressesFromEndpointSlices', () => {
  it('lists ready and not-ready pods on the port named sync, with the pod name as a hint, and skips terminating ones', () => {
    expect(addressesFromEndpointSlices([slice], 1)).toEqual([
      { address: '10.1.0.5:8765', hint: { name: 'platform-0' } },
      { address: '10.1.0.6:8765', hint: { name: 'platform-1' } },
    ]);
  });

  it('skips FQDN slices and writes IPv6 addresses in brackets', () => {
    expect(addressesFromEndpointSlices([{ ...slice, addressType: 'FQDN' }], 1)).toEqual([]);
    expect(
      addressesFromEndpointSlices(
        [{ addressType: 'IPv6', endpoints: [{ addresses: ['fd00::5'] }], ports: [{ port: 9000 }] }],
        1,
      ),
    ).toEqual([{ address: '[fd00::5]:9000' }]);
  });
});

describe('syncPortOf', () => {
  it('takes the port named sync, else the only port, else the configured port', () => {
    expect(syncPortOf(slice, 1)).toBe(8765);
    expect(syncPortOf({ ports: [{ name: 'x', port: 9000 }] }, 1)).toBe(9000);
    expect(
      syncPortOf(
        {
          ports: [
            { name: 'a', port: 1 },
            { name: 'b', port: 2 },
          ],
        },
        8765,
      ),
    ).toBe(8765);
    expect(syncPortOf({ ports: null }, 8765)).toBe(8765);
  });
});
