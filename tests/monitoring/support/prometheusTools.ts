/**
 * promtool and the Prometheus server that .ci/monitoring/build.sh built from upstream source (never a binary a
 * machine happens to have), and what the tests ask of them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPOSITORY_ROOT } from '../../support/docsCommands';

export const RULES_FILE = join(REPOSITORY_ROOT, 'charts/multi-server-kit/files/prometheus-rules.yaml');
export const RULES_TEST_FILE = join(REPOSITORY_ROOT, 'charts/multi-server-kit/files/prometheus-rules.test.yaml');
export const DASHBOARD_FILE = join(REPOSITORY_ROOT, 'charts/multi-server-kit/files/grafana-dashboard.json');
const BUILD_SCRIPT = join(REPOSITORY_ROOT, '.ci/monitoring/build.sh');

export function prometheusBinaries(): { promtool: string; prometheus: string } {
  const dir = execFileSync('bash', [BUILD_SCRIPT, '--print-dir'], { encoding: 'utf8' }).trim();
  if (!existsSync(join(dir, '.complete'))) {
    throw new Error(`promtool is not built for this checkout (${dir} missing): run .ci/monitoring/build.sh`);
  }
  return { promtool: join(dir, 'bin', 'promtool'), prometheus: join(dir, 'bin', 'prometheus') };
}

export interface ToolRun {
  readonly status: number | null;
  readonly output: string;
}

export function promtool(args: readonly string[], input?: string): ToolRun {
  const run = spawnSync(prometheusBinaries().promtool, args, {
    encoding: 'utf8',
    input,
    timeout: 120_000,
    cwd: REPOSITORY_ROOT,
  });
  return { status: run.status, output: `${run.stdout ?? ''}${run.stderr ?? ''}` };
}

/** One query of the dashboard, with where it sits. */
export interface DashboardQuery {
  readonly panel: string;
  readonly refId: string;
  readonly expr: string;
}

interface DashboardPanel {
  readonly title?: string;
  readonly targets?: readonly { refId?: string; expr?: string }[];
  readonly panels?: readonly DashboardPanel[];
}

export function dashboardQueries(dashboard: { panels?: readonly DashboardPanel[] }): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  const walk = (panels: readonly DashboardPanel[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        if (typeof target.expr === 'string')
          queries.push({ panel: panel.title ?? '(untitled)', refId: target.refId ?? '?', expr: target.expr });
      }
      walk(panel.panels ?? []);
    }
  };
  walk(dashboard.panels ?? []);
  return queries;
}

/** The alert rules of the rule file: name and expression. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
}

export function alertRules(ruleFile: {
  groups?: readonly { rules?: readonly Record<string, unknown>[] }[];
}): AlertRule[] {
  return (ruleFile.groups ?? []).flatMap((group) =>
    (group.rules ?? [])
      .filter((rule) => typeof rule.alert === 'string')
      .map((rule) => ({
        alert: rule.alert as string,
        expr: String(rule.expr),
        annotations: (rule.annotations ?? {}) as Record<string, string>,
        labels: (rule.labels ?? {}) as Record<string, string>,
      })),
  );
}

const SERIES_SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/**
 * Metric names in Prometheus' text exposition, as PromQL sees them (a histogram as its _bucket/_sum/_count): every
 * family the process declares with `# TYPE`, whether or not it has a sample yet (a labelled counter such as
 * rejected requests by reason has none until the first event), plus every sample's name.
 */
export function exposedMetricNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const declared = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/.exec(line);
    if (declared) {
      for (const suffix of SERIES_SUFFIXES[declared[2] as string] ?? ['']) names.add(`${declared[1]}${suffix}`);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{|\s)/.exec(line);
    if (sample) names.add(sample[1] as string);
  }
  return names;
}

/**
 * What `promtool check metrics` says about prom-client's own Node.js process metrics, which we do not name: three
 * gauges that end in _total. Anything else it finds is ours to fix.
 */
export function acceptedLintFindings(prefix: string): string[] {
  return ['active_handles_total', 'active_requests_total', 'active_resources_total'].map(
    (name) => `${prefix}nodejs_${name} non-counter metrics should not have "_total" suffix`,
  );
}
