/** Every check of a resolved configuration, section by section; problems are collected, not thrown. */
import { checkValue, replicatedTablesProblem, variable, VARIABLES } from '@msk/contract';
import { Checker, type ConfigProblem } from './configChecker';
import { DERIVED_SETTINGS, MAX_NAME_LENGTH, MAX_REPLICAS, RESERVED_POD_PORTS } from './platformConfigDefaults';
import {
  DATABASE_NAME_PATTERN,
  ENV_NAME_PATTERN,
  PROBE_PATH_PATTERN,
  SECRET_KEY_PATTERN,
  STORAGE_SIZE_PATTERN,
} from './platformConfigPatterns';
import {
  EXTERNAL_DATABASE_SSL_MODES,
  type ExternalDatabaseConfig,
  type ResolvedPlatformConfig,
} from './platformConfigTypes';

const STORAGE_SIZE = new RegExp(STORAGE_SIZE_PATTERN);
const DATABASE_NAME = new RegExp(DATABASE_NAME_PATTERN);
const SECRET_KEY = new RegExp(SECRET_KEY_PATTERN);
const PROBE_PATH = new RegExp(PROBE_PATH_PATTERN);
const ENV_NAME = new RegExp(ENV_NAME_PATTERN);
const ANNOTATION_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** The problems of a configuration with its defaults applied (empty: none). */
export function checkPlatformConfig(resolved: ResolvedPlatformConfig): readonly ConfigProblem[] {
  const checker = new Checker();
  checker.dnsLabel('name', resolved.name, MAX_NAME_LENGTH);
  checker.dnsLabel('namespace', resolved.namespace);
  checker.wholeNumber('replicas', resolved.replicas, 1, MAX_REPLICAS);
  checkHost(checker, resolved.host);
  if (resolved.tls) checker.dnsSubdomain('tls.secretName', resolved.tls.secretName);
  if (resolved.ingressClassName !== undefined) checker.dnsSubdomain('ingressClassName', resolved.ingressClassName);
  for (const key of Object.keys(resolved.ingressAnnotations)) {
    if (!ANNOTATION_KEY.test(key))
      checker.fail(`ingressAnnotations.${key}`, 'is not a valid annotation key ([prefix/]name)');
  }
  checker.dnsSubdomain('sharedSecretName', resolved.sharedSecretName);
  for (const which of ['app', 'sync', 'postgres'] as const) checker.image(`images.${which}`, resolved.images[which]);
  checker.command('app.command', resolved.app.command);
  checkApp(checker, resolved.app);
  if (!resolved.app.cacheMountPath.startsWith('/')) {
    checker.fail(
      'app.cacheMountPath',
      `must be an absolute path inside the app image, got '${resolved.app.cacheMountPath}'`,
    );
  }
  checker.user('app.runAsUser', resolved.app.runAsUser);
  checker.resources('app.resources', resolved.app.resources);
  checker.command('sync.command', resolved.sync.command);
  checker.user('sync.runAsUser', resolved.sync.runAsUser);
  checker.resources('sync.resources', resolved.sync.resources);
  checker.user('postgres.runAsUser', resolved.postgres.runAsUser);
  checker.resources('postgres.resources', resolved.postgres.resources);
  if (!STORAGE_SIZE.test(resolved.postgres.storageSize)) {
    checker.fail(
      'postgres.storageSize',
      `must be a size such as 10Gi (a whole number with Mi, Gi or Ti), got '${resolved.postgres.storageSize}'`,
    );
  }
  if (resolved.postgres.storageClassName !== undefined) {
    checker.dnsSubdomain('postgres.storageClassName', resolved.postgres.storageClassName);
  }
  if (resolved.discovery !== 'dns' && resolved.discovery !== 'kubernetes') {
    checker.fail('discovery', `must be 'dns' or 'kubernetes', got '${String(resolved.discovery)}'`);
  }
  for (const [field, what] of [
    ['appReachableFrom', 'ingress controller'],
    ['metricsReachableFrom', 'Prometheus'],
  ] as const) {
    const from = resolved.networkPolicy[field];
    if (from === 'anywhere') continue;
    if (typeof from !== 'object' || from === null) {
      checker.fail(`networkPolicy.${field}`, `must be { namespace: '<${what} namespace>' } or 'anywhere'`);
    } else {
      checker.dnsLabel(`networkPolicy.${field}.namespace`, from.namespace);
    }
  }
  if (resolved.networkPolicy.egress !== 'restricted' && resolved.networkPolicy.egress !== 'unrestricted') {
    checker.fail(
      'networkPolicy.egress',
      `must be 'restricted' or 'unrestricted', got '${String(resolved.networkPolicy.egress)}'`,
    );
  }
  checker.dnsSubdomain('clusterDomain', resolved.clusterDomain);
  checker.wholeNumber('terminationGracePeriodSeconds', resolved.terminationGracePeriodSeconds, 1, 3600, ' seconds');
  checkReplicatedTables(checker, resolved.replicatedTables);
  checkSettings(checker, resolved.settings);
  if (resolved.externalDatabase) checkExternalDatabase(checker, resolved.externalDatabase);
  return checker.problems;
}

function checkHost(checker: Checker, host: string): void {
  if (/^[a-z]+:\/\//i.test(host)) {
    checker.fail(
      'host',
      `must be the host name only, without a scheme: '${host.replace(/^[a-z]+:\/\//i, '')}' instead of '${host}'`,
    );
  } else if (host.includes(':') || host.includes('/')) {
    checker.fail('host', `must be a host name without port or path, got '${host}'`);
  } else {
    checker.dnsSubdomain('host', host);
  }
}

function checkExternalDatabase(checker: Checker, external: Required<ExternalDatabaseConfig>): void {
  if (typeof external.host !== 'string' || external.host === '') {
    checker.fail(
      'externalDatabase.host',
      "is required: the database's host name, e.g. the HA cluster's read-write service",
    );
  } else {
    checker.dnsSubdomain('externalDatabase.host', external.host);
  }
  checker.wholeNumber('externalDatabase.port', external.port, 1, 65_535);
  for (const field of ['database', 'user', 'syncUser'] as const) {
    if (!DATABASE_NAME.test(external[field])) {
      checker.fail(
        `externalDatabase.${field}`,
        `must be a PostgreSQL name (lowercase letters, digits, '_'; at most 63), got '${external[field]}'`,
      );
    }
  }
  checker.dnsSubdomain('externalDatabase.existingSecret', external.existingSecret);
  for (const field of ['passwordKey', 'syncPasswordKey'] as const) {
    if (!SECRET_KEY.test(external[field]))
      checker.fail(
        `externalDatabase.${field}`,
        `must be a Secret key (letters, digits, '-', '_', '.'), got '${external[field]}'`,
      );
  }
  if (!(EXTERNAL_DATABASE_SSL_MODES as readonly string[]).includes(external.sslMode)) {
    checker.fail(
      'externalDatabase.sslMode',
      `must be one of disable, require, verify-ca, verify-full (or '' for none), got '${String(external.sslMode)}'`,
    );
  }
}

function checkApp(checker: Checker, app: ResolvedPlatformConfig['app']): void {
  checker.wholeNumber('app.port', app.port, 1, 65_535);
  if (RESERVED_POD_PORTS.includes(app.port)) {
    checker.fail(
      'app.port',
      `is ${app.port}, which another container of the pod uses (PostgreSQL 5432, sync 8765, metrics 9464/9465): choose another port`,
    );
  }
  if (!Array.isArray(app.args) || app.args.some((arg) => typeof arg !== 'string'))
    checker.fail('app.args', 'must be a list of strings');
  for (const [name, value] of Object.entries(app.env)) {
    const field = `app.env.${name}`;
    if (!ENV_NAME.test(name))
      checker.fail(field, 'is not an environment variable name (letters, digits, _; not starting with a digit)');
    else if (VARIABLES.some((v) => v.name === name)) {
      checker.fail(
        field,
        'is a variable of the env contract: the synth sets it (a plain setting goes in `settings`, a secret in the shared Secret)',
      );
    } else if (name.startsWith('MSK_'))
      checker.fail(field, 'starts with MSK_, which the kit keeps for its own variables');
    if (typeof value !== 'string') checker.fail(field, `must be a string, got ${typeof value}`);
  }
  for (const which of ['livenessPath', 'readinessPath'] as const) {
    const path = app.probes[which];
    if (typeof path !== 'string' || !PROBE_PATH.test(path)) {
      checker.fail(
        `app.probes.${which}`,
        `must be empty or an HTTP path starting with '/' (no query, no spaces), e.g. /api/auth/providers, got '${String(path)}'`,
      );
    }
  }
}

function checkReplicatedTables(checker: Checker, tables: readonly string[]): void {
  if (!Array.isArray(tables) || tables.length === 0) {
    checker.fail('replicatedTables', "must list at least one table of the app's schema, e.g. ['users', 'orders']");
    return;
  }
  const problem = replicatedTablesProblem(tables.join(','));
  if (problem) checker.fail('replicatedTables', problem);
}

function checkSettings(checker: Checker, settings: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(settings)) {
    const field = `settings.${name}`;
    const spec = VARIABLES.find((v) => v.name === name);
    if (!spec) {
      checker.fail(field, 'is not a variable of the env contract (contract/src/variables.ts)');
    } else if (spec.scope !== 'setting') {
      checker.fail(
        field,
        `has scope '${spec.scope}': only 'setting' variables are configured here; the synth derives the rest`,
      );
    } else if (spec.secret) {
      checker.fail(field, `is a secret: put it in the shared Secret (key ${name}) instead of the manifests`);
    } else if (DERIVED_SETTINGS.has(name)) {
      checker.fail(field, 'is derived by the synth (ports, discovery); change `discovery` or the ports instead');
    } else {
      for (const problem of checkValue(variable(name), value)) {
        if (problem.severity === 'error') checker.fail(field, `${problem.message}; ${problem.fix}`);
      }
    }
  }
}
