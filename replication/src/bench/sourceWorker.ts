/**
 * The publisher's side of the engine in its own thread, as it is in its own sync process in a deployment: it
 * opens the publisher's store, answers pull/snapshot requests (JSON text both ways, as over HTTP) and forwards
 * the store's "local commit" pokes. Used by replicationBench.ts through `startSourceWorker`.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { PostgresStoreProps, ReplicationTransport } from '../index';
import { ChangePusher, PostgresReplicationStore, answerPull, answerSnapshot } from '../index';

type Request =
  | { id: number; kind: 'pull' | 'snapshot'; requester: string; json: string }
  | { id: number; kind: 'close' }
  | { id: number; kind: 'pokes'; on: boolean }
  | PokeAnswer;
type Reply =
  | { id: number; json?: string; error?: string }
  | { kind: 'poke'; pokeId: number; json?: string }
  | { kind: 'ready' }
  | { kind: 'failed'; error: string };
/** The main thread's answer to a poke: whether it applied the pushed changes. */
type PokeAnswer = { kind: 'poke-answer'; pokeId: number; applied: boolean };

export interface SourceWorker {
  readonly transport: ReplicationTransport;
  /** A commit on the publisher: `push` is its changes when few (see ChangePusher), else null (pull). Resolves
   * whether they were applied. */
  onPoke(listener: (push: unknown) => Promise<boolean>): void;
  /** Stops or resumes watching for local commits (poll mode stops polling): the benchmark measures one contender
   * at a time, the others idle. */
  setPokes(on: boolean): Promise<void>;
  close(): Promise<void>;
}

/** Starts the worker; resolves once its store is open and listening for local commits. */
type WorkerProps = Pick<PostgresStoreProps, 'connectionString' | 'nodeId' | 'tables' | 'poke'> & {
  /** The subscriber's node id (the one peer this source pushes to). */
  readonly peerId: string;
};

export function startSourceWorker(props: WorkerProps): Promise<SourceWorker> {
  const worker = new Worker(__filename, { workerData: props });
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let pokeListener: (push: unknown) => Promise<boolean> = async () => false;
  let nextId = 1;
  const call = (
    message:
      Omit<Extract<Request, { kind: 'pull' | 'snapshot' }>, 'id'> | { kind: 'close' } | { kind: 'pokes'; on: boolean },
  ) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      worker.postMessage({ ...message, id });
    });
  return new Promise((resolve, reject) => {
    worker.on('error', reject);
    worker.on('message', (reply: Reply) => {
      if ('id' in reply) {
        const waiter = waiting.get(reply.id);
        waiting.delete(reply.id);
        if (reply.error !== undefined) waiter?.reject(new Error(reply.error));
        else waiter?.resolve(reply.json === undefined ? undefined : JSON.parse(reply.json));
      } else if (reply.kind === 'poke') {
        const pokeId = reply.pokeId;
        pokeListener(reply.json === undefined ? null : JSON.parse(reply.json)).then(
          (applied) => worker.postMessage({ kind: 'poke-answer', pokeId, applied } satisfies PokeAnswer),
          () => worker.postMessage({ kind: 'poke-answer', pokeId, applied: false } satisfies PokeAnswer),
        );
      } else if (reply.kind === 'failed') {
        reject(new Error(reply.error));
      } else {
        resolve({
          transport: {
            pull: (_peerId, request) =>
              call({ kind: 'pull', requester: request.requesterNodeId, json: JSON.stringify(request) }),
            snapshot: (_peerId, request) =>
              call({ kind: 'snapshot', requester: request.requesterNodeId, json: JSON.stringify(request) }),
          },
          onPoke: (listener) => {
            pokeListener = listener;
          },
          setPokes: async (on) => {
            await call({ kind: 'pokes', on });
          },
          async close() {
            await call({ kind: 'close' });
            await worker.terminate();
          },
        });
      }
    });
  });
}

async function serve(): Promise<void> {
  const port = parentPort!;
  let store: PostgresReplicationStore;
  let watch: () => () => void;
  let pusher: ChangePusher;
  let nextPokeId = 1;
  const pokeAnswers = new Map<number, (applied: boolean) => void>();
  let unwatch: (() => void) | undefined;
  try {
    store = await PostgresReplicationStore.open(workerData as WorkerProps);
    pusher = new ChangePusher({
      store,
      send: (_peerId, push) =>
        new Promise<boolean>((resolve) => {
          const pokeId = nextPokeId++;
          pokeAnswers.set(pokeId, resolve);
          port.postMessage({ kind: 'poke', pokeId, ...(push ? { json: JSON.stringify(push) } : {}) } satisfies Reply);
        }),
    });
    const peers = [(workerData as WorkerProps).peerId];
    watch = () => store.onChange((committedRow) => pusher.localCommit(peers, committedRow));
    unwatch = watch();
    await store.listening();
  } catch (error) {
    port.postMessage({ kind: 'failed', error: String(error) } satisfies Reply);
    return;
  }
  port.on('message', (request: Request) => {
    if (request.kind === 'poke-answer') {
      pokeAnswers.get(request.pokeId)?.(request.applied);
      pokeAnswers.delete(request.pokeId);
      return;
    }
    if (request.kind === 'pokes') {
      if (request.on && !unwatch) unwatch = watch();
      if (!request.on && unwatch) {
        unwatch();
        unwatch = undefined;
      }
      port.postMessage({ id: request.id } satisfies Reply);
      return;
    }
    const answer =
      request.kind === 'close'
        ? store.close().then(() => undefined)
        : request.kind === 'pull'
          ? answerPull(store, JSON.parse(request.json), request.requester).then((answer) => {
              pusher.served(request.requester, answer);
              return answer;
            })
          : answerSnapshot(store, JSON.parse(request.json), request.requester);
    answer.then(
      (value) =>
        port.postMessage({
          id: request.id,
          json: value === undefined ? undefined : JSON.stringify(value),
        } satisfies Reply),
      (error: unknown) => port.postMessage({ id: request.id, error: String(error) } satisfies Reply),
    );
  });
  port.postMessage({ kind: 'ready' } satisfies Reply);
}

if (!isMainThread) void serve();
