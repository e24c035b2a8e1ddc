/**
 * Reads this node's database identity (PostgreSQL's system identifier and the database's OID, as role msk_sync:
 * `pg_control_system()` is executable by every role, pg_database is readable by every role, so no grant is needed)
 * and tells connected peers its keyed fingerprint over the authenticated channel (POST /sync/v1/database: the body
 * carries the sender's fingerprint, the signed answer the receiver's). Sent when a peer connects, when the
 * fingerprint changes, and on every refresh to any peer not yet told the current one. What a peer claims is
 * validated (core/databaseTopology.ts) and kept per peer instance; the topology is decided in the status model.
 */
import { Pool } from 'pg';
import {
  type DatabaseIdentity,
  databaseFingerprint,
  databaseIdentitySchema,
  databaseMessageSchema,
} from '../core/databaseTopology';
import { PATHS } from '../core/peerProtocol';
import { connectionStringWithPassword, describeDatabase } from '../replicationPlugin/databaseConnection';
import type { DatabaseInput } from '../status/statusModel';
import type { Route } from '../transport/peerServer';
import { PeerFactExchange, oneFieldMessage } from './peerFactExchange';
import type { ServiceContext } from './serviceContext';

export const DATABASE_REQUEST_TIMEOUT_MS = 2_000;
/** How often the identity is read again (a restore, or DATABASE_URL's name now reaching another database). */
export const DATABASE_IDENTITY_REFRESH_MS = 5_000;
export const DATABASE_CONNECT_TIMEOUT_MS = 3_000;

export const DATABASE_IDENTITY_SQL =
  'SELECT system_identifier::text AS "systemIdentifier", (SELECT oid FROM pg_database WHERE datname = current_database())::text AS "databaseOid" FROM pg_control_system()';

export type ReadDatabaseIdentity = () => Promise<DatabaseIdentity>;

/** The default reader: one connection to SYNC_DATABASE_URL. */
export function postgresIdentityReader(ctx: ServiceContext): {
  read: ReadDatabaseIdentity;
  close: () => Promise<void>;
} {
  const pool = new Pool({
    connectionString: connectionStringWithPassword(ctx.config.syncDatabaseUrl, ctx.config.syncDatabasePassword),
    max: 1,
    // kept open between reads (one connection per sync service), closed if the reads stop
    idleTimeoutMillis: 3 * DATABASE_IDENTITY_REFRESH_MS,
    connectionTimeoutMillis: DATABASE_CONNECT_TIMEOUT_MS,
  });
  pool.on('error', () => undefined);
  return {
    read: async () => {
      const { rows } = await pool.query<DatabaseIdentity>(DATABASE_IDENTITY_SQL);
      const parsed = databaseIdentitySchema.safeParse(rows[0]);
      if (!parsed.success) throw new Error('the database answered no system identifier');
      return parsed.data;
    },
    close: () => pool.end().catch(() => undefined),
  };
}

export class DatabaseExchange {
  private fingerprint: string | null = null;
  private lastError: string | null = null;
  /** Per peer: which instance told us which fingerprint (a restarted peer must tell again). */
  private readonly peers = new Map<string, { instanceId: string; database: string | null }>();
  private readonly exchange: PeerFactExchange<string | null>;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly read: ReadDatabaseIdentity,
  ) {
    this.exchange = new PeerFactExchange(ctx, {
      path: PATHS.database,
      maxBodyBytes: 1024,
      requestTimeoutMs: DATABASE_REQUEST_TIMEOUT_MS,
      ...oneFieldMessage(databaseMessageSchema, 'database'),
      own: () => this.fingerprint,
      key: String,
      learned: (peerId, database) => this.learned(peerId, database),
      onPeerChanged: (peerId) => this.peers.delete(peerId),
      source: 'database',
      what: 'database identities',
    });
  }

  start(): void {
    this.reading = this.refresh();
    this.timer = setInterval(() => void (this.reading = this.refresh()), DATABASE_IDENTITY_REFRESH_MS);
    this.timer.unref();
  }

  /** Resolves after the first read (done or failed). */
  firstRead(): Promise<void> {
    return this.reading ?? Promise.resolve();
  }

  input(): DatabaseInput {
    return {
      declared: this.ctx.config.databaseTopology,
      fingerprint: this.fingerprint,
      lastError: this.lastError,
      peerDatabase: (peerId) => {
        const told = this.peers.get(peerId);
        const node = this.ctx.registry.nodes.get(peerId);
        return told && node && told.instanceId === node.identity.instanceId ? told.database : null;
      },
    };
  }

  route(): Route {
    return this.exchange.route();
  }

  private async refresh(): Promise<void> {
    try {
      const next = databaseFingerprint(await this.read(), this.ctx.keys);
      if (next !== this.fingerprint) {
        this.ctx.logger.info(
          {
            database: describeDatabase(this.ctx.config.syncDatabaseUrl),
            identity: next.slice(0, 8),
            declared: this.ctx.config.databaseTopology,
          },
          this.fingerprint === null
            ? 'identified the database'
            : 'the database behind SYNC_DATABASE_URL is another one now',
        );
      }
      this.fingerprint = next;
      this.lastError = null;
    } catch (error) {
      this.lastError = `cannot read the database identity: ${error instanceof Error ? error.message : String(error)}`;
    }
    this.exchange.tellAll();
  }

  private learned(peerId: string, database: string | null): void {
    const node = this.ctx.registry.nodes.get(peerId);
    if (!node) return;
    this.peers.set(peerId, { instanceId: node.identity.instanceId, database });
  }

  async stop(): Promise<void> {
    this.exchange.stop();
    if (this.timer) clearInterval(this.timer);
    await this.reading?.catch(() => undefined);
  }
}
