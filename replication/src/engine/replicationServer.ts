/**
 * The source side of the protocol: turns a peer's raw request into an answer from the local store. The
 * authenticated HTTP channel calls these with the parsed request body (after it verified the peer) and sends the
 * returned object as JSON. Bad requests are answered with an error object, never thrown across the boundary.
 */
import type { ChangeBatch, PullResponse, SnapshotResponse } from '../core/protocol';
import { describeSchema } from '../core/schemaCompatibility';
import { PROTOCOL_VERSION, pullRequestSchema, snapshotRequestSchema } from '../core/protocol';
import type { SnapshotPage } from '../core/snapshotPages';
import { namedIssues, snapshotPageRequestSchema } from '../core/snapshotPages';
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
 * @param authenticatedPeerId the peer the channel authenticated; a request claiming another node id is refused.
 */
export async function answerPull(
  store: ReplicationStore,
  body: unknown,
  authenticatedPeerId?: string,
): Promise<PullResponse | BadRequest> {
  const parsed = pullRequestSchema.safeParse(body);
  if (!parsed.success) {
    return {
      type: 'bad-request',
      message: `pull request refused: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`,
    };
  }
  const request = parsed.data;
  if (authenticatedPeerId !== undefined && request.requesterNodeId !== authenticatedPeerId) {
    return {
      type: 'bad-request',
      message: `pull request names node ${request.requesterNodeId} but the channel authenticated ${authenticatedPeerId}`,
    };
  }
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
}

export async function answerSnapshot(
  store: ReplicationStore,
  body: unknown,
  authenticatedPeerId?: string,
): Promise<SnapshotResponse | BadRequest> {
  const parsed = snapshotRequestSchema.safeParse(body);
  if (!parsed.success) {
    return {
      type: 'bad-request',
      message: `snapshot request refused: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`,
    };
  }
  if (authenticatedPeerId !== undefined && parsed.data.requesterNodeId !== authenticatedPeerId) {
    return {
      type: 'bad-request',
      message: `snapshot request names node ${parsed.data.requesterNodeId} but the channel authenticated ${authenticatedPeerId}`,
    };
  }
  return describedFor(store, parsed.data.schemaVersion, await store.exportSnapshot());
}

/** A page of a peer's initial load (core/snapshotPages.ts). */
export async function answerSnapshotPage(
  store: ReplicationStore,
  body: unknown,
  authenticatedPeerId?: string,
): Promise<SnapshotPage | BadRequest> {
  const parsed = snapshotPageRequestSchema.safeParse(body);
  if (!parsed.success)
    return { type: 'bad-request', message: `snapshot page request refused: ${namedIssues(parsed.error)}` };
  const request = parsed.data;
  if (authenticatedPeerId !== undefined && request.requesterNodeId !== authenticatedPeerId) {
    return {
      type: 'bad-request',
      message: `snapshot page request names node ${request.requesterNodeId} but the channel authenticated ${authenticatedPeerId}`,
    };
  }
  const page = await store.readSnapshotPage({ fence: request.fence, after: request.after, limit: request.limit });
  return describedFor(store, request.schemaVersion, page);
}
