import { PeerNotReadyError } from '@msk/replication';
import { channelTransport, ReplicationRequestError } from './channelTransport';

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
});
