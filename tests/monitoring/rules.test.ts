/**
 * The alert rules as Prometheus itself reads them: `promtool check rules` (syntax, templates, PromQL) and
 * `promtool test rules` (prometheus-rules.test.yaml: each alert firing and not firing, with its annotations).
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { docsCommands } from '../support/docsCommands';
import { REPOSITORY_ROOT } from '../support/docsCommands';
import { RULES_FILE, RULES_TEST_FILE, alertRules, promtool } from './support/prometheusTools';
import { execFileSync } from 'node:child_process';

const rules = alertRules(parse(readFileSync(RULES_FILE, 'utf8')));

interface RuleTestFile {
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}

describe('the Prometheus alert rules (charts/multi-server-kit/files/prometheus-rules.yaml)', () => {
  it('pass promtool check rules, alerts for every topic the issue names', () => {
    const check = promtool(['check', 'rules', RULES_FILE]);
    expect(check.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(check.status).toBe(0);
    const names = rules.map((r) => r.alert);
    for (const topic of [
      'MskSyncPeersMissing',
      'MskSyncConfigurationOddOneOut',
      'MskSyncReplicationLag',
      'MskSyncClockSkew',
      'MskSyncConflicts',
      'MskSyncDown',
      'MskAppDown',
    ]) {
      expect(names).toContain(topic);
    }
    expect(new Set(names).size).toBe(names.length);
  });

  it('pass promtool test rules: every alert fires in one case and stays silent in another', () => {
    const run = promtool(['test', 'rules', RULES_TEST_FILE]);
    expect(run.output).toMatch(/SUCCESS/);
    expect(run.status).toBe(0);
    const cases = (parse(readFileSync(RULES_TEST_FILE, 'utf8')) as RuleTestFile).tests.flatMap(
      (t) => t.alert_rule_test ?? [],
    );
    for (const { alert } of rules) {
      const own = cases.filter((c) => c.alertname === alert);
      expect({ alert, fires: own.some((c) => (c.exp_alerts ?? []).length > 0) }).toEqual({ alert, fires: true });
      expect({ alert, silent: own.some((c) => (c.exp_alerts ?? []).length === 0) }).toEqual({ alert, silent: true });
    }
  });

  it('fails promtool test rules when an expectation is wrong (the unit tests can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'msk-rules-'));
    copyFileSync(RULES_FILE, join(dir, 'prometheus-rules.yaml'));
    const broken = readFileSync(RULES_TEST_FILE, 'utf8').replace(
      'exp_labels: { severity: warning, job: msk-sync, instance: n2 }',
      'exp_labels: { severity: warning, job: msk-sync, instance: n1 }',
    );
    expect(broken).not.toBe(readFileSync(RULES_TEST_FILE, 'utf8'));
    writeFileSync(join(dir, 'prometheus-rules.test.yaml'), broken);
    const run = promtool(['test', 'rules', join(dir, 'prometheus-rules.test.yaml')]);
    expect(run.status).toBe(1);
    expect(run.output).toMatch(/FAILED/);
    expect(run.output).toContain('MskSyncPeersMissing');
  });

  it('gives every alert a severity, a summary, a description and a runbook section in docs/monitoring.md', () => {
    const page = readFileSync(join(REPOSITORY_ROOT, 'docs/monitoring.md'), 'utf8');
    const anchors = new Set(
      [...page.matchAll(/^#{2,4} (.+)$/gm)].map((m) =>
        (m[1] as string)
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    for (const rule of rules) {
      expect({
        alert: rule.alert,
        severity: ['critical', 'warning', 'info'].includes(rule.labels.severity ?? ''),
      }).toEqual({ alert: rule.alert, severity: true });
      expect(rule.annotations.summary?.length).toBeGreaterThan(10);
      expect(rule.annotations.description?.length).toBeGreaterThan(20);
      const [file, anchor] = (rule.annotations.runbook ?? '').split('#');
      expect({ alert: rule.alert, file, anchorFound: anchors.has(anchor ?? '') }).toEqual({
        alert: rule.alert,
        file: 'docs/monitoring.md',
        anchorFound: true,
      });
    }
  });

  it('runs the promtool commands docs/monitoring.md shows', () => {
    const output = execFileSync(
      'bash',
      ['-euo', 'pipefail', '-c', docsCommands('docs/monitoring.md', 'promtool-check').join('\n')],
      {
        cwd: REPOSITORY_ROOT,
        encoding: 'utf8',
        timeout: 600_000,
      },
    );
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(output).toMatch(/Processing test file: .*prometheus-rules\.test\.yaml\n\s+SUCCESS/);
  });
});
