/**
 * Reading peers from Kubernetes EndpointSlices, pure (types only, so unit tests need not load the ESM client).
 * Not-ready endpoints are included (like a headless Service with publishNotReadyAddresses: readiness depends
 * on the sync service itself); terminating ones are not.
 */
import { formatPeerAddress } from '../core/peerAddress';
import type { DiscoveredAddress } from './discovery';

/** The parts of discovery.k8s.io/v1 EndpointSlice we read. */
export interface EndpointSliceLike {
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly addressType?: string;
  readonly endpoints?: readonly {
    readonly addresses?: readonly string[];
    readonly conditions?: {
      readonly ready?: boolean | null;
      readonly serving?: boolean | null;
      readonly terminating?: boolean | null;
    };
    readonly hostname?: string;
    readonly targetRef?: { readonly kind?: string; readonly name?: string };
  }[];
  readonly ports?: readonly { readonly name?: string | null; readonly port?: number | null }[] | null;
}

export const SYNC_PORT_NAME = 'sync';

export function syncPortOf(slice: EndpointSliceLike, defaultPort: number): number {
  const ports = (slice.ports ?? []).filter(
    (p): p is { name?: string | null; port: number } => typeof p.port === 'number',
  );
  const named = ports.find((p) => p.name === SYNC_PORT_NAME);
  if (named) return named.port;
  if (ports.length === 1) return (ports[0] as { port: number }).port;
  return defaultPort;
}

export function addressesFromEndpointSlices(
  slices: readonly EndpointSliceLike[],
  defaultPort: number,
): DiscoveredAddress[] {
  const out: DiscoveredAddress[] = [];
  for (const slice of slices) {
    if (slice.addressType === 'FQDN') continue;
    const port = syncPortOf(slice, defaultPort);
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.terminating === true) continue;
      const podName = endpoint.targetRef?.kind === 'Pod' ? endpoint.targetRef.name : endpoint.hostname;
      for (const ip of endpoint.addresses ?? []) {
        out.push({ address: formatPeerAddress(ip, port), ...(podName ? { hint: { name: podName } } : {}) });
      }
    }
  }
  return out;
}
