/**
 * SYNC_DISCOVERY=kubernetes: watches the EndpointSlices of SYNC_KUBERNETES_SERVICE (list + watch with
 * @kubernetes/client-node 1.4, restarted after errors). The client is ESM-only, so it is imported lazily here
 * and this module is only loaded by compiled code (never inside Jest).
 * Needs a Role with get/list/watch on endpointslices.discovery.k8s.io in the pod's namespace.
 */
import { readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { type DiscoveryListener, type DiscoverySelf, type PeerDiscovery, withoutOwn } from './discovery';
import { type EndpointSliceLike, addressesFromEndpointSlices } from './endpointSlices';

export const KUBERNETES_RESTART_DELAY_MS = 2_000;
const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export interface KubernetesDiscoveryOptions {
  readonly self: DiscoverySelf;
  readonly service: string;
  /** Path of a kubeconfig file; default: in-cluster service account (or KUBECONFIG / ~/.kube/config). */
  readonly kubeconfigPath?: string;
  readonly namespace?: string;
  readonly restartDelayMs?: number;
}

function namespaceOf(kc: KubeConfig, explicit: string | undefined): string {
  if (explicit) return explicit;
  const fromContext = kc.getContextObject(kc.getCurrentContext())?.namespace;
  if (fromContext) return fromContext;
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE_FILE, 'utf8').trim() || 'default';
  } catch {
    return 'default';
  }
}

interface Informer {
  on(verb: 'add' | 'update' | 'delete', cb: (obj: EndpointSliceLike) => void): void;
  on(verb: 'error' | 'connect', cb: (err?: unknown) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  list(namespace?: string): EndpointSliceLike[];
}

export class KubernetesDiscovery implements PeerDiscovery {
  readonly mode = 'kubernetes' as const;
  private informer: Informer | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The client takes about a second to load: start loading it as soon as the backend is chosen. */
  private readonly client: Promise<typeof import('@kubernetes/client-node', { with: { 'resolution-mode': 'import' } })>;

  constructor(private readonly options: KubernetesDiscoveryOptions) {
    this.client = import('@kubernetes/client-node');
    this.client.catch(() => undefined);
  }

  async start(listener: DiscoveryListener): Promise<void> {
    this.stopped = false;
    const k8s = await this.client;
    const kc = new k8s.KubeConfig();
    if (this.options.kubeconfigPath) kc.loadFromFile(this.options.kubeconfigPath);
    else kc.loadFromDefault();
    const namespace = namespaceOf(kc, this.options.namespace);
    const labelSelector = `kubernetes.io/service-name=${this.options.service}`;
    const api = kc.makeApiClient(k8s.DiscoveryV1Api);
    const path = `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`;
    const informer = k8s.makeInformer(
      kc,
      path,
      () => api.listNamespacedEndpointSlice({ namespace, labelSelector }),
      labelSelector,
    ) as unknown as Informer;
    this.informer = informer;
    const publish = () => {
      if (this.stopped) return;
      const addresses = addressesFromEndpointSlices(informer.list(namespace), this.options.self.port);
      listener.update({ addresses: withoutOwn(this.options.self, addresses) });
    };
    informer.on('add', publish);
    informer.on('update', publish);
    informer.on('delete', publish);
    informer.on('connect', () => publish());
    informer.on('error', (error) => {
      if (this.stopped) return;
      const detail = error instanceof Error ? error.message : String(error);
      const status =
        (error as { code?: unknown; statusCode?: unknown } | undefined)?.code ??
        (error as { statusCode?: unknown } | undefined)?.statusCode;
      const hint =
        status === 401 || status === 403
          ? ` (HTTP ${status}: the pod's service account needs a Role with get/list/watch on endpointslices.discovery.k8s.io)`
          : '';
      listener.error(
        `watching EndpointSlices of Service ${this.options.service} in ${namespace} failed: ${detail}${hint}`,
      );
      this.restartTimer = setTimeout(
        () => void informer.start(),
        this.options.restartDelayMs ?? KUBERNETES_RESTART_DELAY_MS,
      );
      this.restartTimer.unref();
    });
    await informer.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.informer?.stop();
  }
}
