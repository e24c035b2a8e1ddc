import {
  MDNS_SERVICE_TYPE,
  advertisementRecords,
  asksForService,
  instanceNameOf,
  readAnnouncements,
} from './mdnsRecords';

const ad = {
  id: '0123456789abcdef',
  name: 'server-1',
  instanceId: 'ab'.repeat(16),
  tag: 'cafebabecafebabe',
  port: 8765,
  ips: ['192.168.1.100'],
};

describe('mDNS records', () => {
  it('read back what a node announces: ID, name, instance, cluster tag, port and address', () => {
    expect(readAnnouncements(advertisementRecords(ad))).toEqual([
      {
        instanceName: `server-1-0123456789abcdef.${MDNS_SERVICE_TYPE}`,
        id: ad.id,
        name: 'server-1',
        instanceId: ad.instanceId,
        tag: ad.tag,
        port: 8765,
        ips: ['192.168.1.100'],
        ttlSeconds: 120,
      },
    ]);
  });

  it('announce a goodbye with TTL 0', () => {
    expect(readAnnouncements(advertisementRecords(ad, 0))[0]?.ttlSeconds).toBe(0);
  });

  it('keep the instance label within the 63-byte DNS limit for long node names', () => {
    const label = instanceNameOf({ name: 'n'.repeat(63), id: ad.id }).split('.')[0] as string;
    expect(label.length).toBeLessThanOrEqual(63);
    expect(label.endsWith(ad.id)).toBe(true);
  });

  it('ignore records of other service types', () => {
    expect(
      readAnnouncements({
        answers: [{ name: '_http._tcp.local', type: 'PTR', data: 'x._http._tcp.local' }],
        additionals: [],
      }),
    ).toEqual([]);
  });

  it('recognise queries for our service type only', () => {
    expect(asksForService({ questions: [{ name: MDNS_SERVICE_TYPE, type: 'PTR' }] })).toBe(true);
    expect(asksForService({ questions: [{ name: '_http._tcp.local', type: 'PTR' }] })).toBe(false);
  });
});
