/** Picks the discovery backend named by SYNC_DISCOVERY. The Kubernetes backend is loaded only when chosen. */
import type { NodeConfig } from '@msk/contract';
import type { DiscoverySelf, PeerDiscovery } from './discovery';
import { DnsDiscovery, type DnsResolver, createDnsResolver } from './dnsDiscovery';
import { MdnsDiscovery, multicastInterfaceFor } from './mdnsDiscovery';
import { StaticDiscovery } from './staticDiscovery';

export interface DiscoveryDeps {
  readonly clusterTag: string;
  readonly now: () => number;
  /** dns: resolver to use (tests, split-horizon setups); default the system's, or `dnsServers`. */
  readonly dnsResolver?: DnsResolver;
  readonly dnsServers?: readonly string[];
  readonly dnsIntervalMs?: number;
  /** kubernetes: kubeconfig file; default in-cluster. */
  readonly kubeconfigPath?: string;
  readonly kubernetesNamespace?: string;
}

export type DiscoveryConfig = Pick<
  NodeConfig,
  'syncDiscovery' | 'syncPeers' | 'syncDnsName' | 'syncKubernetesService' | 'syncBindAddress'
>;

export function createDiscovery(config: DiscoveryConfig, self: DiscoverySelf, deps: DiscoveryDeps): PeerDiscovery {
  switch (config.syncDiscovery) {
    case 'static':
      return new StaticDiscovery(self, config.syncPeers);
    case 'dns':
      return new DnsDiscovery(
        self,
        config.syncDnsName,
        deps.dnsResolver ?? createDnsResolver(deps.dnsServers),
        deps.dnsIntervalMs,
      );
    case 'mdns': {
      const interfaceIp = multicastInterfaceFor(config.syncBindAddress);
      return new MdnsDiscovery({
        self,
        clusterTag: deps.clusterTag,
        now: deps.now,
        ...(interfaceIp ? { interfaceIp } : {}),
      });
    }
    case 'kubernetes': {
      const { KubernetesDiscovery } = require('./kubernetesDiscovery') as typeof import('./kubernetesDiscovery');
      return new KubernetesDiscovery({
        self,
        service: config.syncKubernetesService,
        ...(deps.kubeconfigPath ? { kubeconfigPath: deps.kubeconfigPath } : {}),
        ...(deps.kubernetesNamespace ? { namespace: deps.kubernetesNamespace } : {}),
      });
    }
  }
}
