/**
 * Which SQL migrations to run, decided without I/O. Files are named `NNN_name.sql` (three digits, then lowercase
 * words) and run in number order; each one applied is recorded with a checksum so an edited file is caught.
 */
import { createHash } from 'node:crypto';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly fileName: string;
  readonly sql: string;
  readonly checksum: string;
}

export interface AppliedMigration {
  readonly version: number;
  readonly checksum: string;
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

const FILE_NAME = /^(\d{3})_([a-z0-9]+(?:_[a-z0-9]+)*)\.sql$/;

export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql, 'utf8').digest('hex');
}

/** Migrations in the order they run; throws on a badly named file or two files with one number. */
export function orderedMigrations(files: readonly { fileName: string; sql: string }[]): Migration[] {
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_NAME.exec(file.fileName);
    if (!match) {
      throw new MigrationError(
        `migration file ${file.fileName} is not named NNN_name.sql (three digits, an underscore, lowercase words)`,
      );
    }
    migrations.push({
      version: Number(match[1]),
      name: match[2] as string,
      fileName: file.fileName,
      sql: file.sql,
      checksum: migrationChecksum(file.sql),
    });
  }
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    const previous = migrations[i - 1] as Migration;
    const current = migrations[i] as Migration;
    if (previous.version === current.version) {
      throw new MigrationError(`migrations ${previous.fileName} and ${current.fileName} have the same number`);
    }
  }
  return migrations;
}

/**
 * The migrations still to run. Throws when the database has a migration this build does not know (a newer
 * version ran against it) or when an applied migration's file was edited afterwards.
 */
export function pendingMigrations(known: readonly Migration[], applied: readonly AppliedMigration[]): Migration[] {
  const byVersion = new Map(known.map((m) => [m.version, m]));
  for (const row of applied) {
    const migration = byVersion.get(row.version);
    if (!migration) {
      throw new MigrationError(
        `the database has migration ${String(row.version).padStart(3, '0')}, which this build does not have: ` +
          'run the newer version of the app against this database',
      );
    }
    if (migration.checksum !== row.checksum) {
      throw new MigrationError(
        `migration ${migration.fileName} was changed after it was applied: restore the file and add a new migration instead`,
      );
    }
  }
  const appliedVersions = new Set(applied.map((row) => row.version));
  return known.filter((m) => !appliedVersions.has(m.version));
}
