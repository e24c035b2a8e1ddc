import { PeerNotReadyError, SnapshotPagesUnsupportedError } from '@msk/replication';
import { PeerChannelError } from '../service/peerChannel';
import { channelTransport, REPLICATION_ROUTES, ReplicationRequestError } from './channelTransport';

const answering = (status: number, json: unknown) =>
  channelTransport({ request: async () => ({ status, json }) } as never);
const pull = {
  type: 'pull',
  protocolVersion: 1,
  schemaVersion: 'sv1-x',
  requesterNodeId: '0123456789abcdef',
  cursor: null,
  limit: 10,
} as never;

describe('the replication transport over the peer channel', () => {
  it('tells a peer that is still starting (503 not-ready) apart from a failing one', async () => {
    const starting = answering(503, { error: 'not-ready', message: 'replication on node-2 is waiting-for-schema' });
    await expect(starting.pull('fedcba9876543210', pull)).rejects.toBeInstanceOf(PeerNotReadyError);
    await expect(starting.snapshot('fedcba9876543210', pull)).rejects.toThrow(
      /not ready yet: replication on node-2 is waiting-for-schema/,
    );
  });

  it('treats any other refusal as an error', async () => {
    await expect(answering(503, { error: 'overloaded' }).pull('fedcba9876543210', pull)).rejects.toBeInstanceOf(
      ReplicationRequestError,
    );
    await expect(answering(500, {}).pull('fedcba9876543210', pull)).rejects.toBeInstanceOf(ReplicationRequestError);
  });

  it('asks for snapshot pages on their own route, and tells a peer without that route (an earlier release) apart', async () => {
    const paths: string[] = [];
    const serving = channelTransport({
      request: async (_peer: string, request: { path: string }) => {
        paths.push(request.path);
        return { status: 200, json: { type: 'snapshot-page' } };
      },
    } as never);
    await expect(serving.snapshotPage!('fedcba9876543210', pull)).resolves.toEqual({ type: 'snapshot-page' });
    expect(paths).toEqual([REPLICATION_ROUTES.snapshotPage]);
    const older = channelTransport({
      request: async () => {
        throw new PeerChannelError('127.0.0.3:8765 has no route POST /sync/v1/replication/snapshot-page', 'no-route');
      },
    } as never);
    await expect(older.snapshotPage!('fedcba9876543210', pull)).rejects.toBeInstanceOf(SnapshotPagesUnsupportedError);
    const down = channelTransport({
      request: async () => {
        throw new PeerChannelError('connection refused', 'ECONNREFUSED');
      },
    } as never);
    await expect(down.snapshotPage!('fedcba9876543210', pull)).rejects.toBeInstanceOf(PeerChannelError);
  });
});
