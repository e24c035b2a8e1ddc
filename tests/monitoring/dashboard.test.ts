/**
 * The Grafana dashboard: valid JSON, its data source a variable, and every query valid PromQL as promtool parses
 * it (each becomes a recording rule of a throw-away rule file for `promtool check rules`).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DASHBOARD_FILE, dashboardQueries, promtool } from './support/prometheusTools';

interface Panel {
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  targets?: { datasource?: { type?: string; uid?: string }; expr?: string }[];
}

const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: string }[] };
};
const queries = dashboardQueries(dashboard);

function checkRules(exprs: readonly string[]): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'msk-dashboard-'));
  const file = join(dir, 'dashboard-queries.yaml');
  writeFileSync(
    file,
    stringify({
      groups: [{ name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr })) }],
    }),
  );
  return promtool(['check', 'rules', file]);
}

describe('the Grafana dashboard (charts/multi-server-kit/files/grafana-dashboard.json)', () => {
  it('asks for its Prometheus data source as the variable "datasource" and uses it in every panel and query', () => {
    expect(dashboard.uid).toBe('multi-server-kit');
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    const dataPanels = dashboard.panels.filter((p) => p.type !== 'row');
    expect(dataPanels.length).toBeGreaterThan(20);
    for (const panel of dataPanels) {
      expect({ panel: panel.title, datasource: panel.datasource }).toEqual({
        panel: panel.title,
        datasource: { type: 'prometheus', uid: '${datasource}' },
      });
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.datasource?.uid).toBe('${datasource}');
    }
    expect(JSON.stringify(dashboard)).not.toMatch(/"uid":\s*"(?!\$\{datasource\}|multi-server-kit)[^"]+"/);
  });

  it('has only queries promtool accepts', () => {
    expect(queries.length).toBeGreaterThan(30);
    const check = checkRules(queries.map((q) => q.expr));
    expect(check.output).toContain(`SUCCESS: ${queries.length} rules found`);
    expect(check.status).toBe(0);
  });

  it('would catch a broken query (the check can fail)', () => {
    const check = checkRules(['sum by (instance) (rate(msk_app_http_requests_total[5m])']);
    expect(check.status).toBe(1);
    expect(check.output).toMatch(/parse error|unclosed/i);
  });
});
