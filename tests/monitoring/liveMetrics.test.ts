/**
 * The metrics the services REALLY expose, scraped from a running two-node local cluster (app and sync service on
 * both nodes) by a real Prometheus server configured as docs/monitoring.md says, with the chart's alert rules:
 * every metric name the rules and the dashboard use exists, every dashboard query evaluates, no alert is active
 * on the healthy cluster, and stopping a node makes the "down" and "peers missing" alerts pending.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startLocalCluster, type StartedLocalCluster } from '@msk/kit/cluster';
import { docsCommands, REPOSITORY_ROOT } from '../support/docsCommands';
import { eventually } from '../support/eventually';
import { type SignedInSession, sessionAt, signIn } from '../support/sessionClient';
import {
  DASHBOARD_FILE,
  RULES_FILE,
  acceptedLintFindings,
  alertRules,
  dashboardQueries,
  exposedMetricNames,
  promtool,
} from './support/prometheusTools';
import { type StartedPrometheus, selectorText, startPrometheus } from './support/prometheusServer';

const ADDRESS_BLOCK = 143;
const PROMETHEUS_HOST = `127.0.${ADDRESS_BLOCK}.100`;
const PROMETHEUS_PORT = 9090;
/** Series Prometheus makes itself for every target; the rules may use them. */
const PROMETHEUS_OWN_SERIES = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);

const rules = alertRules(parse(readFileSync(RULES_FILE, 'utf8')));
const dashboard = dashboardQueries(JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')));

/** The prometheus.yml block of docs/monitoring.md, pointed at this test's nodes, scraping every second. */
function documentedConfig(cluster: StartedLocalCluster): string {
  const page = readFileSync(join(REPOSITORY_ROOT, 'docs/monitoring.md'), 'utf8');
  const block = /<!-- docs-config: prometheus-scrape -->\s*```yaml\n([\s\S]*?)```/.exec(page)?.[1];
  if (!block) throw new Error('docs/monitoring.md has no yaml block marked <!-- docs-config: prometheus-scrape -->');
  const [node1, node2] = cluster.nodes;
  const text = block
    .replaceAll('127.0.0.2', node1?.host as string)
    .replaceAll('127.0.0.3', node2?.host as string)
    .replace('charts/multi-server-kit/files/prometheus-rules.yaml', RULES_FILE);
  const config = parse(text) as Record<string, unknown>;
  return stringify({ global: { scrape_interval: '1s', evaluation_interval: '1s' }, ...config });
}

async function callApi(
  baseUrl: string,
  session: SignedInSession,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ id?: string }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { cookie: session.cookie, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status >= 300)
    throw new Error(`${method} ${path} on ${baseUrl}: HTTP ${response.status} ${await response.text()}`);
  return response.status === 204 ? {} : ((await response.json()) as { id?: string });
}

/** Two members signed in, then one's password changed and the other deleted: node 1 refuses both sessions. */
async function revokeTwoSessions(cluster: StartedLocalCluster, admin: SignedInSession): Promise<void> {
  const node1 = cluster.nodes[0]?.appUrl as string;
  const password = 'monitoring test password 1';
  const changed = await callApi(node1, admin, 'POST', '/api/users', {
    email: 'changed@example.com',
    name: 'Changed',
    password,
  });
  const deleted = await callApi(node1, admin, 'POST', '/api/users', {
    email: 'deleted@example.com',
    name: 'Deleted',
    password,
  });
  const changedSession = await signIn(node1, 'changed@example.com', password);
  const deletedSession = await signIn(node1, 'deleted@example.com', password);
  await callApi(node1, admin, 'PATCH', `/api/users/${changed.id}`, { password: 'monitoring test password 2' });
  await callApi(node1, admin, 'DELETE', `/api/users/${deleted.id}`);
  await eventually(
    async () => {
      for (const session of [changedSession, deletedSession]) {
        if ((await sessionAt(node1, session)).user) throw new Error('a revoked session is still accepted');
      }
    },
    { what: 'node 1 refusing the revoked sessions', timeoutMs: 20_000 },
  );
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

interface Alert {
  labels: Record<string, string>;
  state: string;
}

async function activeAlerts(prometheus: StartedPrometheus): Promise<Alert[]> {
  const answer = await prometheus.api<{ alerts: Alert[] }>('/api/v1/alerts');
  return answer.data.alerts;
}

describe('metrics of a running two-node cluster, scraped by Prometheus', () => {
  let cluster: StartedLocalCluster;
  let prometheus: StartedPrometheus;
  const exposed = new Map<string, string>();

  beforeAll(async () => {
    cluster = await startLocalCluster({ nodes: 2, addressBlock: ADDRESS_BLOCK });
    await eventually(
      async () => {
        const peers = await cluster.peersConnected();
        if (Object.values(peers).some((n) => n !== 1)) throw new Error(`peers connected: ${JSON.stringify(peers)}`);
      },
      { what: 'both nodes connected to each other', timeoutMs: 60_000 },
    );
    // Traffic, so the counters have series: a sign-in, a wrong password, a cookie no secret opens, pages.
    const session = await signIn(cluster.entryUrl, cluster.admin.email, cluster.admin.password);
    await expect(
      signIn(cluster.nodes[0]?.appUrl as string, cluster.admin.email, 'not the password at all'),
    ).rejects.toThrow(/failed/);
    for (const node of cluster.nodes) {
      await (await fetch(`${node.appUrl}/businesses`, { headers: { cookie: session.cookie } })).text();
      await (
        await fetch(`${node.appUrl}/api/auth/session`, {
          headers: { cookie: `${session.sessionCookieName}=forged.cookie.value.x.y` },
        })
      ).text();
    }
    await revokeTwoSessions(cluster, session);
    prometheus = await startPrometheus({
      config: documentedConfig(cluster),
      host: PROMETHEUS_HOST,
      port: PROMETHEUS_PORT,
    });
    await eventually(
      async () => {
        const targets = await prometheus.api<{
          activeTargets: { health: string; scrapeUrl: string; lastError: string }[];
        }>('/api/v1/targets');
        const down = targets.data.activeTargets.filter((t) => t.health !== 'up');
        if (targets.data.activeTargets.length !== 4 || down.length > 0)
          throw new Error(`targets not up: ${JSON.stringify(down)}`);
      },
      {
        what: 'Prometheus scraping the four targets of the documented configuration',
        timeoutMs: 60_000,
        context: () => prometheus.output(),
      },
    );
    for (const node of cluster.nodes) {
      exposed.set(`${node.name} app`, await scrape(node.appMetricsUrl));
      exposed.set(`${node.name} sync`, await scrape(node.syncMetricsUrl));
    }
  });
  afterAll(async () => {
    await prometheus?.stop();
    await cluster?.stop();
  });

  it('serves app and sync metrics on their own ports of every node, in a format promtool check metrics accepts', () => {
    expect([...exposed.keys()].sort()).toEqual(['node-1 app', 'node-1 sync', 'node-2 app', 'node-2 sync']);
    for (const [source, text] of exposed) {
      const lint = promtool(['check', 'metrics'], text);
      const findings = lint.output.split('\n').filter((line) => line.trim() !== '');
      const accepted = acceptedLintFindings(source.endsWith('app') ? 'msk_app_' : 'msk_sync_');
      expect({ source, findings: findings.filter((f) => !accepted.includes(f)) }).toEqual({ source, findings: [] });
      // promtool exits 3 for lint findings, 1 for text it cannot parse.
      expect({ source, status: lint.status }).toEqual({ source, status: findings.length === 0 ? 0 : 3 });
    }
    const app = exposed.get('node-1 app') as string;
    expect(app).toMatch(/^msk_app_ready 1$/m);
    expect(app).toMatch(/^msk_app_sign_ins_total\{result="success"\} [1-9]/m);
    expect(app).toMatch(/^msk_app_sign_ins_total\{result="failure"\} [1-9]/m);
    expect(app).toMatch(/^msk_app_sessions_refused_total\{reason="bad-cookie"\} [1-9]/m);
    expect(app).toMatch(/^msk_app_sessions_refused_total\{reason="stale-credential-stamp"\} [1-9]/m);
    expect(app).toMatch(/^msk_app_sessions_refused_total\{reason="deleted-user"\} [1-9]/m);
    expect(app).toMatch(/^msk_app_http_requests_total\{route="businesses",method="GET",status="2xx"\} [1-9]/m);
    expect(app).toMatch(/^msk_app_process_resident_memory_bytes /m);
    const sync = exposed.get('node-1 sync') as string;
    expect(sync).toMatch(/^msk_sync_peers_connected 1$/m);
    expect(sync).toMatch(/^msk_sync_peers_expected 1$/m);
    expect(sync).toMatch(/^msk_sync_config_agreement_ok 1$/m);
    expect(sync).toMatch(/^msk_sync_replication_running 1$/m);
  });

  it('labels requests only with route groups, methods and status classes, never a raw path or user data', () => {
    for (const [source, text] of exposed) {
      if (!source.endsWith('app')) continue;
      expect(text).not.toContain(cluster.admin.email);
      expect(text).not.toContain('forged.cookie');
      for (const match of text.matchAll(
        /^msk_app_http_requests_total\{route="([^"]*)",method="([^"]*)",status="([^"]*)"\}/gm,
      )) {
        expect(match[1]).toMatch(/^[a-z-]+$/);
        expect(match[3]).toMatch(/^([1-5]xx|other)$/);
      }
    }
  });

  it("exposes every metric name the alert rules and the dashboard use (names from Prometheus' own parse of each query)", async () => {
    const names = new Set([...PROMETHEUS_OWN_SERIES]);
    for (const text of exposed.values()) for (const name of exposedMetricNames(text)) names.add(name);
    const missing: string[] = [];
    let selectorsSeen = 0;
    for (const { where, expr } of [
      ...rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
      ...dashboard.map((q) => ({ where: `panel "${q.panel}" ${q.refId}`, expr: q.expr })),
    ]) {
      const selectors = await prometheus.selectors(expr);
      expect({ where, selectors: selectors.length > 0 }).toEqual({ where, selectors: true });
      selectorsSeen += selectors.length;
      for (const selector of selectors) if (!names.has(selector.name)) missing.push(`${where}: ${selector.name}`);
    }
    expect(missing).toEqual([]);
    expect(selectorsSeen).toBeGreaterThan(rules.length + dashboard.length);
  });

  it('evaluates every dashboard query; each one whose series exist returns data', async () => {
    // Two minutes of 1 s scrapes are not needed: rate() over [5m] needs two samples of a series.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const problems: string[] = [];
    let withData = 0;
    for (const query of dashboard) {
      const result = await prometheus.api<{ result: unknown[] }>('/api/v1/query', { query: query.expr });
      if (result.status !== 'success') {
        problems.push(`panel "${query.panel}" ${query.refId}: ${result.error}`);
        continue;
      }
      let seriesExist = true;
      for (const selector of await prometheus.selectors(query.expr)) {
        const count = await prometheus.api<{ result: unknown[] }>('/api/v1/query', {
          query: `count(${selectorText(selector)})`,
        });
        if (count.data.result.length === 0) seriesExist = false;
      }
      if (result.data.result.length > 0) withData += 1;
      else if (seriesExist)
        problems.push(`panel "${query.panel}" ${query.refId}: no data although its series exist: ${query.expr}`);
    }
    expect(problems).toEqual([]);
    // Most panels show data on a fresh cluster; the rest wait for events (conflicts, failures, 5xx).
    expect(withData).toBeGreaterThan(dashboard.length * 0.7);
  });

  it('evaluates every alert rule without error, and none is active on the healthy cluster', async () => {
    const groups = await prometheus.api<{
      groups: { rules: { name: string; health: string; lastError?: string }[] }[];
    }>('/api/v1/rules');
    const loaded = groups.data.groups.flatMap((g) => g.rules);
    expect(loaded.map((r) => r.name).sort()).toEqual(rules.map((r) => r.alert).sort());
    await eventually(
      async () => {
        const unhealthy = (
          await prometheus.api<{ groups: { rules: { name: string; health: string; lastError?: string }[] }[] }>(
            '/api/v1/rules',
          )
        ).data.groups
          .flatMap((g) => g.rules)
          .filter((r) => r.health !== 'ok');
        if (unhealthy.length > 0) throw new Error(`rules not evaluated cleanly: ${JSON.stringify(unhealthy)}`);
      },
      { what: 'every rule evaluated', timeoutMs: 30_000 },
    );
    expect(await activeAlerts(prometheus)).toEqual([]);
  });

  it('runs the scrape commands docs/monitoring.md shows, against node 1', () => {
    const commands = docsCommands('docs/monitoring.md', 'scrape-one-node').map((c) =>
      c.replaceAll('127.0.0.2', cluster.nodes[0]?.host as string),
    );
    const output = execFileSync('bash', ['-euo', 'pipefail', '-c', commands.join('\n')], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(output).toMatch(/^msk_app_ready 1$/m);
    expect(output).toMatch(/^msk_sync_peers_connected 1$/m);
    expect(output).toMatch(/^msk_sync_peers_expected 1$/m);
  });

  it('makes the down alerts of the stopped node and "peers missing" on the other pending when a node stops', async () => {
    const [node1, node2] = cluster.nodes;
    await cluster.stopNode(2);
    const alerts = await eventually(
      async () => {
        const active = (await activeAlerts(prometheus)).map((a) => `${a.labels.alertname} ${a.labels.instance}`);
        for (const wanted of [
          `MskSyncDown ${node2?.host}:9465`,
          `MskAppDown ${node2?.host}:9464`,
          `MskSyncPeersMissing ${node1?.host}:9465`,
        ]) {
          if (!active.includes(wanted)) throw new Error(`${wanted} not active yet: ${JSON.stringify(active)}`);
        }
        return active;
      },
      { what: 'the alerts of a stopped node', timeoutMs: 60_000 },
    );
    // Node 1 alone is not "isolated": the other sync service is not scraped any more.
    expect(alerts.filter((a) => a.startsWith('MskSyncIsolated'))).toEqual([]);
  });
});
