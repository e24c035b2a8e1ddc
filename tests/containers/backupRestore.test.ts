/**
 * docs/backup-and-restore.md's Compose blocks and docs/uninstall.md's `down -v`, run as written on the two-node
 * stack of compose/docker-compose.yml (project msk-i-backup-<pid>): writes through the entry point, a backup of
 * node 2 through `docker compose exec`, more writes and deletes, node 2's volume removed, the restore, writes again;
 * both nodes end with the same rows, every acknowledged one and no deleted one. Then `down -v` leaves nothing.
 * Substitutions, as the page documents them: `<project>` is the project name; `docker-compose` stands for
 * `docker compose` where only Compose v1 is installed; `npm run X --` is the compiled CLI (tests/support/docsShell.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docsCommands } from '../support/docsCommands';
import { runDocsBlock } from '../support/docsShell';
import { eventually } from '../support/eventually';
import { type Session, newCounters, retryingFetch, signInRetrying, writeBusiness } from '../support/retryingClient';
import { type DeployFolder, composeVariables, initDeployFolder } from './support/composeProject';
import { ADMIN, COMPOSE_DIR, containerHostAddress } from './support/containerSettings';
import { freePort } from '@msk/kit/testing';

const PROJECT = `msk-i-backup-${process.pid}`;

describe('backup, restore and uninstall of a Compose node, as docs/backup-and-restore.md and docs/uninstall.md say', () => {
  let deploy: DeployFolder;
  let work: string;
  let entryUrl: string;
  let variables: Record<string, string>;
  let session: Session;
  const acknowledged: string[] = [];
  const deleted: string[] = [];

  const asWritten = (commands: readonly string[]) => commands.map((command) => command.replace(/<project>/g, PROJECT));
  const run = (commands: readonly string[]) => runDocsBlock(asWritten(commands), work, variables);
  const compose = (...args: string[]) =>
    spawnSync('docker', ['compose', '-f', join(COMPOSE_DIR, 'docker-compose.yml'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...variables },
    });
  const businessIds = (node: number): string[] => {
    const result = compose(
      'exec',
      '-T',
      '-u',
      'postgres',
      `postgres-${node}`,
      'psql',
      '-d',
      'multi_business_db',
      '-At',
      '-c',
      'SELECT id FROM businesses ORDER BY id',
    );
    if (result.status !== 0) throw new Error(`psql on postgres-${node}: ${result.stderr}`);
    return result.stdout.split('\n').filter(Boolean);
  };
  const write = async (count: number, label: string) => {
    for (let i = 0; i < count; i++) {
      const counters = newCounters();
      const id = await writeBusiness(entryUrl, session, `${label} ${i}`, counters);
      if (!id) throw new Error(`write not acknowledged: ${JSON.stringify(counters.failures)}`);
      acknowledged.push(id);
    }
  };
  const converged = () =>
    eventually(
      async () => {
        const [one, two] = [businessIds(1), businessIds(2)];
        if (JSON.stringify(one) !== JSON.stringify(two))
          throw new Error(`node 1 has ${one.length} businesses, node 2 ${two.length}`);
        const missing = acknowledged.filter((id) => !one.includes(id));
        if (missing.length > 0) throw new Error(`acknowledged but missing: ${missing.join(', ')}`);
        return one;
      },
      { what: 'both nodes holding the same businesses, every acknowledged one', timeoutMs: 120_000, intervalMs: 1_000 },
    );

  beforeAll(async () => {
    const address = containerHostAddress();
    const port = await freePort(address);
    entryUrl = `http://${address}:${port}`;
    deploy = initDeployFolder({ publicUrl: entryUrl, withAdmin: true });
    work = mkdtempSync(join(tmpdir(), 'msk-i-backup-compose-'));
    symlinkSync(COMPOSE_DIR, join(work, 'compose'));
    symlinkSync(deploy.dir, join(work, 'deploy'));
    mkdirSync(join(work, 'backups'));
    variables = {
      ...composeVariables(deploy.dir, { ENTRY_POINT_PUBLISH: `${address}:${port}` }),
      COMPOSE_PROJECT_NAME: PROJECT,
    };
    const up = compose('up', '-d');
    if (up.status !== 0) throw new Error(`compose up: ${up.stderr}`);
    session = await eventually(() => signInRetrying(entryUrl, ADMIN.email, ADMIN.password, newCounters()), {
      what: 'signing in through the entry point',
      timeoutMs: 150_000,
      intervalMs: 2_000,
    });
  });

  afterAll(() => {
    if (variables) compose('down', '-v', '--timeout', '5');
    if (work) rmSync(work, { recursive: true, force: true });
    deploy?.remove();
  });

  it('restores a lost node 2 from its backup: both nodes converge, every acknowledged write on both, no deleted row back', async () => {
    await write(8, 'before backup');
    await converged();
    const backup = await run(docsCommands('docs/backup-and-restore.md', 'compose-backup'));
    expect({ code: backup.code, stderr: backup.stderr }).toEqual({
      code: 0,
      stderr: expect.not.stringMatching(/error/i),
    });
    expect(backup.stdout).toContain('written to backups/node-2.mskbackup');

    await write(6, 'after backup');
    await converged(); // the entry point may send the delete to either node: both must have the row
    for (const id of [acknowledged[0]!, acknowledged[3]!, acknowledged[9]!]) {
      const answer = await retryingFetch(
        `${entryUrl}/api/businesses/${id}`,
        { method: 'DELETE', headers: { cookie: session.cookie, origin: entryUrl } },
        newCounters(),
      );
      expect(answer.status).toBe(204);
      deleted.push(id);
      acknowledged.splice(acknowledged.indexOf(id), 1);
    }
    await converged();

    const lose = await run(docsCommands('docs/backup-and-restore.md', 'compose-lose-node'));
    expect(lose.code).toBe(0);
    // a new, empty PostgreSQL: no table yet (app-2, which would run the migrations, is stopped)
    const tables = compose(
      'exec',
      '-T',
      '-u',
      'postgres',
      'postgres-2',
      'psql',
      '-d',
      'multi_business_db',
      '-At',
      '-c',
      "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
    );
    expect(tables.stdout.trim()).toBe('0');
    await write(3, 'while node 2 is lost');
    const restore = await run(docsCommands('docs/backup-and-restore.md', 'compose-restore'));
    expect(restore.code).toBe(0);
    expect(restore.stdout).toMatch(/checks passed[\s\S]*new incarnation [0-9a-f]{32}/);
    await write(4, 'after restore');
    const rows = await converged();
    expect(rows.filter((id) => deleted.includes(id))).toEqual([]);
  }, 600_000); // two nodes' worth of containers on 2 shared cores: every step waits for both nodes

  it('down -v removes every container and both volumes of the project', async () => {
    const down = await run(docsCommands('docs/uninstall.md', 'compose-down'));
    expect(down.code).toBe(0);
    const containers = spawnSync(
      'docker',
      ['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`],
      { encoding: 'utf8' },
    );
    expect(containers.stdout.trim()).toBe('');
    const volumes = spawnSync('docker', ['volume', 'ls', '-q', '--filter', `name=${PROJECT}_`], { encoding: 'utf8' });
    expect(volumes.stdout.trim()).toBe('');
  });
});
