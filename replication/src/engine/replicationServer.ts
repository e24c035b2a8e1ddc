/**
 * The source side of the protocol: turns a peer's raw request into an answer from the local store. The
 * authenticated HTTP channel calls these with the parsed request body (after it verified the peer) and sends the
 * returned object as JSON. Bad requests are answered with an error object, never thrown across the boundary.
 */
import type { ChangeBatch, PullResponse, SnapshotResponse } from '../core/protocol';
import { describeSchema } from '../core/schemaCompatibility';
import { PROTOCOL_VERSION, pullRequestSchema, snapshotRequestSchema } from '../core/protocol';
import type { z } from 'zod';
import type { SnapshotPage } from '../core/snapshotPages';
import { namedIssues } from '@msk/contract';
import { snapshotPageRequestSchema } from '../core/snapshotPages';
import type { ReplicationStore } from '../store/replicationStore';

export interface BadRequest {
  readonly type: 'bad-request';
  readonly message: string;
}

/**
 * Nodes on different schema versions still exchange changes (a rolling upgrade): the answer then carries this
 * node's table description, and the requester decides what it can apply (schemaCompatibility.ts).
 */
function describedFor<T extends { schemaVersion: string }>(
  store: ReplicationStore,
  requesterSchemaVersion: string,
  answer: T,
): T {
  return requesterSchemaVersion === store.schemaVersion || answer.schemaVersion !== store.schemaVersion
    ? answer
    : { ...answer, schema: describeSchema(store.tables) };
}

/**
 * An answering function: the body parsed with `schema` and refused unless it comes from the node the channel
 * authenticated (`authenticatedPeerId`; a request claiming another node id is refused), then `answer`.
 */
function answering<T extends { requesterNodeId: string }, A>(
  schema: z.ZodType<T>,
  kind: string,
  answer: (store: ReplicationStore, request: T) => Promise<A>,
): (store: ReplicationStore, body: unknown, authenticatedPeerId?: string) => Promise<A | BadRequest> {
  return async (store, body, authenticatedPeerId) => {
    const parsed = schema.safeParse(body);
    if (!parsed.success)
      return { type: 'bad-request', message: `${kind} request refused: ${namedIssues(parsed.error)}` };
    if (authenticatedPeerId !== undefined && parsed.data.requesterNodeId !== authenticatedPeerId) {
      return {
        type: 'bad-request',
        message: `${kind} request names node ${parsed.data.requesterNodeId} but the channel authenticated ${authenticatedPeerId}`,
      };
    }
    return answer(store, parsed.data);
  };
}

export const answerPull = answering(pullRequestSchema, 'pull', async (store, request): Promise<PullResponse> => {
  if (request.startAtHead && request.cursor === null) {
    return describedFor<ChangeBatch>(store, request.schemaVersion, {
      type: 'batch',
      protocolVersion: PROTOCOL_VERSION,
      schemaVersion: store.schemaVersion,
      sourceNodeId: store.nodeId,
      changes: [],
      nextCursor: await store.headCursor(),
      hasMore: false,
      remainingChanges: 0,
      sourceIncarnation: store.incarnation,
    });
  }
  const answer = await store.readChanges({
    forPeer: request.requesterNodeId,
    cursor: request.cursor,
    limit: request.limit,
    ...(request.acknowledged !== undefined ? { acknowledged: request.acknowledged } : {}),
  });
  return answer.type === 'batch' ? describedFor(store, request.schemaVersion, answer) : answer;
});

export const answerSnapshot = answering(
  snapshotRequestSchema,
  'snapshot',
  async (store, request): Promise<SnapshotResponse> =>
    describedFor(store, request.schemaVersion, await store.exportSnapshot()),
);

/** A page of a peer's initial load (core/snapshotPages.ts): the request is the read (fence, position, limit). */
export const answerSnapshotPage = answering(
  snapshotPageRequestSchema,
  'snapshot page',
  async (store, request): Promise<SnapshotPage> =>
    describedFor(store, request.schemaVersion, await store.readSnapshotPage(request)),
);
