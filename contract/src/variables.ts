/**
 * The env contract: every environment variable a node of the platform reads, declared once.
 * The app, the sync service, `init`, `doctor`, the Kubernetes manifests, the compose files and the configuration
 * table of docs/configuration.md are all derived from (or checked against) this list.
 */
import * as check from './checks';
import type { Check } from './checks';
import { REFERENCE_APP_REPLICATED_TABLES, replicatedTablesProblem } from './replicatedTables';
import { trustedProxiesProblem } from './trustedProxies';
import { NODE_ID_HEX_LENGTH, NODE_ID_RULE } from './nodeIdentity';

/**
 * - `shared`: must be equal on every node (a difference breaks sessions or peer trust).
 * - `unique`: must differ on every node (identity).
 * - `per-node`: may differ between nodes (addresses of this server).
 * - `setting`: usually the same everywhere; a difference is allowed but reported.
 */
export type Scope = 'shared' | 'unique' | 'per-node' | 'setting';
export type Consumer = 'app' | 'sync';

export interface VariableSpec {
  readonly name: string;
  readonly scope: Scope;
  /** A secret is never printed, logged or echoed in an error; tools show `fingerprint(value)` instead. */
  readonly secret: boolean;
  /** Required for these consumers; optional for the rest. */
  readonly requiredBy: readonly Consumer[];
  readonly readBy: readonly Consumer[];
  /** Used when the variable is unset. Undefined: no default. */
  readonly default?: string;
  readonly help: string;
  /** How to produce a good value, shown with every problem found in it. */
  readonly fix: string;
  readonly check: Check;
  /**
   * A secret a person may choose (a password) rather than a generated high-entropy value: never shown as an
   * unkeyed fingerprint, which could be checked against guesses (see keyedFingerprint).
   */
  readonly chosenByPerson?: boolean;
  /** For secrets that embed a password in a non-secret shape (URLs): how to show them. */
  readonly redact?: (value: string) => string;
  /**
   * Other names of the same variable (Auth.js v5 calls NEXTAUTH_SECRET `AUTH_SECRET`): read when the variable
   * itself is unset, with the same checks; set under both names with different values is an error.
   */
  readonly aliases?: readonly string[];
}

export const SYNC_DISCOVERY_MODES = ['static', 'mdns', 'dns', 'kubernetes'] as const;
export type SyncDiscoveryMode = (typeof SYNC_DISCOVERY_MODES)[number];
export const SYNC_TLS_MODES = ['on', 'off'] as const;
/** per-node: a database per node, replicated; shared: one database for every node (docs/database-topology.md). */
export const DATABASE_TOPOLOGIES = ['per-node', 'shared'] as const;
export type DatabaseTopology = (typeof DATABASE_TOPOLOGIES)[number];
export type SyncTlsMode = (typeof SYNC_TLS_MODES)[number];
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const NODE_ENVS = ['production', 'development', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

export const DEFAULT_SYNC_SERVICE_PORT = 8765;
export const DEFAULT_APP_PORT = 8080;
/** Prometheus metrics of the app and of the sync service: plain HTTP, `/metrics` only (docs/monitoring.md). */
export const DEFAULT_APP_METRICS_PORT = 9464;
export const DEFAULT_SYNC_METRICS_PORT = 9465;
export const MIN_SYNC_INTERVAL_MS = 1000;
/** SYNC_LOCAL_CHANGES=poll:<ms> bounds: 1 ms (a tiny query per ms) to 1 s (longer than that, use SYNC_INTERVAL). */
export const MIN_CHANGE_POLL_MS = 1;
export const MAX_CHANGE_POLL_MS = 1000;
/** SYNC_CLOCK_OFFSET_MS is a drill: a day either way is more than any drill needs. */
export const MAX_CLOCK_OFFSET_MS = 86_400_000;

const BOTH: readonly Consumer[] = ['app', 'sync'];

function redactUrlPassword(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '****';
    return url.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export const VARIABLES: readonly VariableSpec[] = [
  {
    name: 'NEXTAUTH_SECRET',
    scope: 'shared',
    secret: true,
    requiredBy: BOTH,
    readBy: BOTH,
    help: "Encrypts session cookies (JWE). The same on every node, or a login does not carry across servers. Auth.js v5's name AUTH_SECRET is read as this variable.",
    fix: 'generate one with `openssl rand -base64 32` (or `npm run init`) and copy it to every node',
    check: check.strongSecret,
    aliases: ['AUTH_SECRET'],
  },
  {
    name: 'NEXTAUTH_SECRET_PREVIOUS',
    scope: 'shared',
    secret: true,
    requiredBy: [],
    readBy: BOTH,
    default: '',
    help: 'Comma-separated earlier secrets that may still decrypt sessions during a rotation (never encrypt).',
    fix: 'list the old NEXTAUTH_SECRET values separated by commas, each as strong as NEXTAUTH_SECRET',
    check: check.commaList(check.strongSecret),
  },
  {
    name: 'NEXT_SERVER_ACTIONS_ENCRYPTION_KEY',
    scope: 'shared',
    secret: true,
    requiredBy: [],
    readBy: ['app'],
    help: "Build-time key for Next.js Server Actions; the same on every build so nodes accept each other's actions.",
    fix: 'generate one with `openssl rand -base64 32` (or `npm run init`) and use it for every build',
    check: check.base64OfBytes([16, 24, 32]),
  },
  {
    name: 'SYNC_REGISTRATION_KEY',
    scope: 'shared',
    secret: true,
    requiredBy: BOTH,
    readBy: BOTH,
    help: 'Proves a sync peer belongs to this cluster (challenge-response; the key itself is never sent).',
    fix: 'generate one with `openssl rand -hex 32` (or `npm run init`) and copy it to every node',
    check: (value) => check.hexOfLength(64, 'what `openssl rand -hex 32` makes')(value) ?? check.strongSecret(value),
  },
  {
    name: 'SYNC_SERVICE_PORT',
    scope: 'shared',
    secret: false,
    requiredBy: [],
    readBy: BOTH,
    default: String(DEFAULT_SYNC_SERVICE_PORT),
    help: 'TCP port of the sync service; peers connect to each other on it.',
    fix: 'use the same port on every node, 8765 unless it is taken',
    check: check.port,
  },
  {
    name: 'SYNC_NODE_ID',
    scope: 'unique',
    secret: false,
    requiredBy: BOTH,
    readBy: BOTH,
    help: `This node's identity among its peers: ${NODE_ID_RULE}, different on every node.`,
    fix: 'generate a new one on each node with `openssl rand -hex 8` (or `npm run init`)',
    check: check.lowercaseHexOfLength(NODE_ID_HEX_LENGTH, 'what `openssl rand -hex 8` makes'),
  },
  {
    name: 'SYNC_NODE_NAME',
    scope: 'unique',
    secret: false,
    requiredBy: BOTH,
    readBy: BOTH,
    help: "Human-readable node name shown in status and in the app's node badge; a DNS label.",
    fix: 'pick a distinct lowercase name per node, such as server-1, server-2',
    check: check.dnsLabel,
  },
  {
    name: 'NEXTAUTH_URL',
    scope: 'shared',
    secret: false,
    requiredBy: BOTH,
    readBy: BOTH,
    help: "Public origin users open (the load balancer / entry point); the same on every node behind it. Auth.js v5's name AUTH_URL is read as this variable.",
    fix: 'set it to the one URL users open, e.g. https://platform.example.com, on every node',
    check: check.httpOrigin,
    aliases: ['AUTH_URL'],
  },
  {
    name: 'DATABASE_URL',
    scope: 'per-node',
    secret: true,
    requiredBy: BOTH,
    readBy: BOTH,
    help:
      "The app's connection to this node's own PostgreSQL (usually on localhost), as its own role msk_app, never the " +
      'superuser; the sync services keep the databases equal. With DATABASE_TOPOLOGY=shared: the one database of every node.',
    fix: "point it at this node's PostgreSQL as role msk_app, e.g. postgresql://msk_app@localhost:5432/multi_business_db",
    check: check.postgresUrl,
    redact: redactUrlPassword,
  },
  {
    name: 'DATABASE_TOPOLOGY',
    scope: 'shared',
    secret: false,
    requiredBy: [],
    readBy: ['sync'],
    default: 'per-node',
    help:
      "per-node: every node has its own PostgreSQL and the sync services replicate between them. shared: every node's " +
      'DATABASE_URL reaches one PostgreSQL (managed or HA); replication is off. The sync services check it against the ' +
      "databases' identities (docs/database-topology.md).",
    fix: 'use per-node or shared, the same on every node (npm run init -- --database shared|per-node)',
    check: check.oneOf(DATABASE_TOPOLOGIES),
  },
  {
    name: 'REPLICATED_TABLES',
    scope: 'shared',
    secret: false,
    // required by the sync service with DATABASE_TOPOLOGY=per-node only: a rule across variables (nodeConfig.ts)
    requiredBy: [],
    readBy: ['sync'],
    help:
      "The app's tables every node replicates: comma-separated names of tables in schema public (the reference app: " +
      `${REFERENCE_APP_REPLICATED_TABLES.join(',')}). Required with DATABASE_TOPOLOGY=per-node, ignored with shared. ` +
      'Checked at start against the live schema: each needs a uuid primary key (docs/architecture.md).',
    fix:
      "list your app's tables of schema public, lowercase, each once, the same on every node, e.g. " +
      `REPLICATED_TABLES=${REFERENCE_APP_REPLICATED_TABLES.join(',')} (npm run init -- --tables a,b,c writes it)`,
    check: replicatedTablesProblem,
  },
  {
    name: 'DATABASE_PASSWORD',
    scope: 'shared',
    secret: true,
    chosenByPerson: true,
    requiredBy: [],
    readBy: BOTH,
    help: 'Password of role msk_app for DATABASE_URL when the URL carries none; keeps the password in the shared secret file.',
    fix: 'generate one with `openssl rand -hex 24` (or `npm run init`)',
    check: check.minLength(16),
  },
  {
    name: 'SYNC_DATABASE_URL',
    scope: 'per-node',
    secret: true,
    requiredBy: [],
    readBy: ['sync'],
    default: '',
    help:
      "The sync service's connection to the same database as its own role msk_sync (owns schema msk_sync; may write " +
      "and put triggers on the app's tables). Unset: DATABASE_URL, with a warning.",
    fix: "point it at this node's PostgreSQL as role msk_sync, e.g. postgresql://msk_sync@localhost:5432/multi_business_db",
    check: (value) => (value === '' ? undefined : check.postgresUrl(value)),
    redact: redactUrlPassword,
  },
  {
    name: 'SYNC_DATABASE_PASSWORD',
    scope: 'shared',
    secret: true,
    requiredBy: [],
    readBy: ['sync'],
    help: 'Password of role msk_sync for SYNC_DATABASE_URL when the URL carries none.',
    fix: 'generate one with `openssl rand -hex 24` (or `npm run init -- --keep-secrets` to add it to an existing shared.env)',
    check: check.minLength(16),
  },
  {
    name: 'NODE_ENV',
    scope: 'setting',
    secret: false,
    requiredBy: [],
    readBy: BOTH,
    default: 'production',
    help: 'production on servers; development only for `next dev`.',
    fix: 'set NODE_ENV=production on servers',
    check: check.oneOf(NODE_ENVS),
  },
  {
    name: 'APP_NAME',
    scope: 'setting',
    secret: false,
    requiredBy: [],
    readBy: ['app'],
    default: 'Multi-Business Management Platform',
    help: "Name shown in the app's header and page titles.",
    fix: 'use a short name of at most 100 characters',
    check: (value) => check.nonEmpty(value) ?? (value.length > 100 ? 'must be at most 100 characters' : undefined),
  },
  {
    name: 'PORT',
    scope: 'setting',
    secret: false,
    requiredBy: [],
    readBy: ['app'],
    default: String(DEFAULT_APP_PORT),
    help: 'HTTP port the app listens on.',
    fix: 'use a free port, 8080 as in the setup guide',
    check: check.port,
  },
  {
    name: 'APP_METRICS_PORT',
    scope: 'setting',
    secret: false,
    requiredBy: [],
    readBy: ['app'],
    default: String(DEFAULT_APP_METRICS_PORT),
    help: 'Port where the app serves Prometheus metrics at /metrics (plain HTTP, nothing else), on the address in HOSTNAME.',
    fix: `use a free port other than PORT, SYNC_SERVICE_PORT and SYNC_METRICS_PORT (${DEFAULT_APP_METRICS_PORT} by default)`,
    check: check.port,
  },
  {
    name: 'HOSTNAME',
    scope: 'per-node',
    secret: false,
    requiredBy: [],
    readBy: ['app'],
    default: '0.0.0.0',
    help: 'Address the app binds to (Next.js standalone reads it).',
    fix: "use 0.0.0.0 for all interfaces or one of this server's addresses",
    check: check.nonEmpty,
  },
  {
    name: 'SYNC_HTTP_PORT',
    scope: 'setting',
    secret: false,
    requiredBy: [],
    readBy: ['sync'],
    default: String(DEFAULT_APP_PORT),
    help: 'Port of the app on this node, which the sync service reports in status; normally equal to PORT.',
    fix: 'set it to the same value as PORT',
    check: check.port,
  },
  {
    name: 'SYNC_METRICS_PORT',
    scope: 'setting',
    secret: false,
    requiredBy: [],
    readBy: ['sync'],
    default: String(DEFAULT_SYNC_METRICS_PORT),
    help: 'Port where the sync service serves Prometheus metrics at /metrics, on SYNC_BIND_ADDRESS: plain HTTP that other hosts (a Prometheus server) may reach, nothing else on it.',
    fix: `use a free port other than SYNC_SERVICE_PORT, PORT and APP_METRICS_PORT (${DEFAULT_SYNC_METRICS_PORT} by default)`,
    check: check.port,
  },
  {
    name: 'SYNC_BIND_ADDRESS',
    scope: 'per-node',
    secret: false,
    requiredBy: [],
    readBy: BOTH,
    default: '0.0.0.0',
    help: 'Address the sync service listens on.',
    fix: "use 0.0.0.0 for all interfaces or one of this server's addresses",
    check: check.nonEmpty,
  },
  {
    name: 'SYNC_INTERVAL',
    scope: 'setting',
    secret: false,
    requiredBy: [],
    readBy: ['sync'],
    default: '30000',
    help: 'Fallback pull period in milliseconds; changes are normally pushed at once.',
    fix: `use a number of milliseconds, at least ${MIN_SYNC_INTERVAL_MS} (30000 in the setup guide)`,
    check: check.integerAtLeast(MIN_SYNC_INTERVAL_MS, 'milliseconds'),
  },
  {
    name: 'SYNC_AUTO_START',
    scope: 'setting',
    secret: false,
    requiredBy: [],
    readBy: ['sync'],
    default: 'true',
    help: 'Whether `npm run service:start` (and the local cluster) start the sync service.',
    fix: 'set true or false',
    check: check.booleanWord,
  },
  {
    name: 'SYNC_LOG_LEVEL',
    scope: 'setting',
    secret: false,
    requiredBy: [],
    readBy: ['sync'],
    default: 'info',
    help: 'Log level of the sync service (JSON logs).',
    fix: `use one of ${LOG_LEVELS.join(', ')}`,
    check: check.oneOf(LOG_LEVELS),
  },
  {
    name: 'SYNC_DISCOVERY',
    scope: 'setting',
    secret: false,
    requiredBy: [],
    readBy: ['sync'],
    default: 'static',
    help: 'How peers are found: static (SYNC_PEERS), mdns (LAN), dns (SYNC_DNS_NAME), kubernetes (EndpointSlices).',
    fix: `use one of ${SYNC_DISCOVERY_MODES.join(', ')}`,
    check: check.oneOf(SYNC_DISCOVERY_MODES),
  },
  {
    name: 'SYNC_PEERS',
    scope: 'per-node',
    secret: false,
    requiredBy: [],
    readBy: ['sync'],
    default: '',
    help: "For static discovery: the other nodes' sync addresses, comma-separated host[:port].",
    fix: 'list the other servers, e.g. 192.168.1.101:8765,192.168.1.102:8765',
    check: check.commaList(check.peerAddress),
  },
  {
    name: 'SYNC_DNS_NAME',
    scope: 'setting',
    secret: false,
    requiredBy: [],
    readBy: ['sync'],
    default: '',
    help: 'For dns discovery: the name whose A/AAAA (or SRV _sync._tcp) records list the peers, e.g. a headless Service.',
    fix: 'set the headless Service name, e.g. platform-peers.default.svc.cluster.local',
    check: () => undefined,
  },
  {
    name: 'SYNC_KUBERNETES_SERVICE',
    scope: 'setting',
    secret: false,
    requiredBy: [],
    readBy: ['sync'],
    default: '',
    help: 'For kubernetes discovery: the Service whose EndpointSlices list the peers (namespace from the pod).',
    fix: 'set the headless Service name, e.g. platform-peers',
    check: (value) => (value === '' ? undefined : check.dnsLabel(value)),
  },
  {
    name: 'SYNC_TLS',
    scope: 'shared',
    secret: false,
    requiredBy: [],
    readBy: ['sync'],
    default: 'on',
    help:
      'Encryption of peer traffic on the sync port (rows, password hashes). on: TLS with a key and certificate each node ' +
      'makes at start (or SYNC_TLS_CERT_FILE), pinned by the keyed handshake; plain HTTP only for /health, /ready, ' +
      '/status and /metrics from 127.0.0.1/::1. off: everything in clear (only on a network you trust completely).',
    fix: 'leave it unset (on); off only as an explicit opt-out, the same on every node',
    check: check.oneOf(SYNC_TLS_MODES),
  },
  {
    name: 'SYNC_TLS_CERT_FILE',
    scope: 'per-node',
    secret: false,
    requiredBy: [],
    readBy: ['sync'],
    default: '',
    help: 'Optional PEM certificate for the sync port instead of the one the node makes at start (self-signed is fine: the handshake pins it).',
    fix: 'point it at a readable PEM file, e.g. made with `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 -subj /CN=sync -keyout sync.key -out sync.crt`',
    check: () => undefined,
  },
  {
    name: 'SYNC_TLS_KEY_FILE',
    scope: 'per-node',
    secret: false,
    requiredBy: [],
    readBy: ['sync'],
    default: '',
    help: 'Private key (PEM) for SYNC_TLS_CERT_FILE.',
    fix: 'point it at the PEM private key that belongs to SYNC_TLS_CERT_FILE',
    check: () => undefined,
  },
  {
    name: 'SYNC_MAX_CLOCK_SKEW_MS',
    scope: 'setting',
    secret: false,
    requiredBy: [],
    readBy: ['sync'],
    default: '10000',
    help: 'Largest clock difference to a peer, in milliseconds, that the sync service accepts; a peer further off is refused.',
    fix: 'run NTP (chrony, systemd-timesyncd) on every server; raise this only if you must, e.g. 10000',
    check: check.integerAtLeast(100, 'milliseconds'),
  },
  {
    name: 'SYNC_LOCAL_CHANGES',
    scope: 'setting',
    secret: false,
    requiredBy: [],
    readBy: ['sync'],
    default: 'notify',
    help:
      'How the sync service learns of local commits to replicate: notify (the capture triggers NOTIFY, at once; while ' +
      'commits come in quick succession the service closes its notify gate and probes a counter every ms instead, ' +
      'because PostgreSQL serializes NOTIFYing commits) or poll:<ms> (no NOTIFY; one tiny query per interval).',
    fix: `use notify, or poll:<ms> with ${MIN_CHANGE_POLL_MS}-${MAX_CHANGE_POLL_MS} ms, e.g. poll:2`,
    check: check.changeDetection(MIN_CHANGE_POLL_MS, MAX_CHANGE_POLL_MS),
  },
  {
    name: 'SYNC_CLOCK_OFFSET_MS',
    scope: 'setting',
    secret: false,
    requiredBy: [],
    readBy: ['sync'],
    default: '0',
    help:
      `For fault drills only: shifts this node's clock by this many milliseconds (negative: behind), both the sync ` +
      `service's clock and the stamps its capture triggers write. Leave it 0 in production.`,
    fix: `use a whole number of milliseconds between -${MAX_CLOCK_OFFSET_MS} and ${MAX_CLOCK_OFFSET_MS}, and unset it (0) when the drill is over`,
    check: check.signedIntegerWithin(MAX_CLOCK_OFFSET_MS, 'milliseconds'),
  },
  {
    name: 'ADMIN_EMAIL',
    scope: 'setting',
    secret: false,
    requiredBy: [],
    readBy: ['app'],
    default: '',
    help: 'Email of the first admin, created on first start when no user exists.',
    fix: 'set an email address such as admin@example.com',
    check: (value) => (value === '' ? undefined : check.email(value)),
  },
  {
    name: 'ADMIN_PASSWORD',
    scope: 'setting',
    secret: true,
    chosenByPerson: true,
    requiredBy: [],
    readBy: ['app'],
    default: '',
    help: 'Password of the first admin; when unset a random one is generated and printed once.',
    fix: 'use at least 12 characters, or leave it unset to get a generated one',
    check: (value) => (value === '' ? undefined : check.minLength(12)(value)),
  },
  {
    name: 'TRUSTED_PROXIES',
    scope: 'setting',
    secret: false,
    requiredBy: [],
    readBy: ['app'],
    default: '',
    help:
      'Addresses or CIDR ranges of the reverse proxies in front of the app (the entry point, an ingress), comma-separated. ' +
      'Only a request from one of them may say who the client is (X-Forwarded-For), for the sign-in limits and the logs; ' +
      'empty: every client is the address it connects from.',
    fix: "list the proxy addresses, e.g. 127.0.0.1 for npm start or 10.0.0.0/8 for the ingress controller's pods; leave empty with no proxy",
    check: trustedProxiesProblem,
  },
];

export const VARIABLES_BY_NAME: ReadonlyMap<string, VariableSpec> = new Map(VARIABLES.map((v) => [v.name, v]));

/** Alias → the variable it names (AUTH_SECRET → NEXTAUTH_SECRET). */
export const VARIABLE_ALIASES: ReadonlyMap<string, VariableSpec> = new Map(
  VARIABLES.flatMap((v) => (v.aliases ?? []).map((alias) => [alias, v] as const)),
);

export function variable(name: string): VariableSpec {
  const spec = VARIABLES_BY_NAME.get(name);
  if (!spec) throw new Error(`${name} is not a variable of the env contract`);
  return spec;
}
