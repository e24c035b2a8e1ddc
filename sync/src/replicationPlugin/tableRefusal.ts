/**
 * The start-up check's verdict on the configured tables (tableCheck.ts) as the running service keeps it: in the
 * metrics, in the log when it changes, in the status and in readiness while replication refuses the tables.
 */
import { type TableProblem, formatTableProblem } from '@msk/replication';
import type { SyncServiceApi } from '../service/plugin';
import type { ReplicationMetrics } from './replicationMetrics';
import { refusalSummary } from './tableCheck';

export interface TableRefusalVerdict {
  readonly problems: readonly TableProblem[];
  readonly checkedAt: string;
}

export class TableRefusal {
  /** What the check found wrong with the configured tables; null: nothing (or not checked yet). */
  private refusal: TableRefusalVerdict | null = null;

  constructor(
    private readonly api: SyncServiceApi,
    private readonly metrics: ReplicationMetrics,
    private readonly tables: readonly string[],
  ) {}

  get verdict(): TableRefusalVerdict | null {
    return this.refusal;
  }

  /** Why the node is not ready (empty: the tables are not refused). */
  notReady(): string[] {
    return this.refusal ? [refusalSummary(this.refusal.problems)] : [];
  }

  /** Records one check's problems; true: the tables are refused. */
  record(problems: readonly TableProblem[]): boolean {
    this.metrics.schemaProblems.reset();
    for (const problem of problems) this.metrics.schemaProblems.inc({ table: problem.table, kind: problem.kind });
    this.metrics.schemaRefused.set(problems.length > 0 ? 1 : 0);
    if (problems.length === 0) {
      if (this.refusal)
        this.api.logger.info({ tables: this.tables }, 'the replicated tables fit now: replication starts');
      this.refusal = null;
      return false;
    }
    const changed = JSON.stringify(this.refusal?.problems) !== JSON.stringify(problems);
    this.refusal = { problems, checkedAt: new Date(this.api.now()).toISOString() };
    if (changed) {
      this.api.logger.error(
        { problems: problems.map((p) => ({ table: p.table, kind: p.kind, problem: p.message, fix: p.fix })) },
        `${refusalSummary(problems)}: ${problems.map(formatTableProblem).join(' | ')}`,
      );
    }
    return true;
  }
}
