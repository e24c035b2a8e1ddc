/**
 * Shared by both handshake roles: judge an authenticated peer, probing a live-looking node with the same ID
 * first (a restarted pod with a new address must not be refused because its old address has not timed out yet).
 */
import type { AdmissionDecision } from '../core/admission';
import type { NodeIdentity } from '../core/handshake';
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
