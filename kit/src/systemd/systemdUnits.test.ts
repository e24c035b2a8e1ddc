import { SystemdOptionError, systemdUnits } from './systemdUnits';

const units = (overrides = {}) =>
  Object.fromEntries(systemdUnits({ nodeName: 'server-2', nodeIndex: 2, ...overrides }).map((u) => [u.name, u.text]));

describe('systemdUnits', () => {
  it('default: an app and a sync unit for the node, with its env files, a non-root user, restart on failure and the journal', () => {
    const { 'msk-app.service': app, 'msk-sync.service': sync } = units();
    for (const text of [app, sync] as string[]) {
      expect(text).toContain(
        'EnvironmentFile=/etc/multi-server-kit/shared.env\nEnvironmentFile=/etc/multi-server-kit/node-2.env\n',
      );
      expect(text).toContain('User=msk\nGroup=msk\n');
      expect(text).toContain('Restart=on-failure\n');
      expect(text).toContain('StandardOutput=journal\n');
      expect(text).toMatch(/^After=network-online\.target postgresql\.service/m);
      expect(text).toContain('Wants=network-online.target postgresql.service\n');
      for (const line of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'PrivateTmp=yes', 'CapabilityBoundingSet='])
        expect(text).toContain(`\n${line}\n`);
      expect(text).toContain('WantedBy=multi-user.target');
    }
    expect(app).toContain('ExecStart=/usr/bin/node /opt/multi-server-kit/app/.next/standalone/app/server.js\n');
    expect(app).toContain('ReadWritePaths=-/opt/multi-server-kit/app/.next/standalone/app/.next/cache\n');
    expect(sync).toContain('ExecStart=/usr/bin/node /opt/multi-server-kit/sync/dist/cli/main.js run\n');
    expect(sync).toContain('StateDirectory=multi-server-kit\n');
  });

  it('can configure the install folder, env folder, user and Node.js binary', () => {
    const { 'msk-app.service': app } = units({
      installDir: '/srv/msk/',
      envDir: '/etc/platform',
      user: 'platform',
      nodeBinary: '/usr/local/bin/node',
    });
    expect(app).toContain('ExecStart=/usr/local/bin/node /srv/msk/app/.next/standalone/app/server.js');
    expect(app).toContain('EnvironmentFile=/etc/platform/node-2.env');
    expect(app).toContain('User=platform');
  });

  it('throws if an option would run as root or smuggle systemd syntax, naming the option', () => {
    expect(() => units({ user: 'root' })).toThrow(/--user must not be root/);
    expect(() => units({ user: 'Bad User' })).toThrow(/--user must be a system user name/);
    expect(() => units({ installDir: 'opt/msk' })).toThrow(/--install-dir must be an absolute path/);
    expect(() => units({ installDir: '/opt/msk\nExecStartPre=/bin/sh' })).toThrow(
      /--install-dir may not contain whitespace/,
    );
    expect(() => units({ envDir: '/etc/%h' })).toThrow(/--env-dir may not contain/);
    expect(() => units({ nodeBinary: '/usr/../bin/node' })).toThrow(/--node may not contain "\.\."/);
    expect(() => units({ nodeName: 'Server 2' })).toThrow(SystemdOptionError);
  });
});
