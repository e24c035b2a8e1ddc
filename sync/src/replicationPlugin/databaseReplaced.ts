/** What a sync service does when its database was restored from a backup under it (a new incarnation). */

/** Exit code of a sync service that stopped because its database was restored under it (EX_TEMPFAIL). */
export const DATABASE_REPLACED_EXIT_CODE = 75;

/** The default reaction: stop cleanly with DATABASE_REPLACED_EXIT_CODE; the container, systemd or npm start restarts it. */
export function stopDatabaseReplaced(): void {
  process.exitCode = DATABASE_REPLACED_EXIT_CODE;
  process.kill(process.pid, 'SIGTERM');
}
