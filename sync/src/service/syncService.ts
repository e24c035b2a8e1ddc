/**
 * One running sync service: wires the pure core (keys, handshake, registry, agreement) to its adapters (HTTP
 * server and client, discovery, timers). `startSyncService` returns a started service with `stop()`.
 */
import { randomBytes } from 'node:crypto';
import type { NodeConfig, Problem } from '@msk/contract';
import { formatProblem } from '@msk/contract';
import { MetricsEndpointError, type StartedMetricsEndpoint, startMetricsEndpoint } from '@msk/kit/metrics';
import { clusterTag, deriveClusterKeys } from '../core/clusterKeys';
import { computeConfigFingerprints, uncomparedSharedVariables } from '../core/configFingerprints';
import type { NodeIdentity } from '../core/handshake';
import { REQUEST_DELAY_ALLOWANCE_MS } from '../core/limits';
import { formatPeerAddress, isWildcardAddress } from '../core/peerAddress';
import { createDiscovery, type DiscoveryDeps } from '../discovery/createDiscovery';
import type { DiscoverySelf, PeerDiscovery } from '../discovery/discovery';
import { advertisedIpsFor } from '../discovery/mdnsDiscovery';
import { PeerRegistry } from '../peers/peerRegistry';
import { SessionStore } from '../peers/sessionStore';
import { type DiscoveryStatus, type StatusContributor, type SyncStatus, buildStatus } from '../status/statusModel';
import { PeerClient } from '../transport/peerClient';
import { PeerServer, type Route } from '../transport/peerServer';
import { createSelfSignedTlsMaterial } from '../transport/selfSignedCertificate';
import { type TlsMaterial, loadTlsMaterial } from '../transport/tlsMaterial';
import { AppBuildExchange } from './appBuildExchange';
import { AppBuildWatcher, type FetchAppBuild, appBuildUrl } from './appBuildWatcher';
import { DatabaseExchange, type ReadDatabaseIdentity, postgresIdentityReader } from './databaseExchange';
import { createHandshakeRoutes } from './handshakeResponder';
import { rateLimitPerAddress } from './handshakeRateLimit';
import { createOperatorRoutes, createPeerRoutes, refreshGauges } from './builtInRoutes';
import { type Logger, createLogger } from './logger';
import { createSyncMetrics } from './metrics';
import { signedRequest } from './peerChannel';
import { PeerConnector } from './peerConnector';
import type { StartedPlugin, SyncServiceApi, SyncServicePlugin } from './plugin';
import { createRequestAuthenticator } from './requestAuthenticator';
import { HEARTBEAT_INTERVAL_MS, PEER_LIVE_WITHIN_MS, type ServiceContext } from './serviceContext';

export const SYNC_VERSION: string = (require('../../package.json') as { version: string }).version;

export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
export const PEER_REQUEST_TIMEOUT_MS = 10_000;

export interface SyncServiceOptions {
  /** Warnings from loadNodeConfig, shown in status. */
  readonly warnings?: readonly Problem[];
  readonly now?: () => number;
  readonly randomBytes?: (bytes: number) => Buffer;
  readonly logger?: Logger;
  readonly discovery?: Omit<DiscoveryDeps, 'clusterTag' | 'now'>;
  /** Replaces the backend chosen by SYNC_DISCOVERY (tests). */
  readonly discoveryBackend?: (self: DiscoverySelf) => PeerDiscovery;
  readonly plugins?: readonly SyncServicePlugin[];
  readonly collectProcessMetrics?: boolean;
  /** How the app's build is read (tests). @default GET /api/build on the app's port, over loopback */
  readonly fetchAppBuild?: FetchAppBuild;
  /** How the database's identity is read (tests). @default pg_control_system() over SYNC_DATABASE_URL */
  readonly readDatabaseIdentity?: ReadDatabaseIdentity;
}

export interface StartedSyncService {
  readonly self: NodeIdentity;
  /** host:port peers reach this node at. */
  readonly address: string;
  /** The port actually bound (differs from the configured one only when that is 0). */
  readonly port: number;
  /** Where GET /metrics answers in plain HTTP (SYNC_METRICS_PORT on SYNC_BIND_ADDRESS). */
  readonly metricsPort: number;
  readonly api: SyncServiceApi;
  status(): SyncStatus;
  stop(): Promise<void>;
}

export class SyncServiceStartError extends Error {
  override readonly name = 'SyncServiceStartError';
}

function listenErrorMessage(error: NodeJS.ErrnoException, host: string, port: number): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return `SYNC_SERVICE_PORT ${port} on ${host} is already in use (another sync service running? \`npm run service:status\`). Fix: stop it or pick another port on every node.`;
    case 'EADDRNOTAVAIL':
      return `SYNC_BIND_ADDRESS ${host} is not an address of this host. Fix: use 0.0.0.0 or one of this server's addresses.`;
    case 'EACCES':
      return `not allowed to listen on ${host}:${port}. Fix: use a port above 1023 or run with the needed privilege.`;
    default:
      return `cannot listen on ${host}:${port}: ${error.code ?? error.message}`;
  }
}

export async function startSyncService(
  config: NodeConfig,
  options: SyncServiceOptions = {},
): Promise<StartedSyncService> {
  // SYNC_CLOCK_OFFSET_MS (fault drills) shifts everything this node reads the time for: heartbeats, handshakes,
  // status and the replication plugin (api.now), which also bakes the shift into its capture triggers.
  const offsetMs = config.syncClockOffsetMs;
  const now = options.now ?? (offsetMs === 0 ? Date.now : () => Date.now() + offsetMs);
  const random = options.randomBytes ?? randomBytes;
  const randomHex = (bytes: number) => random(bytes).toString('hex');
  const keys = deriveClusterKeys(config.syncRegistrationKey);
  const self: NodeIdentity = {
    id: config.syncNodeId,
    name: config.syncNodeName,
    instanceId: randomHex(16),
    startedAt: now(),
    port: config.syncServicePort,
  };
  const logger =
    options.logger ?? createLogger(config.syncLogLevel, { node: config.syncNodeName, nodeId: config.syncNodeId });
  // TLS unless SYNC_TLS=off: the operator's certificate, or a key and certificate made now (peers pin it through
  // the keyed handshake, which every start repeats, so it need not outlive the process).
  let tls: TlsMaterial | undefined;
  if (config.syncTls === 'on') {
    try {
      tls =
        config.syncTlsCertFile !== ''
          ? loadTlsMaterial(config.syncTlsCertFile, config.syncTlsKeyFile)
          : createSelfSignedTlsMaterial(`${config.syncNodeName} sync`);
    } catch (error) {
      throw new SyncServiceStartError((error as Error).message);
    }
  }
  const bindHost = config.syncBindAddress;
  const advertisedIps = advertisedIpsFor(bindHost);
  const selfAddress = formatPeerAddress(
    isWildcardAddress(bindHost) ? (advertisedIps[0] as string) : bindHost,
    config.syncServicePort,
  );
  const selfConfig = computeConfigFingerprints(config, keys);
  const registry = new PeerRegistry({
    self,
    selfAddress,
    maxClockSkewMs: config.syncMaxClockSkewMs,
    liveWithinMs: PEER_LIVE_WITHIN_MS,
    random: () => random(4).readUInt32BE(0) / 2 ** 32,
  });
  const metrics = createSyncMetrics({ collectProcessMetrics: options.collectProcessMetrics ?? true });
  const client = new PeerClient({
    tls: tls !== undefined,
    defaultPort: config.syncServicePort,
    ...(isWildcardAddress(bindHost) ? {} : { localAddress: bindHost }),
    timeoutMs: PEER_REQUEST_TIMEOUT_MS,
    maxResponseBytes: MAX_RESPONSE_BYTES,
  });
  const ctx: ServiceContext = {
    config,
    keys,
    self,
    selfAddress,
    selfConfig,
    registry,
    sessions: new SessionStore(config.syncMaxClockSkewMs + REQUEST_DELAY_ALLOWANCE_MS),
    client,
    tls,
    metrics,
    logger,
    now,
    randomHex,
  };
  const connector = new PeerConnector(ctx);
  const contributors: StatusContributor[] = [];
  const warnings = [
    ...(options.warnings ?? []).map(formatProblem),
    ...uncomparedSharedVariables().map(
      (name) => `shared variable ${name} is not compared between peers (this sync version cannot read it)`,
    ),
  ];
  const discoveryStatus: DiscoveryStatus = {
    mode: config.syncDiscovery,
    candidates: [],
    lastUpdateAt: null,
    lastError: null,
    ignored: [],
  };

  const server = new PeerServer({
    ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
    authenticator: createRequestAuthenticator(ctx),
    onRejected: (reason, route) => {
      metrics.rejectedRequests.inc({ reason, route });
      logger.debug({ reason, route }, 'rejected a request');
    },
    onHandlerError: (error, route) =>
      logger.error({ route, error: error instanceof Error ? error.stack : String(error) }, 'route handler failed'),
  });

  // The build of the app beside this service, compared with the peers' (see core/appBuild.ts).
  const appBuildExchange = new AppBuildExchange(ctx, () => appBuildWatcher.current().build);
  const appBuildWatcher = new AppBuildWatcher({
    url: appBuildUrl(bindHost, config.syncHttpPort),
    keys,
    now,
    ...(options.fetchAppBuild ? { fetchBuild: options.fetchAppBuild } : {}),
    onPoll: (state, changed) => {
      if (changed && state.build)
        logger.info({ appBuild: state.build.buildId, deploymentId: state.build.deploymentId }, 'learned the app build');
      appBuildExchange.tellAll();
    },
  });

  // The database's identity, compared with the peers' to decide the topology (see core/databaseTopology.ts).
  const identityReader = options.readDatabaseIdentity ? undefined : postgresIdentityReader(ctx);
  const databaseExchange = new DatabaseExchange(
    ctx,
    options.readDatabaseIdentity ?? (identityReader as { read: ReadDatabaseIdentity }).read,
  );

  const status = (): SyncStatus =>
    buildStatus({
      nowMs: now(),
      version: SYNC_VERSION,
      pid: process.pid,
      tls: tls !== undefined,
      self,
      selfAddress,
      selfConfig,
      appPort: config.syncHttpPort,
      appBuild: appBuildWatcher.current(),
      database: databaseExchange.input(),
      listening: server.listening,
      registry,
      discovery: {
        ...discoveryStatus,
        candidates: [...registry.candidates.keys()].filter((a) => registry.candidates.get(a)?.state !== 'self').sort(),
      },
      warnings,
      contributors,
    });

  const builtIn: Route[] = [
    ...createOperatorRoutes(ctx, status),
    ...createPeerRoutes(ctx, connector),
    appBuildExchange.route(),
    databaseExchange.route(),
    ...rateLimitPerAddress(
      ctx,
      createHandshakeRoutes(ctx, (id) => connector.probeAlive(id)),
    ),
  ];
  for (const route of builtIn) server.addRoute(route);

  const api: SyncServiceApi = {
    config,
    self,
    logger,
    metricsRegistry: metrics.registry,
    now,
    addRoute(route) {
      if (!route.path.startsWith('/sync/v1/')) throw new Error(`plugin route ${route.path} must start with /sync/v1/`);
      server.addRoute({
        method: route.method,
        path: route.path,
        access: 'peer',
        ...(route.maxBodyBytes !== undefined ? { maxBodyBytes: route.maxBodyBytes } : {}),
        handle: (request) =>
          route.handle({
            peerId: (request.peer as { peerId: string }).peerId,
            path: request.path,
            body: request.body,
            json: request.json,
          }),
      });
    },
    request: (peerId, request) => signedRequest(ctx, peerId, request),
    connectedPeers: () =>
      registry.connectedNodes().map((n) => ({
        id: n.identity.id,
        name: n.identity.name,
        address: n.address,
        instanceId: n.identity.instanceId,
      })),
    onPeerEvent: (listener) => registry.onEvent(listener),
    addStatusContributor: (contributor) => contributors.push(contributor),
  };

  const discoverySelf: DiscoverySelf = {
    id: self.id,
    name: self.name,
    instanceId: self.instanceId,
    port: config.syncServicePort,
    ownAddresses: [
      selfAddress,
      ...advertisedIps.map((ip) => formatPeerAddress(ip, config.syncServicePort)),
      ...(isWildcardAddress(bindHost)
        ? [`127.0.0.1:${config.syncServicePort}`, `localhost:${config.syncServicePort}`]
        : []),
    ],
    advertisedIps,
  };
  const discovery = options.discoveryBackend
    ? options.discoveryBackend(discoverySelf)
    : createDiscovery(config, discoverySelf, { ...options.discovery, clusterTag: clusterTag(keys), now });

  const startedPlugins: StartedPlugin[] = [];
  for (const plugin of options.plugins ?? []) {
    startedPlugins.push(await plugin.start(api));
    logger.info({ plugin: plugin.name }, 'plugin started');
  }

  let port: number;
  try {
    port = (await server.listen(bindHost, config.syncServicePort)).port;
  } catch (error) {
    for (const plugin of startedPlugins.reverse()) await plugin.stop().catch(() => undefined);
    client.close();
    throw new SyncServiceStartError(
      listenErrorMessage(error as NodeJS.ErrnoException, bindHost, config.syncServicePort),
    );
  }

  // Plain-HTTP metrics for scrapers on other hosts (the sync port itself is TLS, plain only from loopback).
  let metricsEndpoint: StartedMetricsEndpoint;
  try {
    metricsEndpoint = await startMetricsEndpoint({
      host: bindHost,
      port: config.syncMetricsPort,
      portVariable: 'SYNC_METRICS_PORT',
      hostVariable: 'SYNC_BIND_ADDRESS',
      render: async () => {
        refreshGauges(ctx, status());
        return { contentType: metrics.registry.contentType, text: await metrics.registry.metrics() };
      },
      onRenderError: (error) =>
        logger.error(
          { error: error instanceof Error ? error.message : String(error) },
          'metrics could not be rendered',
        ),
    });
  } catch (error) {
    await server.close();
    for (const plugin of startedPlugins.reverse()) await plugin.stop().catch(() => undefined);
    client.close();
    if (error instanceof MetricsEndpointError) throw new SyncServiceStartError(error.message);
    throw error;
  }

  appBuildWatcher.start();
  databaseExchange.start();
  const source = discovery.mode;
  connector.start();
  try {
    await discovery.start({
      update(update) {
        const added = registry.setDiscovered(source, update.addresses, now());
        discoveryStatus.lastUpdateAt = new Date(now()).toISOString();
        discoveryStatus.lastError = null;
        discoveryStatus.ignored = [...(update.ignored ?? [])];
        if (added.length > 0) logger.info({ via: source, added }, 'discovered peer addresses');
        connector.kick();
      },
      error(message) {
        metrics.discoveryErrors.inc({ via: source });
        discoveryStatus.lastError = message;
        logger.warn({ via: source }, message);
      },
    });
  } catch (error) {
    // Discovery failing to start (e.g. UDP 5353 taken) leaves the node reachable by peers that find it.
    discoveryStatus.lastError = (error as Error).message;
    metrics.discoveryErrors.inc({ via: source });
    logger.error({ via: source, error: (error as Error).message }, 'discovery did not start');
  }
  logger.info(
    {
      address: selfAddress,
      bind: `${bindHost}:${port}`,
      metrics: `http://${formatPeerAddress(bindHost, metricsEndpoint.port)}/metrics`,
      discovery: source,
      tls: tls !== undefined,
      ...(tls
        ? {
            tlsCertificate: config.syncTlsCertFile !== '' ? 'SYNC_TLS_CERT_FILE' : 'made at start',
            tlsCertSha256: tls.certSha256,
          }
        : {}),
      heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
      processUptimeMs: Math.round(performance.now()),
    },
    'sync service listening',
  );

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info('sync service stopping');
      await metricsEndpoint.close();
      await connector.stop();
      await appBuildWatcher.stop();
      appBuildExchange.stop();
      await databaseExchange.stop();
      await identityReader?.close();
      await discovery.stop().catch((error: unknown) => logger.warn({ error: String(error) }, 'discovery stop failed'));
      await server.close();
      await connector.sayGoodbye();
      for (const plugin of startedPlugins.reverse()) {
        await plugin.stop().catch((error: unknown) => logger.warn({ error: String(error) }, 'plugin stop failed'));
      }
      client.close();
      logger.info('sync service stopped');
    })();
    return stopping;
  };

  return { self, address: selfAddress, port, metricsPort: metricsEndpoint.port, api, status, stop };
}
