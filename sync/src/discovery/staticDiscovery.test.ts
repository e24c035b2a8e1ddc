import type { DiscoveryUpdate } from './discovery';
import { StaticDiscovery } from './staticDiscovery';

describe('StaticDiscovery', () => {
  it('proposes SYNC_PEERS with the default port where none is given, without this node', async () => {
    const self = {
      id: 'a'.repeat(16),
      name: 'me',
      instanceId: '1'.repeat(32),
      port: 8765,
      ownAddresses: ['10.0.0.1:8765'],
      advertisedIps: [],
    };
    const updates: DiscoveryUpdate[] = [];
    await new StaticDiscovery(self, ['10.0.0.2', '10.0.0.1:8765', 'server-3.lan:9000']).start({
      update: (u) => updates.push(u),
      error: () => undefined,
    });
    expect(updates).toEqual([{ addresses: [{ address: '10.0.0.2:8765' }, { address: 'server-3.lan:9000' }] }]);
  });
});
