/** SYNC_DISCOVERY=static: the addresses listed in SYNC_PEERS. */
import { formatPeerAddress, parsePeerAddress } from '../core/peerAddress';
import { type DiscoveryListener, type DiscoverySelf, type PeerDiscovery, withoutOwn } from './discovery';

export function staticAddresses(peers: readonly string[], defaultPort: number): string[] {
  return peers.map((p) => {
    const { host, port } = parsePeerAddress(p, defaultPort);
    return formatPeerAddress(host, port);
  });
}

export class StaticDiscovery implements PeerDiscovery {
  readonly mode = 'static' as const;

  constructor(
    private readonly self: DiscoverySelf,
    private readonly peers: readonly string[],
  ) {}

  async start(listener: DiscoveryListener): Promise<void> {
    listener.update({
      addresses: withoutOwn(
        this.self,
        staticAddresses(this.peers, this.self.port).map((address) => ({ address })),
      ),
    });
  }

  async stop(): Promise<void> {}
}
