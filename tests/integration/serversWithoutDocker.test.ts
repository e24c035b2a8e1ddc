/**
 * docs/servers-without-docker.md, run as written: `init --systemd` makes the units, Debian's real
 * `systemd-analyze verify` accepts them, the install block runs as root in a private mount namespace (a private
 * copy of /etc and an empty /opt, so this machine is untouched), and the `npm run service:*` block runs in a
 * private network namespace (the sync port on 0.0.0.0 collides with nothing). The only placeholder substituted is
 * the `deploy` folder `--out deploy` names, which becomes a temporary folder.
 * The start/status/journal block needs systemd as PID 1, which CI does not have: it is checked to name only the
 * installed units and commands that exist (`systemctl`, `journalctl`), not run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docsCommands, REPOSITORY_ROOT } from '../support/docsCommands';

const PAGE = 'docs/servers-without-docker.md';
const UNITS = ['msk-app.service', 'msk-sync.service'];

function bash(script: string, cwd: string, wrapper: readonly string[] = []) {
  const result = spawnSync(
    wrapper[0] ?? 'bash',
    [...wrapper.slice(1), ...(wrapper.length > 0 ? ['bash'] : []), '-eo', 'pipefail', '-c', script],
    {
      cwd,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' },
      timeout: 300_000,
    },
  );
  return {
    code: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    output: `${result.stdout}${result.stderr}`,
  };
}

describe(PAGE, () => {
  let dir: string;
  const inDeploy = (commands: readonly string[]) =>
    commands.map((c) => c.replace(/(^|[\s=])deploy(?=\/|\s|$)/g, `$1${join(dir, 'deploy')}`));

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'msk-swd-'));
    const init = bash(inDeploy(docsCommands('docs/servers-without-docker.md', 'swd-init')).join('\n'), REPOSITORY_ROOT);
    if (init.code !== 0) throw new Error(`swd-init failed:\n${init.output}`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('init --systemd writes an app and a sync unit for each server, with its own env file', () => {
    for (const node of [1, 2]) {
      for (const unit of UNITS) {
        const text = readFileSync(join(dir, 'deploy', 'systemd', `node-${node}`, unit), 'utf8');
        expect(text).toContain(`EnvironmentFile=/etc/multi-server-kit/node-${node}.env`);
        expect(text).toContain('User=msk');
      }
    }
  });

  it("systemd-analyze verify (Debian's systemd) accepts the units without a word", () => {
    const verify = bash(
      inDeploy(docsCommands('docs/servers-without-docker.md', 'swd-verify')).join('\n'),
      REPOSITORY_ROOT,
    );
    expect(verify).toMatchObject({ code: 0, output: '' });
  });

  it('systemd-analyze verify would catch a broken unit (the check above can fail)', () => {
    const broken = join(dir, 'broken.service');
    const unit = readFileSync(join(dir, 'deploy', 'systemd', 'node-1', 'msk-app.service'), 'utf8').replace(
      'ExecStart=/usr/bin/node',
      'ExecStart=/usr/bin/no-such-node',
    );
    writeFileSync(broken, unit);
    const verify = bash(`systemd-analyze verify ${broken}`, dir);
    expect(verify.code).not.toBe(0);
    expect(verify.output).toContain('/usr/bin/no-such-node');
  });

  it('the install block, run as root in a private mount namespace, makes the user, installs the files and enables the units', () => {
    const sandbox = mkdtempSync(join(tmpdir(), 'msk-swd-root-'));
    try {
      const install = docsCommands('docs/servers-without-docker.md', 'swd-install').join('\n');
      const checks = [
        'echo "user=$(getent passwd msk | cut -d: -f7)"',
        'echo "shared=$(stat -c %a /etc/multi-server-kit/shared.env)"',
        'echo "cache=$(stat -c %U /opt/multi-server-kit/app/.next/standalone/app/.next/cache)"',
        ...UNITS.map((u) => `echo "enabled ${u}=$(readlink /etc/systemd/system/multi-user.target.wants/${u})"`),
      ].join('\n');
      const script = [
        `cp -a /etc ${sandbox}/etc && mount --bind ${sandbox}/etc /etc`,
        `mkdir -p ${sandbox}/opt && mount --bind ${sandbox}/opt /opt`,
        install,
        checks,
      ].join('\n');
      const result = bash(script, dir, ['unshare', '--mount', '--propagation', 'private']);
      expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });
      expect(result.stdout).toContain('user=/usr/sbin/nologin');
      expect(result.stdout).toContain('shared=600');
      expect(result.stdout).toContain('cache=msk');
      for (const unit of UNITS) expect(result.stdout).toContain(`enabled ${unit}=/etc/systemd/system/${unit}`);
      // The machine itself was not touched.
      expect(existsSync('/etc/systemd/system/msk-app.service')).toBe(false);
      expect(spawnSync('getent', ['passwd', 'msk']).status).not.toBe(0);
    } finally {
      rmSync(sandbox, { recursive: true, force: true });
    }
  });

  it('the operate block names only the installed units and commands this machine has (needs systemd as PID 1 to run)', () => {
    const commands = docsCommands('docs/servers-without-docker.md', 'swd-operate');
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      const [tool, ...args] = command.split(/\s+/);
      expect(['systemctl', 'journalctl']).toContain(tool);
      expect(spawnSync('which', [tool as string]).status).toBe(0);
      for (const unit of args.filter((a) => a.endsWith('.service'))) expect(UNITS).toContain(unit);
    }
  });

  it('the npm run service:* block starts, shows and stops the sync service (private network namespace)', () => {
    const commands = inDeploy(docsCommands('docs/servers-without-docker.md', 'swd-npm'));
    const result = bash(['ip link set lo up', ...commands].join('\n'), REPOSITORY_ROOT, ['unshare', '--net']);
    expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });
    expect(result.stdout).toMatch(/Sync service of node-1 started \(PID \d+\)/);
    expect(result.stdout).toContain('Peers Connected: 0');
    expect(result.stdout).toMatch(/Sync service stopped \(PID \d+\)/);
  });
});
