/** `npm run initdb-script`: rewrites compose/postgres-initdb/10-msk-roles.sh from kit/src/postgres/databaseRoles.ts. */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { databaseRolesInitdbScript } from '../postgres/databaseRoles';

export const INITDB_SCRIPT = join(__dirname, '..', '..', '..', 'compose', 'postgres-initdb', '10-msk-roles.sh');

if (require.main === module) {
  mkdirSync(dirname(INITDB_SCRIPT), { recursive: true });
  writeFileSync(INITDB_SCRIPT, databaseRolesInitdbScript());
  chmodSync(INITDB_SCRIPT, 0o755);
  process.stdout.write(`wrote ${INITDB_SCRIPT}\n`);
}
