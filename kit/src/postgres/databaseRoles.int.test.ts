import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { databaseRolesInitdbScript } from './databaseRoles';

// The setup itself runs against PostgreSQL in replication/src/postgres/leastPrivilege.int.test.ts: roles belong
// to the whole test server, so one test file (run serially) changes them.
describe('the database roles setup', () => {
  it('is what compose/postgres-initdb/10-msk-roles.sh runs (npm run initdb-script after changing databaseRoles.ts), executable', () => {
    const script = join(__dirname, '..', '..', '..', 'compose', 'postgres-initdb', '10-msk-roles.sh');
    expect(readFileSync(script, 'utf8')).toBe(databaseRolesInitdbScript());
    expect(statSync(script).mode & 0o111).toBe(0o111);
  });
});
