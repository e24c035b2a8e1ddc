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
  const run = spawnSync(prometheusBinaries().promtool, args, { encoding: 'utf8', input, timeout: 120_000, cwd: REPOSITORY_ROOT });
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
        if (typeof target.expr === 'string') queries.push({ panel: panel.title ?? '(untitled)', refId: target.refId ?? '?', expr: target.expr });
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

export function alertRules(ruleFile: { groups?: readonly { rules?: readonly Record<string, unknown>[] }[] }): AlertRule[] {
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

/** Metric names in Prometheus' text exposition (sample lines, so histograms give their _bucket/_sum/_count). */
export function exposedMetricNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{|\s)/.exec(line);
    if (match) names.add(match[1] as string);
  }
  return names;
}
