/**
 * One installation of the platform on the test cluster (kubectl apply or helm install): its StatefulSet's pods,
 * reached the way the tests need them — the app at each pod's own address (pods are network namespaces on this
 * machine's CNI bridge), the sync service's status command through `kubectl exec`.
 */
import { eventually } from '../../support/eventually';
import { type ClusterTool, kubectl } from './kubectl';

export const APP_PORT = 8080;
const CONTAINERS = ['app', 'sync', 'postgres'] as const;
type ContainerName = (typeof CONTAINERS)[number];

interface PodJson {
  metadata: { name: string; uid: string; labels?: Record<string, string>; deletionTimestamp?: string };
  status: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; ready: boolean; restartCount: number; state: Record<string, unknown> }[];
  };
}

export interface PodState {
  readonly name: string;
  readonly uid: string;
  readonly ip: string | undefined;
  readonly ready: boolean;
  readonly terminating: boolean;
  readonly containers: ReadonlyMap<string, { ready: boolean; running: boolean; restarts: number }>;
}

export interface SyncStatus {
  readonly text: string;
  readonly nodeId: string;
  readonly nodeName: string;
  readonly peersConnected: number;
  /** Unique-key conflicts the node's replication resolved (a fresh cluster has none: one first admin everywhere). */
  readonly conflictsResolved: number | undefined;
}

export class Installation {
  readonly kubectl: ClusterTool = kubectl();

  /**
   * `instance`: the app.kubernetes.io/instance label of the pods (Helm: the release name; kubectl: the StatefulSet's
   * name). `containers`: those of every pod (no postgres with an external database).
   */
  constructor(
    readonly namespace: string,
    readonly statefulSet: string,
    readonly instance: string = statefulSet,
    readonly containers: readonly ContainerName[] = CONTAINERS,
    /** The app's port in the pods (the chart's app.port). */
    readonly appPort: number = APP_PORT,
  ) {}

  podName(ordinal: number): string {
    return `${this.statefulSet}-${ordinal}`;
  }

  async pods(): Promise<PodState[]> {
    const list = await this.kubectl.json<{ items: PodJson[] }>(['-n', this.namespace, 'get', 'pods', '-l', `app.kubernetes.io/name=multi-server-kit,app.kubernetes.io/instance=${this.instance}`]);
    return list.items
      .filter((pod) => pod.metadata.name.startsWith(`${this.statefulSet}-`))
      .map((pod) => ({
        name: pod.metadata.name,
        uid: pod.metadata.uid,
        ip: pod.status.podIP,
        ready: pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
        terminating: pod.metadata.deletionTimestamp !== undefined,
        containers: new Map(
          (pod.status.containerStatuses ?? []).map((c) => [c.name, { ready: c.ready, running: 'running' in c.state, restarts: c.restartCount }]),
        ),
      }))
      .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  }

  async pod(ordinal: number): Promise<PodState> {
    const found = (await this.pods()).find((p) => p.name === this.podName(ordinal));
    if (!found) throw new Error(`pod ${this.namespace}/${this.podName(ordinal)} does not exist`);
    return found;
  }

  /** Waits until exactly `replicas` pods exist, each Ready with its containers (app, sync and postgres) running. */
  async waitReady(replicas: number, timeoutMs: number): Promise<PodState[]> {
    return eventually(
      async () => {
        const pods = (await this.pods()).filter((p) => !p.terminating);
        const unready = pods.filter((p) => !p.ready || this.containers.some((c) => !p.containers.get(c)?.running || !p.containers.get(c)?.ready));
        if (pods.length !== replicas || unready.length > 0) {
          throw new Error(`${pods.length}/${replicas} pods, not ready: ${unready.map((p) => p.name).join(', ') || 'none'}`);
        }
        return pods;
      },
      { what: `${replicas} ready pods of statefulset ${this.namespace}/${this.statefulSet}`, timeoutMs, intervalMs: 2000, context: () => this.diagnostics() },
    );
  }

  async appUrl(ordinal: number): Promise<string> {
    const pod = await this.pod(ordinal);
    if (!pod.ip) throw new Error(`pod ${pod.name} has no IP yet`);
    return `http://${pod.ip}:${this.appPort}`;
  }

  /** `service:status` as an operator runs it, inside the pod's sync container. */
  async syncStatus(ordinal: number): Promise<SyncStatus> {
    const exec = ['-n', this.namespace, 'exec', this.podName(ordinal), '-c', 'sync', '--', 'node', 'sync/dist/cli/main.js', 'status'];
    const text = await this.kubectl.ok(exec);
    const json = JSON.parse(await this.kubectl.ok([...exec, '--json'])) as {
      node: { id: string; name: string };
      peersConnected: number;
      replication?: { conflicts?: { resolved?: number } };
    };
    return {
      text,
      nodeId: json.node.id,
      nodeName: json.node.name,
      peersConnected: json.peersConnected,
      conflictsResolved: json.replication?.conflicts?.resolved,
    };
  }

  /** Waits until the pod's status command prints "Peers Connected: N". */
  async waitPeersConnected(ordinal: number, peers: number, timeoutMs: number): Promise<SyncStatus> {
    return eventually(
      async () => {
        const status = await this.syncStatus(ordinal);
        if (!status.text.includes(`Peers Connected: ${peers}`)) throw new Error(status.text);
        return status;
      },
      { what: `"Peers Connected: ${peers}" in ${this.podName(ordinal)}'s sync container`, timeoutMs, intervalMs: 1000, context: () => this.logs(ordinal, 'sync') },
    );
  }

  async logs(ordinal: number, container: ContainerName, lines = 30): Promise<string> {
    const result = await this.kubectl.attempt(['-n', this.namespace, 'logs', this.podName(ordinal), '-c', container, `--tail=${lines}`]);
    return `--- ${this.podName(ordinal)}/${container} (last ${lines} lines) ---\n${result.stdout}${result.stderr}`;
  }

  /** What a failed wait prints: pods, their containers' states and recent events. */
  async diagnostics(): Promise<string> {
    const pods = await this.kubectl.attempt(['-n', this.namespace, 'get', 'pods', '-o', 'wide']);
    const events = await this.kubectl.attempt(['-n', this.namespace, 'get', 'events', '--sort-by=.lastTimestamp']);
    const tails: string[] = [];
    for (const pod of await this.pods().catch(() => [])) {
      const ordinal = Number(pod.name.slice(this.statefulSet.length + 1));
      for (const container of this.containers) {
        const state = pod.containers.get(container);
        if (!state?.ready) tails.push(await this.logs(ordinal, container, 15));
      }
    }
    return [pods.stdout, pods.stderr, events.stdout.split('\n').slice(-25).join('\n'), ...tails].join('\n');
  }
}
