/**
 * The status figures replication reads from its database while it runs (progress per peer, recent conflicts), and
 * the check that the database is still the one the store opened: a restore (msk restore) gives it a new incarnation.
 */
import type { PeerProgress, PostgresReplicationStore, RecentConflicts } from '@msk/replication';
import type { Logger } from '../service/logger';

/** Conflicts listed in the status document (newest first). */
export const STATUS_RECENT_CONFLICTS = 10;

export type DatabaseReplacedDetails = { opened: string; found: string };

export class StoredStatus {
  progress = new Map<string, PeerProgress>();
  conflicts: RecentConflicts = { total: 0, recent: [] };
  /** Why the last refresh failed (the database is down?); cleared by the next one that works. */
  error: string | null = null;
  private replaced = false;

  constructor(
    private readonly logger: Logger,
    /** Called once, with what the status should say as the last error. */
    private readonly onReplaced: (details: DatabaseReplacedDetails, lastError: string) => void,
  ) {}

  async refresh(store: PostgresReplicationStore): Promise<void> {
    try {
      this.progress = new Map((await store.peerProgress()).map((peer) => [peer.peerId, peer]));
      this.conflicts = await store.recentConflicts(STATUS_RECENT_CONFLICTS);
      this.error = null;
      await this.checkIncarnation(store);
    } catch (error) {
      this.error = `reading replication progress failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /** This service's memory of a database restored under it is stale. */
  private async checkIncarnation(store: PostgresReplicationStore): Promise<void> {
    if (this.replaced) return;
    const found = await store.storedIncarnation();
    if (!found || found === store.incarnation) return;
    this.replaced = true;
    this.logger.error(
      { opened: store.incarnation, found },
      'the database was restored from a backup while this sync service ran: stopping so it starts afresh',
    );
    this.onReplaced(
      { opened: store.incarnation, found },
      `the database was restored under this service (incarnation ${store.incarnation} → ${found}): restarting it`,
    );
  }
}
