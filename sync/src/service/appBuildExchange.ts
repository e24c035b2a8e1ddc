/**
 * Tells connected peers the build of this node's app, and learns theirs, over the authenticated channel
 * (POST /sync/v1/app-build: the body carries the sender's build, the signed answer the receiver's). Sent when a
 * peer connects, when this node's build changes, and again on every poll to any peer not yet told the current
 * one (a lost message heals itself). A peer of an older version without the route is simply not compared.
 */
import { type AppBuildIdentity, sameAppBuild, shortAppBuild, APP_BUILD_FIX } from '../core/appBuild';
import { PATHS, appBuildMessageSchema } from '../core/peerProtocol';
import type { Route } from '../transport/peerServer';
import { PeerFactExchange, oneFieldMessage } from './peerFactExchange';
import type { ServiceContext } from './serviceContext';

export const APP_BUILD_REQUEST_TIMEOUT_MS = 2_000;
const key = (build: AppBuildIdentity | null) => JSON.stringify(build);

export class AppBuildExchange {
  /** Per peer: the pair of builds last warned about, so a difference is logged once, not on every exchange. */
  private readonly warned = new Map<string, string>();
  private readonly exchange: PeerFactExchange<AppBuildIdentity | null>;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly ownBuild: () => AppBuildIdentity | null,
  ) {
    this.exchange = new PeerFactExchange(ctx, {
      path: PATHS.appBuild,
      maxBodyBytes: 2048,
      requestTimeoutMs: APP_BUILD_REQUEST_TIMEOUT_MS,
      ...oneFieldMessage(appBuildMessageSchema, 'build'),
      own: ownBuild,
      key,
      learned: (peerId, build) => this.learned(peerId, build),
      source: 'app-build',
      what: 'app builds',
    });
  }

  route(): Route {
    return this.exchange.route();
  }

  /** Sends this node's build to every connected peer not yet told the current one. */
  tellAll(): void {
    this.exchange.tellAll();
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
    this.exchange.stop();
  }
}
