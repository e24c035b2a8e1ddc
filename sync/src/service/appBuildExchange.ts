/**
 * Tells connected peers the build of this node's app, and learns theirs, over the authenticated channel
 * (POST /sync/v1/app-build: the body carries the sender's build, the signed answer the receiver's). Sent when a
 * peer connects, when this node's build changes, and again on every poll to any peer not yet told the current
 * one (a lost message heals itself). A peer of an older version without the route is simply not compared.
 */
import { type AppBuildIdentity, sameAppBuild, shortAppBuild, APP_BUILD_FIX } from '../core/appBuild';
import { PATHS, appBuildMessageSchema, parseMessage } from '../core/peerProtocol';
import type { Route } from '../transport/peerServer';
import { signedRequest } from './peerChannel';
import type { ServiceContext } from './serviceContext';

export const APP_BUILD_REQUEST_TIMEOUT_MS = 2_000;
/** A new peer hears our build this long after it connected: after the first heartbeat, which measures the clock skew. */
export const FIRST_EXCHANGE_DELAY_MS = 250;
const key = (build: AppBuildIdentity | null) => JSON.stringify(build);

export class AppBuildExchange {
  /** Per connected peer instance: the build we last told it (JSON), so each change goes out once. */
  private readonly told = new Map<string, string>();
  private readonly inFlight = new Set<string>();
  /** Per peer: the pair of builds last warned about, so a difference is logged once, not on every exchange. */
  private readonly warned = new Map<string, string>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly ownBuild: () => AppBuildIdentity | null,
  ) {
    this.unsubscribe = ctx.registry.onEvent((event) => {
      const peerKey = `${event.peer.identity.id}/${event.peer.identity.instanceId}`;
      this.told.delete(peerKey);
      if (event.type === 'peer-connected') setTimeout(() => void this.tell(event.peer.identity.id), FIRST_EXCHANGE_DELAY_MS).unref();
    });
  }

  route(): Route {
    return {
      method: 'POST',
      path: PATHS.appBuild,
      access: 'peer',
      maxBodyBytes: 2048,
      handle: (request) => {
        const parsed = parseMessage(appBuildMessageSchema, request.json);
        if (!parsed.ok) {
          this.ctx.metrics.droppedMessages.inc({ reason: 'malformed', source: 'app-build' });
          return { status: 400, json: { error: 'malformed' } };
        }
        this.learned((request.peer as { peerId: string }).peerId, parsed.value.build);
        return { status: 200, json: { build: this.ownBuild() } };
      },
    };
  }

  /** Sends this node's build to every connected peer not yet told the current one. */
  tellAll(): void {
    for (const node of this.ctx.registry.connectedNodes()) void this.tell(node.identity.id);
  }

  private async tell(peerId: string): Promise<void> {
    const node = this.ctx.registry.nodes.get(peerId);
    if (!node || !node.connected) return;
    const peerKey = `${peerId}/${node.identity.instanceId}`;
    const build = this.ownBuild();
    if (this.told.get(peerKey) === key(build) || this.inFlight.has(peerKey)) return;
    this.inFlight.add(peerKey);
    try {
      const answer = await signedRequest(this.ctx, peerId, { method: 'POST', path: PATHS.appBuild, json: { build }, timeoutMs: APP_BUILD_REQUEST_TIMEOUT_MS });
      const parsed = parseMessage(appBuildMessageSchema, answer.json);
      if (answer.status !== 200 || !parsed.ok) {
        this.ctx.metrics.droppedMessages.inc({ reason: 'malformed', source: 'app-build-answer' });
        return;
      }
      this.told.set(peerKey, key(build));
      this.learned(peerId, parsed.value.build);
    } catch (error) {
      // Retried on the next poll; an older peer without the route answers no-route every time (harmless).
      this.ctx.logger.debug({ peerId, error: error instanceof Error ? error.message : String(error) }, 'could not exchange app builds');
    } finally {
      this.inFlight.delete(peerKey);
    }
  }

  private learned(peerId: string, build: AppBuildIdentity | null): void {
    const node = this.ctx.registry.nodes.get(peerId);
    if (!node) return;
    this.ctx.registry.setAppBuild(peerId, build);
    const mine = this.ownBuild();
    const pair = `${key(mine)}|${key(build)}`;
    if (build && mine && !sameAppBuild(build, mine) && this.warned.get(peerId) !== pair) {
      this.warned.set(peerId, pair);
      this.ctx.logger.warn(
        { peer: node.identity.name, peerId, thisBuild: shortAppBuild(mine), peerBuild: shortAppBuild(build) },
        `the app build differs from peer ${node.identity.name}'s: this node runs ${shortAppBuild(mine)}, it runs ${shortAppBuild(build)}. Fix: ${APP_BUILD_FIX}`,
      );
    }
  }

  stop(): void {
    this.unsubscribe();
  }
}
