/**
 * systemd units for a server that runs one node without containers: the app (the standalone Next.js server) and
 * the sync service, each as its own service with the node's env files, a non-root user, restart on failure, logs
 * in the journal and a hardened sandbox. Pure: `msk systemd` (and `init --systemd`) write what this returns.
 */

export interface SystemdUnitsProps {
  /** SYNC_NODE_NAME of the node (from its node-N.env); only shown in descriptions. */
  readonly nodeName: string;
  /** N of node-N.env. */
  readonly nodeIndex: number;
  /** Where the built kit lives on the server (the same built folder on every server). @default /opt/multi-server-kit */
  readonly installDir?: string;
  /** Where shared.env and node-N.env live on the server. @default /etc/multi-server-kit */
  readonly envDir?: string;
  /** The unprivileged user both services run as. @default msk */
  readonly user?: string;
  /** The Node.js binary on the server. @default /usr/bin/node */
  readonly nodeBinary?: string;
}

export const DEFAULT_INSTALL_DIR = '/opt/multi-server-kit';
export const DEFAULT_ENV_DIR = '/etc/multi-server-kit';
export const DEFAULT_SERVICE_USER = 'msk';
export const DEFAULT_NODE_BINARY = '/usr/bin/node';
export const APP_UNIT = 'msk-app.service';
export const SYNC_UNIT = 'msk-sync.service';
/** StateDirectory= of the sync service: /var/lib/<this>, made by systemd and owned by the service user. */
export const STATE_DIRECTORY = 'multi-server-kit';

export class SystemdOptionError extends Error {
  override readonly name = 'SystemdOptionError';
}

export interface SystemdUnit {
  readonly name: string;
  readonly text: string;
}

/**
 * An absolute path systemd takes as it is: no whitespace or quotes (they would split or quote the value), no `%`
 * (a unit specifier), no `\` (an escape), no `..` segment.
 */
function checkPath(option: string, value: string): string {
  if (!value.startsWith('/'))
    throw new SystemdOptionError(`${option} must be an absolute path, got ${JSON.stringify(value)}`);
  if (/[\s"'%\\;$`]/.test(value) || value.length > 1024) {
    throw new SystemdOptionError(
      `${option} may not contain whitespace, quotes, %, \\, ;, $ or backquotes, got ${JSON.stringify(value)}: pick a plain path`,
    );
  }
  if (value.split('/').includes('..'))
    throw new SystemdOptionError(`${option} may not contain "..", got ${JSON.stringify(value)}`);
  return value.length > 1 ? value.replace(/\/+$/, '') : value;
}

function checkUser(value: string): string {
  if (value === 'root' || value === '0')
    throw new SystemdOptionError('--user must not be root: the services run unprivileged (e.g. --user msk)');
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(value)) {
    throw new SystemdOptionError(
      `--user must be a system user name (lowercase letters, digits, "_" or "-", at most 32), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Sandboxing both services share: read-only system, no privileges, no devices, nothing but IP, Unix and netlink sockets. */
const HARDENING = [
  'NoNewPrivileges=yes',
  'ProtectSystem=strict',
  'ProtectHome=yes',
  'PrivateTmp=yes',
  'PrivateDevices=yes',
  'ProtectKernelTunables=yes',
  'ProtectKernelModules=yes',
  'ProtectKernelLogs=yes',
  'ProtectControlGroups=yes',
  'ProtectClock=yes',
  'ProtectHostname=yes',
  'ProtectProc=invisible',
  'RestrictSUIDSGID=yes',
  'RestrictRealtime=yes',
  'RestrictNamespaces=yes',
  'LockPersonality=yes',
  'SystemCallArchitectures=native',
  // Node.js needs nothing else: IPv4/IPv6 (HTTP, PostgreSQL, mDNS), Unix sockets, netlink (network interfaces).
  'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK',
  'CapabilityBoundingSet=',
  'AmbientCapabilities=',
  'UMask=0077',
  // Not MemoryDenyWriteExecute: V8's JIT needs writable executable memory.
];

function unitFile(lines: readonly (string | null)[]): string {
  return `${lines.filter((line): line is string => line !== null).join('\n')}\n`;
}

export function systemdUnits(props: SystemdUnitsProps): SystemdUnit[] {
  if (!Number.isInteger(props.nodeIndex) || props.nodeIndex < 1)
    throw new SystemdOptionError(`node index must be a whole number from 1, got ${props.nodeIndex}`);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(props.nodeName)) {
    throw new SystemdOptionError(
      `SYNC_NODE_NAME of node-${props.nodeIndex}.env must be a DNS label, got ${JSON.stringify(props.nodeName)}`,
    );
  }
  const installDir = checkPath('--install-dir', props.installDir ?? DEFAULT_INSTALL_DIR);
  const envDir = checkPath('--env-dir', props.envDir ?? DEFAULT_ENV_DIR);
  const nodeBinary = checkPath('--node', props.nodeBinary ?? DEFAULT_NODE_BINARY);
  const user = checkUser(props.user ?? DEFAULT_SERVICE_USER);
  const serverDir = `${installDir}/app/.next/standalone/app`;
  const header = (what: string) => [
    `# ${what} of node ${props.nodeIndex} (${props.nodeName}), written by \`msk systemd\`.`,
    '# Install: docs/servers-without-docker.md. You may edit the paths, User= and Restart*=; keep the EnvironmentFile= lines.',
  ];
  const common = (identifier: string) => [
    `User=${user}`,
    `Group=${user}`,
    `EnvironmentFile=${envDir}/shared.env`,
    `EnvironmentFile=${envDir}/node-${props.nodeIndex}.env`,
    'Environment=NODE_ENV=production',
    'Restart=on-failure',
    'RestartSec=2s',
    'StandardOutput=journal',
    'StandardError=journal',
    `SyslogIdentifier=${identifier}`,
    ...HARDENING,
  ];
  const app = unitFile([
    ...header('The platform app'),
    '[Unit]',
    `Description=Multi-Server Kit app (${props.nodeName})`,
    'After=network-online.target postgresql.service',
    'Wants=network-online.target postgresql.service',
    '',
    '[Service]',
    'Type=simple',
    `WorkingDirectory=${serverDir}`,
    `ExecStart=${nodeBinary} ${serverDir}/server.js`,
    // The app finishes its requests on SIGTERM; Next.js writes its cache (images, fetches) under .next/cache.
    'TimeoutStopSec=20s',
    ...common('msk-app'),
    `ReadWritePaths=-${serverDir}/.next/cache`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ]);
  const sync = unitFile([
    ...header('The sync service'),
    '[Unit]',
    `Description=Multi-Server Kit sync service (${props.nodeName})`,
    // After the app so its first look at the app's build finds it (it asks again every 5 s anyway).
    `After=network-online.target postgresql.service ${APP_UNIT}`,
    'Wants=network-online.target postgresql.service',
    '',
    '[Service]',
    'Type=simple',
    `StateDirectory=${STATE_DIRECTORY}`,
    `WorkingDirectory=/var/lib/${STATE_DIRECTORY}`,
    `ExecStart=${nodeBinary} ${installDir}/sync/dist/cli/main.js run`,
    // SIGTERM: the service says goodbye to its peers and exits within 10 s.
    'TimeoutStopSec=15s',
    ...common('msk-sync'),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ]);
  return [
    { name: APP_UNIT, text: app },
    { name: SYNC_UNIT, text: sync },
  ];
}
