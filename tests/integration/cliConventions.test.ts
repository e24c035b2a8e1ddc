/**
 * Both command lines (kit's `msk`, the sync service's `msk-sync`) as an operator meets them: the compiled CLIs in
 * child processes. --version, help that ends with examples, exit 2 on usage errors while 1 stays "problems
 * found", init --dry-run / --json, and colour only on a terminal (a real pseudo-terminal through `script`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnvFile } from '@msk/contract/envFile';
import { useTemporaryDirectory } from '@msk/kit/testing';

const ROOT = join(__dirname, '..', '..');
const CLIS = {
  msk: join(ROOT, 'kit', 'dist', 'cli', 'main.js'),
  'msk-sync': join(ROOT, 'sync', 'dist', 'cli', 'main.js'),
} as const;
const VERSIONS = {
  msk: (JSON.parse(readFileSync(join(ROOT, 'kit', 'package.json'), 'utf8')) as { version: string }).version,
  'msk-sync': (JSON.parse(readFileSync(join(ROOT, 'sync', 'package.json'), 'utf8')) as { version: string }).version,
};
const FIXTURES = join(ROOT, 'kit', 'src', 'doctor', '__fixtures__');
/** The escape that starts every ANSI colour sequence. */
const ESC = '\u001b[';
const RED = `${ESC}31m`;
const RESET_COLOUR = `${ESC}39m`;

/** A clean environment: no colour settings inherited from whoever runs the tests. */
function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    ...extra,
  };
  return env;
}

function run(
  cli: keyof typeof CLIS,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
) {
  const result = spawnSync(process.execPath, [CLIS[cli], ...args], {
    encoding: 'utf8',
    cwd: options.cwd ?? tmpdir(),
    env: baseEnv(options.env),
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs under a real pseudo-terminal (util-linux `script`), so stdout is a TTY as in an operator's shell. */
function runOnTerminal(cli: keyof typeof CLIS, args: readonly string[], env: Record<string, string> = {}) {
  const command = [process.execPath, CLIS[cli], ...args].map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(' ');
  const result = spawnSync('script', ['-qec', command, '/dev/null'], {
    encoding: 'utf8',
    env: baseEnv({ TERM: 'xterm', ...env }),
  });
  return { code: result.status, output: result.stdout };
}

describe.each(Object.keys(CLIS) as (keyof typeof CLIS)[])('%s', (cli) => {
  it('prints its version with --version and -V, exit 0', () => {
    for (const flag of ['--version', '-V']) {
      const result = run(cli, [flag]);
      expect(result).toMatchObject({ code: 0, stdout: `${VERSIONS[cli]}\n` });
    }
  });

  it('ends the help of the program and of every command with examples', () => {
    const top = run(cli, ['--help']);
    expect(top.code).toBe(0);
    const commands = [...top.stdout.matchAll(/^ {2}([a-z][a-z-]*) /gm)]
      .map((m) => m[1] as string)
      .filter((name) => name !== 'help');
    expect(commands.length).toBeGreaterThanOrEqual(4);
    expect(top.stdout).toMatch(/\nExamples:\n {2}\$ /);
    for (const command of commands) {
      const help = run(cli, [command, '--help']);
      expect({ command, code: help.code }).toEqual({ command, code: 0 });
      expect({ command, examples: /\nExamples:\n {2}\$ \S/.test(help.stdout) }).toEqual({ command, examples: true });
    }
  });

  it('exits 2 on a usage error and says what was wrong', () => {
    const unknownCommand = run(cli, ['no-such-command']);
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toContain("unknown command 'no-such-command'");
    const unknownOption = run(cli, [cli === 'msk' ? 'init' : 'status', '--no-such-option']);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain("unknown option '--no-such-option'");
    expect(unknownOption.stderr).toContain('--help');
  });
});

describe('msk exit codes', () => {
  it('2 for a bad option value or a missing argument, 1 for problems found', () => {
    expect(run('msk', ['init', '--nodes', 'many']).code).toBe(2);
    expect(run('msk', ['init', '--nodes', 'many']).stderr).toContain("option '--nodes <n>' argument 'many' is invalid");
    expect(run('msk', ['doctor']).code).toBe(2);
    expect(run('msk', ['doctor', join(FIXTURES, 'guide-server1.env'), join(FIXTURES, 'guide-server2.env')]).code).toBe(
      1,
    );
  });

  it('msk-sync status exits 1 (a problem, not a usage error) when no service answers', () => {
    const result = run('msk-sync', ['status', '--address', '127.0.0.1:1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('No sync service is running at 127.0.0.1:1');
  });
});

describe('msk init --dry-run and --json', () => {
  const folder = useTemporaryDirectory('msk-cli-conventions-');

  it('--dry-run prints every file it would write (secrets as fingerprints, units in full) and writes nothing', () => {
    const out = join(folder(), 'deploy');
    const result = run('msk', ['init', '--out', out, '--peers', '10.0.0.1,10.0.0.2', '--systemd', '--dry-run']);
    expect(result.code).toBe(0);
    expect(existsSync(out)).toBe(false);
    expect(result.stdout).toMatch(/^Dry run: nothing was written\. Would write 9 file\(s\):/);
    for (const file of [
      'shared.env',
      'node-1.env',
      'node-2.env',
      'postgres-superuser-password',
      'kubernetes-secret.yaml',
      'systemd/node-1/msk-app.service',
      'systemd/node-2/msk-sync.service',
    ]) {
      expect(result.stdout).toContain(`--- ${join(out, file)}  (mode `);
    }
    expect(result.stdout).toMatch(/^NEXTAUTH_SECRET=fp:[0-9a-f]{8} {3}# secret: fingerprint shown$/m);
    expect(result.stdout).toContain('ExecStart=/usr/bin/node /opt/multi-server-kit/sync/dist/cli/main.js run');
    // Nothing that looks like a generated secret (32 random bytes in base64 or hex) is printed.
    expect(result.stdout).not.toMatch(/=[A-Za-z0-9+/]{43}=/);
    expect(result.stdout).not.toMatch(/=[0-9a-f]{64}\b/);
    // The PostgreSQL superuser's password (48 hex digits) only as a fingerprint.
    expect(result.stdout).toMatch(/^\(the password, fp:[0-9a-f]{8}; not shown\)$/m);
    expect(result.stdout).not.toMatch(/\b[0-9a-f]{48}\b/);
  });

  it('--dry-run --json describes the plan for machines', () => {
    const out = join(folder(), 'deploy');
    const result = run('msk', ['init', '--out', out, '--nodes', '3', '--dry-run', '--json']);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(plan).toMatchObject({ dryRun: true, written: false, outDir: out });
    expect(plan.nodes.map((n: { name: string }) => n.name)).toEqual(['node-1', 'node-2', 'node-3']);
    expect(plan.files.map((f: { path: string }) => f.path)).toContain(join(out, 'node-3.env'));
    expect(plan.secrets.NEXTAUTH_SECRET).toMatch(/^fp:[0-9a-f]{8}$/);
    expect(existsSync(out)).toBe(false);
  });

  it('--json after writing names the files and shows secrets only as fingerprints', () => {
    const out = join(folder(), 'deploy');
    const result = run('msk', ['init', '--out', out, '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ dryRun: false, written: true });
    for (const file of report.files as { path: string; mode: string }[]) {
      expect(existsSync(file.path)).toBe(true);
      expect(file.mode).toBe('0600');
    }
    const shared = parseEnvFile(readFileSync(join(out, 'shared.env'), 'utf8')).entries;
    for (const key of [
      'NEXTAUTH_SECRET',
      'SYNC_REGISTRATION_KEY',
      'NEXT_SERVER_ACTIONS_ENCRYPTION_KEY',
      'DATABASE_PASSWORD',
    ]) {
      const value = shared.find((e) => e.key === key)?.value as string;
      expect(value.length).toBeGreaterThan(20);
      expect(result.stdout).not.toContain(value);
    }
  });
});

describe('msk systemd', () => {
  const folder = useTemporaryDirectory('msk-cli-systemd-');

  it('writes the units of every node of an init folder; --dry-run and --json write nothing', () => {
    const config = join(folder(), 'deploy');
    expect(run('msk', ['init', '--out', config, '--nodes', '3']).code).toBe(0);
    const dry = run('msk', ['systemd', '--config', config, '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, written: false, outDir: join(config, 'systemd') });
    expect(existsSync(join(config, 'systemd'))).toBe(false);
    const written = run('msk', ['systemd', '--config', config, '--user', 'platform', '--install-dir', '/srv/msk']);
    expect(written.code).toBe(0);
    expect(readFileSync(join(config, 'systemd', 'node-3', 'msk-sync.service'), 'utf8')).toContain(
      'ExecStart=/usr/bin/node /srv/msk/sync/dist/cli/main.js run',
    );
    expect(readFileSync(join(config, 'systemd', 'node-3', 'msk-app.service'), 'utf8')).toContain('User=platform');
  });

  it('exits 2 naming the option for a root user, a relative path or a folder init did not write', () => {
    const config = join(folder(), 'deploy');
    expect(run('msk', ['init', '--out', config]).code).toBe(0);
    const root = run('msk', ['systemd', '--config', config, '--user', 'root']);
    expect(root).toMatchObject({ code: 2, stderr: expect.stringContaining('--user must not be root') });
    const relative = run('msk', ['systemd', '--config', config, '--install-dir', 'opt/msk']);
    expect(relative).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--install-dir must be an absolute path'),
    });
    const missing = run('msk', ['systemd', '--config', join(folder(), 'nothing-here')]);
    expect(missing).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('does not exist: run `npm run init` first'),
    });
    expect(existsSync(join(config, 'systemd'))).toBe(false);
  });
});

describe('colour', () => {
  const doctorArgs = ['doctor', join(FIXTURES, 'guide-server1.env'), join(FIXTURES, 'guide-server2.env')];

  it('colours doctor on a terminal, not in a pipe', () => {
    const terminal = runOnTerminal('msk', doctorArgs);
    expect(terminal.code).toBe(1);
    expect(terminal.output).toContain(`${RED}ERROR  ${RESET_COLOUR}`);
    const piped = run('msk', doctorArgs);
    expect(piped.stdout).toContain('ERROR  ');
    expect(piped.stdout).not.toContain(ESC);
  });

  it('respects NO_COLOR on a terminal and FORCE_COLOR in a pipe', () => {
    expect(runOnTerminal('msk', doctorArgs, { NO_COLOR: '1' }).output).not.toContain(ESC);
    expect(runOnTerminal('msk', doctorArgs, { FORCE_COLOR: '0' }).output).not.toContain(ESC);
    expect(run('msk', doctorArgs, { env: { FORCE_COLOR: '1' } }).stdout).toContain(`${RED}ERROR`);
  });
});
