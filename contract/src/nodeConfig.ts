/**
 * Validation of one node's environment and the typed configuration read from it. Nothing else in the project
 * reads process.env for these variables: processes call loadNodeConfig once at start.
 */
import { type ChangeDetection, parseChangeDetection, quotesOrWhitespace } from './checks';
import { GUIDE_EXAMPLE_NODE_IDS, publishedSource } from './published';
import { parseReplicatedTables } from './replicatedTables';
import { parseTrustedProxies, type TrustedProxies } from './trustedProxies';
import { type Problem, formatProblem, hasErrors } from './problem';
import {
  type Consumer,
  type DatabaseTopology,
  type LogLevel,
  type NodeEnv,
  type SyncDiscoveryMode,
  type SyncTlsMode,
  VARIABLES,
  type VariableSpec,
} from './variables';

export type Environment = Readonly<Record<string, string | undefined>>;

export interface NodeConfig {
  readonly nextAuthSecret: string;
  /** Decrypt-only secrets, oldest last. */
  readonly nextAuthSecretPrevious: readonly string[];
  readonly nextServerActionsEncryptionKey: string | undefined;
  readonly syncRegistrationKey: string;
  readonly syncServicePort: number;
  readonly syncNodeId: string;
  readonly syncNodeName: string;
  readonly nextAuthUrl: string;
  readonly databaseUrl: string;
  readonly databasePassword: string | undefined;
  /** The sync service's connection: SYNC_DATABASE_URL, or DATABASE_URL when unset. */
  readonly syncDatabaseUrl: string;
  /** DATABASE_TOPOLOGY: what the operator declared; the sync services check it against the databases' identities. */
  readonly databaseTopology: DatabaseTopology;
  /** REPLICATED_TABLES as written (schema public); never empty for the sync service with per-node topology. */
  readonly replicatedTables: readonly string[];
  /** SYNC_DATABASE_PASSWORD with SYNC_DATABASE_URL; DATABASE_PASSWORD when the sync service falls back to DATABASE_URL. */
  readonly syncDatabasePassword: string | undefined;
  readonly nodeEnv: NodeEnv;
  readonly appName: string;
  readonly port: number;
  /** APP_METRICS_PORT: the app's Prometheus metrics, on HOSTNAME. */
  readonly appMetricsPort: number;
  readonly hostname: string;
  readonly syncHttpPort: number;
  readonly syncBindAddress: string;
  /** SYNC_METRICS_PORT: the sync service's Prometheus metrics (plain HTTP), on SYNC_BIND_ADDRESS. */
  readonly syncMetricsPort: number;
  readonly syncIntervalMs: number;
  readonly syncAutoStart: boolean;
  readonly syncLogLevel: LogLevel;
  readonly syncDiscovery: SyncDiscoveryMode;
  readonly syncPeers: readonly string[];
  readonly syncDnsName: string;
  readonly syncKubernetesService: string;
  /** on (default): TLS on the sync port; off: plain HTTP (explicit opt-out). */
  readonly syncTls: SyncTlsMode;
  /** Empty: with TLS on, the node makes its own key and certificate at start. */
  readonly syncTlsCertFile: string;
  readonly syncTlsKeyFile: string;
  readonly syncMaxClockSkewMs: number;
  /** Fault drills only (SYNC_CLOCK_OFFSET_MS): added to this node's clock; 0 in production. */
  readonly syncClockOffsetMs: number;
  /** How local commits are noticed: NOTIFY, or polling every pollIntervalMs. */
  readonly syncLocalChanges: ChangeDetection;
  readonly adminEmail: string;
  readonly adminPassword: string;
  /** TRUSTED_PROXIES: whose X-Forwarded-For the app believes. */
  readonly trustedProxies: TrustedProxies;
}

function problem(
  spec: VariableSpec,
  message: string,
  severity: Problem['severity'] = 'error',
  fix = spec.fix,
): Problem {
  return { severity, variable: spec.name, message, fix };
}

/** Problems of one variable's value on its own (format, strength, published values). */
export function checkValue(spec: VariableSpec, value: string): Problem[] {
  const framing = quotesOrWhitespace(value);
  if (framing) return [problem(spec, framing, 'error', 'remove the quotes and spaces around the value')];
  const problems: Problem[] = [];
  const invalid = spec.check(value);
  if (invalid) problems.push(problem(spec, invalid));
  if (spec.secret) {
    for (const part of spec.name === 'NEXTAUTH_SECRET_PREVIOUS' ? value.split(',') : [value]) {
      const source = publishedSource(part);
      if (source) {
        problems.push(
          problem(spec, `is ${source}: it is public, so anyone can forge sessions or join the cluster with it`),
        );
      }
    }
  }
  if (spec.name === 'SYNC_CLOCK_OFFSET_MS' && !invalid && Number(value) !== 0) {
    problems.push(
      problem(
        spec,
        `is ${value}: this node's clock is shifted on purpose (a fault drill), peers see it as clock skew`,
        'warning',
      ),
    );
  }
  if (spec.name === 'SYNC_NODE_ID' && GUIDE_EXAMPLE_NODE_IDS.has(value)) {
    problems.push(
      problem(spec, `is ${GUIDE_EXAMPLE_NODE_IDS.get(value)}; copied IDs collide between installs`, 'warning'),
    );
  }
  return problems;
}

/** The ports the metrics listeners may not share with another listener of the node. */
const METRICS_PORT_RIVALS: Readonly<Record<string, readonly string[]>> = {
  APP_METRICS_PORT: ['PORT', 'SYNC_SERVICE_PORT', 'SYNC_METRICS_PORT'],
  SYNC_METRICS_PORT: ['SYNC_SERVICE_PORT', 'PORT'],
};

function metricsPortProblems(value: (name: string) => string, spec: (name: string) => VariableSpec): Problem[] {
  const problems: Problem[] = [];
  for (const [name, rivals] of Object.entries(METRICS_PORT_RIVALS)) {
    const own = value(name);
    const clash = rivals.find((rival) => value(rival) !== '' && value(rival) === own);
    if (own !== '' && clash) {
      problems.push(problem(spec(name), `is ${own}, the same port as ${clash}: the metrics need a port of their own`));
    }
  }
  return problems;
}

/** Rules that involve more than one variable of the same node. `consumer` undefined: every consumer (doctor). */
function crossVariableProblems(value: (name: string) => string, consumer: Consumer | undefined): Problem[] {
  const problems: Problem[] = [];
  const discovery = value('SYNC_DISCOVERY');
  const spec = (name: string) => VARIABLES.find((v) => v.name === name) as VariableSpec;
  if (consumer !== 'app' && value('DATABASE_TOPOLOGY') === 'per-node' && value('REPLICATED_TABLES') === '') {
    problems.push(
      problem(
        spec('REPLICATED_TABLES'),
        'is not set: with DATABASE_TOPOLOGY=per-node the sync service replicates the tables it names, and there is no built-in list',
      ),
    );
  }
  if (discovery === 'dns' && value('SYNC_DNS_NAME') === '') {
    problems.push(problem(spec('SYNC_DNS_NAME'), 'is required when SYNC_DISCOVERY=dns'));
  }
  if (discovery === 'kubernetes' && value('SYNC_KUBERNETES_SERVICE') === '') {
    problems.push(problem(spec('SYNC_KUBERNETES_SERVICE'), 'is required when SYNC_DISCOVERY=kubernetes'));
  }
  if (discovery === 'static' && value('SYNC_PEERS') === '') {
    problems.push(
      problem(
        spec('SYNC_PEERS'),
        'is empty with SYNC_DISCOVERY=static: this node only finds peers that contact it',
        'warning',
      ),
    );
  }
  if ((value('SYNC_TLS_CERT_FILE') === '') !== (value('SYNC_TLS_KEY_FILE') === '')) {
    const missing = value('SYNC_TLS_CERT_FILE') === '' ? 'SYNC_TLS_CERT_FILE' : 'SYNC_TLS_KEY_FILE';
    problems.push(
      problem(spec(missing), 'is empty but its partner is set: TLS needs both the certificate and the key'),
    );
  }
  if (value('SYNC_TLS') === 'off' && value('SYNC_TLS_CERT_FILE') !== '') {
    problems.push(
      problem(
        spec('SYNC_TLS'),
        'is off but SYNC_TLS_CERT_FILE is set: it is unclear whether peer traffic should be encrypted',
        'error',
        'remove SYNC_TLS=off to use the certificate (recommended), or unset SYNC_TLS_CERT_FILE and SYNC_TLS_KEY_FILE',
      ),
    );
  }
  const previous = value('NEXTAUTH_SECRET_PREVIOUS');
  if (previous !== '' && previous.split(',').includes(value('NEXTAUTH_SECRET'))) {
    problems.push(
      problem(
        spec('NEXTAUTH_SECRET_PREVIOUS'),
        'contains the current NEXTAUTH_SECRET',
        'warning',
        'list only the old secrets',
      ),
    );
  }
  problems.push(...metricsPortProblems(value, spec));
  if (value('SYNC_HTTP_PORT') !== value('PORT')) {
    problems.push(
      problem(spec('SYNC_HTTP_PORT'), 'differs from PORT, so status points at the wrong app port', 'warning'),
    );
  }
  if (value('NODE_ENV') === 'development') {
    problems.push(
      problem(
        spec('NODE_ENV'),
        'is development: servers must run the production build',
        'warning',
        'set NODE_ENV=production',
      ),
    );
  }
  const url = value('DATABASE_URL');
  if (url !== '' && value('DATABASE_PASSWORD') !== '') {
    try {
      if (new URL(url).password) {
        problems.push(
          problem(
            spec('DATABASE_PASSWORD'),
            'is set but DATABASE_URL carries its own password, which wins',
            'warning',
            'remove the password from DATABASE_URL or unset DATABASE_PASSWORD',
          ),
        );
      }
    } catch {
      // DATABASE_URL's own check reports it
    }
  }
  const syncUrl = value('SYNC_DATABASE_URL');
  if (syncUrl === '') {
    problems.push(
      problem(
        spec('SYNC_DATABASE_URL'),
        "is not set: the sync service connects with DATABASE_URL, as the app's role (or worse, the superuser)",
        'warning',
      ),
    );
  } else if (syncUrl === url) {
    problems.push(
      problem(spec('SYNC_DATABASE_URL'), 'equals DATABASE_URL: the app and the sync service share one role', 'warning'),
    );
  }
  return problems;
}

export interface NodeEnvironmentReport {
  readonly problems: readonly Problem[];
  /** Set only when there are no errors. */
  readonly config: NodeConfig | undefined;
}

export interface VariableRead {
  readonly raw: string | undefined;
  /** The name the value was read under: the variable's own, or an alias when only the alias is set. */
  readonly name: string;
  /** An alias set to another value than the variable itself. */
  readonly conflictingAlias?: string;
}

/** One variable's value from the environment, under its own name or else one of its aliases (AUTH_SECRET). */
export function readVariable(env: Environment, spec: VariableSpec): VariableRead {
  const own = env[spec.name];
  for (const alias of spec.aliases ?? []) {
    const other = env[alias];
    if (other === undefined) continue;
    if (own === undefined) return { raw: other, name: alias };
    if (own !== other) return { raw: own, name: spec.name, conflictingAlias: alias };
  }
  return { raw: own, name: spec.name };
}

/** Checks every variable of one node's environment and returns every problem, not the first. */
export function validateNodeEnvironment(env: Environment, consumer?: Consumer): NodeEnvironmentReport {
  const problems: Problem[] = [];
  const values = new Map<string, string>();
  for (const spec of VARIABLES) {
    const read = readVariable(env, spec);
    if (read.conflictingAlias) {
      problems.push(
        problem(
          spec,
          `and ${read.conflictingAlias} (its Auth.js v5 name) are both set, to different values: the app and the sync service could each use another one`,
          'error',
          `set only one of ${spec.name} and ${read.conflictingAlias} (the kit reads ${read.conflictingAlias} as ${spec.name}), or give both the same value`,
        ),
      );
    }
    // a value read under an alias is checked (and its problems named) under that name
    const named: VariableSpec = read.name === spec.name ? spec : { ...spec, name: read.name };
    const raw = read.raw;
    const required = consumer ? spec.requiredBy.includes(consumer) : spec.requiredBy.length > 0;
    if (raw === undefined || (raw === '' && spec.default === undefined)) {
      const nor =
        spec.aliases && spec.aliases.length > 0 ? ` (nor ${spec.aliases.join(', ')}, its Auth.js v5 name)` : '';
      if (required) problems.push(problem(named, raw === undefined ? `is not set${nor}` : 'is empty'));
      values.set(spec.name, spec.default ?? '');
      continue;
    }
    const own = checkValue(named, raw);
    problems.push(...own);
    values.set(spec.name, raw);
  }
  const value = (name: string) => values.get(name) ?? '';
  problems.push(...crossVariableProblems(value, consumer));
  if (hasErrors(problems)) return { problems, config: undefined };
  const list = (name: string) => (value(name) === '' ? [] : value(name).split(','));
  const config: NodeConfig = {
    nextAuthSecret: value('NEXTAUTH_SECRET'),
    nextAuthSecretPrevious: list('NEXTAUTH_SECRET_PREVIOUS'),
    nextServerActionsEncryptionKey: value('NEXT_SERVER_ACTIONS_ENCRYPTION_KEY') || undefined,
    syncRegistrationKey: value('SYNC_REGISTRATION_KEY'),
    syncServicePort: Number(value('SYNC_SERVICE_PORT')),
    syncNodeId: value('SYNC_NODE_ID'),
    syncNodeName: value('SYNC_NODE_NAME'),
    nextAuthUrl: new URL(value('NEXTAUTH_URL')).origin,
    databaseUrl: value('DATABASE_URL'),
    databasePassword: value('DATABASE_PASSWORD') || undefined,
    syncDatabaseUrl: value('SYNC_DATABASE_URL') || value('DATABASE_URL'),
    databaseTopology: value('DATABASE_TOPOLOGY') as DatabaseTopology,
    replicatedTables: parseReplicatedTables(value('REPLICATED_TABLES')),
    syncDatabasePassword:
      (value('SYNC_DATABASE_URL') ? value('SYNC_DATABASE_PASSWORD') : value('DATABASE_PASSWORD')) || undefined,
    nodeEnv: value('NODE_ENV') as NodeEnv,
    appName: value('APP_NAME'),
    port: Number(value('PORT')),
    appMetricsPort: Number(value('APP_METRICS_PORT')),
    hostname: value('HOSTNAME'),
    syncHttpPort: Number(value('SYNC_HTTP_PORT')),
    syncBindAddress: value('SYNC_BIND_ADDRESS'),
    syncMetricsPort: Number(value('SYNC_METRICS_PORT')),
    syncIntervalMs: Number(value('SYNC_INTERVAL')),
    syncAutoStart: value('SYNC_AUTO_START') === 'true',
    syncLogLevel: value('SYNC_LOG_LEVEL') as LogLevel,
    syncDiscovery: value('SYNC_DISCOVERY') as SyncDiscoveryMode,
    syncPeers: list('SYNC_PEERS'),
    syncDnsName: value('SYNC_DNS_NAME'),
    syncKubernetesService: value('SYNC_KUBERNETES_SERVICE'),
    syncTls: value('SYNC_TLS') as SyncTlsMode,
    syncTlsCertFile: value('SYNC_TLS_CERT_FILE'),
    syncTlsKeyFile: value('SYNC_TLS_KEY_FILE'),
    syncMaxClockSkewMs: Number(value('SYNC_MAX_CLOCK_SKEW_MS')),
    syncClockOffsetMs: Number(value('SYNC_CLOCK_OFFSET_MS')),
    syncLocalChanges: parseChangeDetection(value('SYNC_LOCAL_CHANGES')) ?? { mode: 'notify' },
    adminEmail: value('ADMIN_EMAIL'),
    adminPassword: value('ADMIN_PASSWORD'),
    trustedProxies: parseTrustedProxies(value('TRUSTED_PROXIES')),
  };
  return { problems, config };
}

export class ConfigurationError extends Error {
  constructor(
    readonly who: string,
    readonly problems: readonly Problem[],
  ) {
    super(
      `${who} refuses to start: the environment has ${problems.filter((p) => p.severity === 'error').length} error(s).\n` +
        problems.map((p) => '  ' + formatProblem(p)).join('\n'),
    );
    this.name = 'ConfigurationError';
  }
}

/** The one entry point processes use: the typed config, or a ConfigurationError listing every problem. */
export function loadNodeConfig(
  env: Environment,
  consumer: Consumer,
): { config: NodeConfig; warnings: readonly Problem[] } {
  const report = validateNodeEnvironment(env, consumer);
  if (!report.config)
    throw new ConfigurationError(consumer === 'app' ? 'The app' : 'The sync service', report.problems);
  return { config: report.config, warnings: report.problems };
}
