export type Severity = 'error' | 'warning';

/** One thing wrong with a configuration: which variable, what, and how to fix it. Never carries a secret. */
export interface Problem {
  readonly severity: Severity;
  readonly variable: string;
  readonly message: string;
  readonly fix: string;
}

export function formatProblem(problem: Problem): string {
  return `${problem.severity === 'error' ? 'error' : 'warning'}: ${problem.variable} ${problem.message}. Fix: ${problem.fix}.`;
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}
