/**
 * The pure part of `doctor`: given several servers' environments, every finding about each one alone (the
 * contract's checks) and about them together (shared values that differ, unique values that collide,
 * NEXTAUTH_URL schemes and hosts). Never puts a secret value in a finding.
 */
import {
  type Problem,
  type Severity,
  VARIABLES,
  VARIABLES_BY_NAME,
  type VariableSpec,
  databaseTarget,
  displayValue,
  isLoopbackDatabase,
  parseReplicatedTables,
  validateNodeEnvironment,
} from '@msk/contract';
import type { EnvEntry, EnvSyntaxError } from '@msk/contract/envFile';

export interface ServerEnvironment {
  /** How the server is named in findings: its file (or files). */
  readonly label: string;
  readonly entries: readonly EnvEntry[];
  readonly syntaxErrors: readonly EnvSyntaxError[];
}

export type FindingCode =
  | 'syntax'
  | 'invalid'
  | 'unknown-variable'
  | 'duplicate-key'
  | 'shared-differs'
  | 'unique-collides'
  | 'setting-differs'
  | 'url-scheme-differs'
  | 'url-host-differs'
  | 'database-shared-per-node'
  | 'database-not-shared';

export interface Finding {
  readonly code: FindingCode;
  readonly severity: Severity;
  readonly variable: string;
  /** Servers involved, with line numbers where known (`server1.env:3`). */
  readonly where: readonly string[];
  readonly message: string;
  readonly fix: string;
}

const OUR_PREFIXES = ['NEXTAUTH_', 'SYNC_', 'NEXT_SERVER_ACTIONS_', 'DATABASE_'];

function lastEntryNamed(server: ServerEnvironment, key: string): EnvEntry | undefined {
  for (let i = server.entries.length - 1; i >= 0; i--) if (server.entries[i]?.key === key) return server.entries[i];
  return undefined;
}

/** The entry of a variable, under its own name or else one of its aliases (AUTH_SECRET for NEXTAUTH_SECRET). */
function lastEntry(server: ServerEnvironment, key: string): EnvEntry | undefined {
  const own = lastEntryNamed(server, key);
  if (own) return own;
  for (const alias of VARIABLES_BY_NAME.get(key)?.aliases ?? []) {
    const entry = lastEntryNamed(server, alias);
    if (entry) return entry;
  }
  return undefined;
}

function location(server: ServerEnvironment, key: string): string {
  const entry = lastEntry(server, key);
  return entry ? `${server.label}:${entry.line}` : `${server.label} (unset)`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(current + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] as number;
}

function singleServerFindings(server: ServerEnvironment): Finding[] {
  const findings: Finding[] = server.syntaxErrors.map((error) => ({
    code: 'syntax',
    severity: 'error',
    variable: '-',
    where: [`${server.label}:${error.line}`],
    message: `line ${error.message}`,
    fix: 'write one KEY=value per line',
  }));
  const seen = new Map<string, number>();
  for (const entry of server.entries) {
    const earlier = seen.get(entry.key);
    if (earlier !== undefined) {
      findings.push({
        code: 'duplicate-key',
        severity: 'warning',
        variable: entry.key,
        where: [`${server.label}:${earlier}`, `${server.label}:${entry.line}`],
        message: 'is set twice; the last one wins',
        fix: 'keep one line',
      });
    }
    seen.set(entry.key, entry.line);
    if (!VARIABLES_BY_NAME.has(entry.key) && OUR_PREFIXES.some((p) => entry.key.startsWith(p))) {
      const closest = VARIABLES.map((v) => v.name).find((name) => editDistance(name, entry.key) <= 2);
      findings.push({
        code: 'unknown-variable',
        severity: 'warning',
        variable: entry.key,
        where: [`${server.label}:${entry.line}`],
        message: 'is not read by the platform' + (closest ? ` (did you mean ${closest}?)` : ''),
        fix: closest ? `rename it to ${closest}` : 'remove it, or check its spelling against the configuration table',
      });
    }
  }
  const env = Object.fromEntries(server.entries.map((e) => [e.key, e.value]));
  const report = validateNodeEnvironment(env);
  findings.push(
    ...report.problems.map((problem: Problem) => ({
      code: 'invalid' as const,
      severity: problem.severity,
      variable: problem.variable,
      where: [location(server, problem.variable)],
      message: problem.message,
      fix: problem.fix,
    })),
  );
  return findings;
}

function effectiveValue(server: ServerEnvironment, spec: VariableSpec): string {
  return lastEntry(server, spec.name)?.value ?? spec.default ?? '';
}

/** What servers are compared by: REPLICATED_TABLES as a set (the sync services compare it sorted), the rest as written. */
function comparedValue(server: ServerEnvironment, spec: VariableSpec): string {
  const value = effectiveValue(server, spec);
  return spec.name === 'REPLICATED_TABLES' ? parseReplicatedTables(value).sort().join(',') : value;
}

function groupByValue(servers: readonly ServerEnvironment[], spec: VariableSpec): Map<string, ServerEnvironment[]> {
  const groups = new Map<string, ServerEnvironment[]>();
  for (const server of servers) {
    const value = comparedValue(server, spec);
    groups.set(value, [...(groups.get(value) ?? []), server]);
  }
  return groups;
}

function describeGroups(spec: VariableSpec, groups: Map<string, ServerEnvironment[]>): string {
  return [...groups.entries()]
    .map(
      ([value, servers]) =>
        `${value === '' ? '(unset)' : displayValue(spec, value)} in ${servers.map((s) => s.label).join(', ')}`,
    )
    .join('; ');
}

function urlParts(value: string): { scheme: string; host: string } | undefined {
  try {
    const url = new URL(value);
    return { scheme: url.protocol.replace(':', ''), host: url.hostname };
  } catch {
    return undefined;
  }
}

/** A finding about one variable, located at its line on each of `servers`. */
function variableFinding(
  spec: VariableSpec,
  servers: readonly ServerEnvironment[],
  kind: { code: FindingCode; severity: Severity },
  message: string,
  fix: string,
): Finding {
  return { ...kind, variable: spec.name, where: servers.map((s) => location(s, spec.name)), message, fix };
}

function nextAuthUrlFinding(servers: readonly ServerEnvironment[], spec: VariableSpec): Finding | undefined {
  const groups = groupByValue(servers, spec);
  if (groups.size <= 1) return undefined;
  const parts = [...groups.keys()].map(urlParts);
  if (parts.some((p) => p === undefined)) return undefined; // each invalid value is reported on its own
  const described = describeGroups(spec, groups);
  const error = (code: FindingCode, message: string, fix: string) =>
    variableFinding(spec, servers, { code, severity: 'error' }, message, fix);
  if (new Set(parts.map((p) => p?.scheme)).size > 1) {
    return error(
      'url-scheme-differs',
      `mixes http and https (${described}): https renames the session cookie to __Secure-…, which an http node ignores, so sessions can't be shared`,
      'use the same public URL, with the same scheme, on every node',
    );
  }
  if (new Set(parts.map((p) => p?.host)).size > 1) {
    return error(
      'url-host-differs',
      `names different hosts (${described}): a browser only sends a cookie back to the host that set it, so a login on one server is not a login on the other`,
      'put the servers behind one entry point (load balancer or reverse proxy) and set its URL on every node',
    );
  }
  return error(
    'shared-differs',
    `differs between servers (${described}): sign-in redirects go to different origins`,
    spec.fix,
  );
}

function crossServerFindings(servers: readonly ServerEnvironment[]): Finding[] {
  const findings: Finding[] = [];
  for (const spec of VARIABLES) {
    if (spec.name === 'NEXTAUTH_URL') {
      const finding = nextAuthUrlFinding(servers, spec);
      if (finding) findings.push(finding);
      continue;
    }
    const groups = groupByValue(servers, spec);
    if (spec.scope === 'shared' && groups.size > 1) {
      findings.push(
        variableFinding(
          spec,
          servers,
          { code: 'shared-differs', severity: 'error' },
          `must be the same on every server but differs: ${describeGroups(spec, groups)}`,
          spec.name === 'NEXTAUTH_SECRET'
            ? 'copy one value to every server (a server with another secret logs users out with JWT_SESSION_ERROR)'
            : spec.fix,
        ),
      );
    }
    if (spec.scope === 'setting' && groups.size > 1) {
      findings.push(
        variableFinding(
          spec,
          servers,
          { code: 'setting-differs', severity: 'warning' },
          `differs between servers: ${describeGroups(spec, groups)}`,
          'use the same value everywhere unless the difference is intended',
        ),
      );
    }
    if (spec.scope === 'unique') {
      for (const [value, holders] of groups) {
        if (value === '' || holders.length < 2) continue;
        findings.push(
          variableFinding(
            spec,
            holders,
            { code: 'unique-collides', severity: 'error' },
            `must differ on every server but ${displayValue(spec, value)} is used by ${holders.map((s) => s.label).join(' and ')}`,
            spec.fix,
          ),
        );
      }
    }
  }
  return findings;
}

/**
 * DATABASE_URL against DATABASE_TOPOLOGY. per-node: two servers naming one database host (not localhost, which is
 * each server's own) is an error. shared: the same DATABASE_URL everywhere is the point; a localhost one or
 * different names are warnings (different names may still reach one database; the sync services compare the real
 * identities at run time). A DATABASE_TOPOLOGY that differs is already a shared-differs error.
 */
function databaseTopologyFindings(servers: readonly ServerEnvironment[]): Finding[] {
  const spec = VARIABLES_BY_NAME.get('DATABASE_URL') as VariableSpec;
  const topologies = new Set(
    servers.map((s) => effectiveValue(s, VARIABLES_BY_NAME.get('DATABASE_TOPOLOGY') as VariableSpec)),
  );
  if (topologies.size !== 1) return [];
  const urls = servers.map((server) => ({ server, url: effectiveValue(server, spec) }));
  if (topologies.has('per-node')) {
    const byTarget = new Map<string, ServerEnvironment[]>();
    for (const { server, url } of urls) {
      const target = databaseTarget(url);
      if (target === undefined || isLoopbackDatabase(url)) continue;
      byTarget.set(target, [...(byTarget.get(target) ?? []), server]);
    }
    return [...byTarget.entries()]
      .filter(([, holders]) => holders.length > 1)
      .map(([target, holders]) =>
        variableFinding(
          spec,
          holders,
          { code: 'database-shared-per-node', severity: 'error' },
          `names one database (${target}) on ${holders.map((s) => s.label).join(' and ')}, but DATABASE_TOPOLOGY is per-node: each node needs its own database (two sync services would replicate one database into itself)`,
          'give every server its own PostgreSQL, or set DATABASE_TOPOLOGY=shared on every server if they share one (npm run init -- --database shared)',
        ),
      );
  }
  const findings: Finding[] = [];
  const notShared = { code: 'database-not-shared', severity: 'warning' } as const;
  const local = urls.filter(({ url }) => isLoopbackDatabase(url));
  if (local.length > 0) {
    findings.push(
      variableFinding(
        spec,
        local.map(({ server }) => server),
        notShared,
        `is on this machine (localhost) with DATABASE_TOPOLOGY=shared: on separate servers that is each one's own database, not one they share`,
        "point DATABASE_URL of every server at the shared PostgreSQL's host name (the sync services refuse nodes on another database)",
      ),
    );
  }
  const targets = new Set(urls.map(({ url }) => databaseTarget(url)));
  if (targets.size > 1) {
    findings.push(
      variableFinding(
        spec,
        servers,
        notShared,
        `names different databases with DATABASE_TOPOLOGY=shared (${urls.map(({ server, url }) => `${databaseTarget(url) ?? '?'} in ${server.label}`).join('; ')}); fine only if these names reach one database`,
        'use the same DATABASE_URL on every server (the sync services refuse a node whose database is another one)',
      ),
    );
  }
  return findings;
}

export function diagnose(servers: readonly ServerEnvironment[]): Finding[] {
  const findings = servers.flatMap(singleServerFindings);
  if (servers.length > 1) findings.push(...crossServerFindings(servers), ...databaseTopologyFindings(servers));
  const rank = (f: Finding) => (f.severity === 'error' ? 0 : 1);
  return findings.sort((a, b) => rank(a) - rank(b));
}

/** Per variable, how each server's value may be shown (fingerprints for secrets), to compare by eye. */
export function comparisonTable(servers: readonly ServerEnvironment[]): Array<{ variable: string; values: string[] }> {
  return VARIABLES.filter((spec) => spec.scope !== 'per-node' || spec.name === 'SYNC_PEERS').map((spec) => ({
    variable: spec.name,
    values: servers.map((server) => {
      const entry = lastEntry(server, spec.name);
      return entry
        ? displayValue(spec, entry.value)
        : spec.default !== undefined
          ? `(default ${spec.default || 'empty'})`
          : '(unset)';
    }),
  }));
}
