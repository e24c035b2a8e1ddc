import type { DiscoveryUpdate } from './discovery';
import { DnsDiscovery, type DnsResolver } from './dnsDiscovery';

const self = {
  id: 'aaaaaaaaaaaaaaaa',
  name: 'me',
  instanceId: '1'.repeat(32),
  port: 8765,
  ownAddresses: ['10.0.0.1:8765'],
  advertisedIps: ['10.0.0.1'],
};
const fail = (code: string) => Promise.reject(Object.assign(new Error(code), { code }));

function resolver(records: {
  a?: Record<string, string[]>;
  srv?: Record<string, { name: string; port: number }[]>;
  failing?: string;
}): DnsResolver {
  return {
    resolve4: (name) =>
      records.failing
        ? fail(records.failing)
        : records.a?.[name]
          ? Promise.resolve(records.a[name] as string[])
          : fail('ENOTFOUND'),
    resolve6: () => fail('ENODATA'),
    resolveSrv: (name) =>
      records.failing
        ? fail(records.failing)
        : records.srv?.[name]
          ? Promise.resolve((records.srv[name] ?? []).map((s) => ({ ...s, priority: 0, weight: 0 })))
          : fail('ENOTFOUND'),
  };
}

async function once(r: DnsResolver, name = 'peers.test') {
  const updates: DiscoveryUpdate[] = [];
  const errors: string[] = [];
  await new DnsDiscovery(self, name, r).resolveOnce({ update: (u) => updates.push(u), error: (e) => errors.push(e) });
  return { updates, errors };
}

describe('DnsDiscovery (resolver injected)', () => {
  it('uses A records with the sync port and leaves this node out', async () => {
    const { updates, errors } = await once(resolver({ a: { 'peers.test': ['10.0.0.1', '10.0.0.2', '10.0.0.3'] } }));
    expect(errors).toEqual([]);
    expect(updates[0]?.addresses.map((a) => a.address)).toEqual(['10.0.0.2:8765', '10.0.0.3:8765']);
  });

  it('prefers SRV records and resolves their targets, with the SRV port', async () => {
    const { updates } = await once(
      resolver({
        srv: { '_sync._tcp.peers.test': [{ name: 'p-1.peers.test', port: 9000 }] },
        a: { 'p-1.peers.test': ['10.0.0.7'], 'peers.test': ['10.0.0.9'] },
      }),
    );
    expect(updates[0]?.addresses.map((a) => a.address)).toEqual(['10.0.0.7:9000']);
  });

  it('treats a name that does not exist yet as no peers, not as an error', async () => {
    const { updates, errors } = await once(resolver({}));
    expect(errors).toEqual([]);
    expect(updates).toEqual([{ addresses: [] }]);
  });

  it('reports a failing resolver and keeps the previous answer (no update)', async () => {
    const { updates, errors } = await once(resolver({ failing: 'ESERVFAIL' }));
    expect(updates).toEqual([]);
    expect(errors[0]).toMatch(/DNS look-up of peers\.test failed: SRV _sync\._tcp\.peers\.test: ESERVFAIL/);
  });
});
