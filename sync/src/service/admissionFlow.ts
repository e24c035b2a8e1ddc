/**
 * Shared by both handshake roles: judge an authenticated peer, probing a live-looking node with the same ID
 * first (a restarted pod with a new address must not be refused because its old address has not timed out yet),
 * then open the session of an admitted one.
 */
import type { AdmissionDecision } from '../core/admission';
import { type NodeIdentity, deriveSessionKeys } from '../core/handshake';
import type { ServiceContext } from './serviceContext';

export type ProbeAlive = (peerId: string) => Promise<boolean>;

export async function judgeWithProbe(
  ctx: ServiceContext,
  probeAlive: ProbeAlive,
  input: { identity: NodeIdentity; address: string; clockSkewMs: number },
): Promise<AdmissionDecision> {
  const judge = () => ctx.registry.judge({ ...input, nowMs: ctx.now() });
  const first = judge();
  const existing = ctx.registry.nodes.get(input.identity.id);
  if (
    first.action === 'refuse' &&
    first.refusal.reason === 'duplicate-node-id' &&
    input.identity.id !== ctx.self.id &&
    existing?.connected === true &&
    !(await probeAlive(input.identity.id))
  ) {
    ctx.registry.disconnect(input.identity.id, 'did not answer while another node claimed its ID', ctx.now());
    ctx.sessions.dropPeer(input.identity.id);
    return judge();
  }
  return first;
}

/** Stores the session of an admitted handshake (replacing the peer's old instance's when the decision says so). */
export function openSession(
  ctx: ServiceContext,
  decision: AdmissionDecision,
  session: {
    handshakeId: string;
    peer: NodeIdentity;
    role: 'initiator' | 'responder';
    transcript: string;
    peerTlsCertSha256: string | null;
  },
): void {
  const { peer, role } = session;
  const keys = deriveSessionKeys(ctx.keys, session.transcript);
  if (decision.action === 'replace') ctx.sessions.dropPeer(peer.id, peer.instanceId);
  ctx.sessions.add({
    id: session.handshakeId,
    peerId: peer.id,
    peerInstanceId: peer.instanceId,
    role,
    sendKey: role === 'initiator' ? keys.initiatorToResponder : keys.responderToInitiator,
    receiveKey: role === 'initiator' ? keys.responderToInitiator : keys.initiatorToResponder,
    peerTlsCertSha256: session.peerTlsCertSha256,
    createdAtMs: ctx.now(),
  });
}
