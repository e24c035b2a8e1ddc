/**
 * Start-up, before the server answers any request: check the settings, run the migrations, seed the first user.
 * A bad setting or an unreachable database stops the server with the reason (and never a secret's value).
 */
import { migrate } from './migrations';
import { seedFirstUser } from './seedUser';
import { deskSettings } from './settings';

const log = (line: string) =>
  process.stdout.write(`${JSON.stringify({ app: 'field-desk', msg: line, time: new Date().toISOString() })}\n`);

export async function startDesk(): Promise<void> {
  try {
    const settings = deskSettings();
    await migrate(log);
    if (settings.seedUser && (await seedFirstUser(settings.seedUser)))
      log(`seeded the first user ${settings.seedUser.email}`);
    log('ready');
  } catch (error) {
    process.stderr.write(`field-desk: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
