import { paint, type Paint } from '../cliConventions/colour';
import { comparisonTable, type Finding, type ServerEnvironment } from './diagnose';

export interface DoctorReport {
  readonly servers: readonly string[];
  readonly findings: readonly Finding[];
  readonly errors: number;
  readonly warnings: number;
  readonly comparison: ReturnType<typeof comparisonTable>;
}

export function buildReport(servers: readonly ServerEnvironment[], findings: readonly Finding[]): DoctorReport {
  return {
    servers: servers.map((s) => s.label),
    findings,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
    comparison: comparisonTable(servers),
  };
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** The report for a person; `colour` only when stdout is a terminal (see cliConventions/colour). */
export function renderReport(report: DoctorReport, colour: Paint = paint(false)): string {
  const out: string[] = [`doctor: checked ${report.servers.length} server(s): ${report.servers.join(', ')}`, ''];
  if (report.servers.length === 1) out.push("note: pass every server's file to compare them with each other", '');
  for (const f of report.findings) {
    out.push(
      `${f.severity === 'error' ? colour.red('ERROR  ') : colour.yellow('WARNING')} ${colour.bold(f.variable)}  [${f.where.join(', ')}]`,
    );
    out.push(`        ${f.message}`);
    out.push(`        fix: ${f.fix}`);
    out.push('');
  }
  const widths = [
    Math.max(...report.comparison.map((r) => r.variable.length), 8),
    ...report.servers.map((label, i) =>
      Math.min(40, Math.max(label.length, ...report.comparison.map((r) => r.values[i]?.length ?? 0))),
    ),
  ];
  out.push(
    'Values side by side (secrets as fingerprints; passwords as kfp: keyed for this run only, comparable within this report):',
  );
  out.push(
    '  ' +
      [pad('variable', widths[0] as number), ...report.servers.map((s, i) => pad(s, widths[i + 1] as number))].join(
        '  ',
      ),
  );
  for (const row of report.comparison) {
    out.push(
      '  ' +
        [pad(row.variable, widths[0] as number), ...row.values.map((v, i) => pad(v, widths[i + 1] as number))].join(
          '  ',
        ),
    );
  }
  out.push('');
  out.push(
    report.errors === 0 && report.warnings === 0
      ? colour.green('OK: no problems found.')
      : `${report.errors > 0 ? colour.red(`${report.errors} error(s)`) : `${report.errors} error(s)`}, ${report.warnings} warning(s).${report.errors > 0 ? ' Fix the errors: this configuration breaks sessions or peers.' : ''}`,
  );
  return out.join('\n');
}
