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

/** What a schema library's refusal carries (zod's ZodError has this shape): where, and what. */
export interface SchemaIssues {
  readonly issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[];
}

/**
 * A refusal of untrusted input as "path: message; ..." naming its first `max` fields (never their values);
 * `root` names a problem with the whole document.
 */
export function namedIssues(error: SchemaIssues, root = '(body)', max = 5): string {
  return error.issues
    .slice(0, max)
    .map((issue) => `${issue.path.map(String).join('.') || root}: ${issue.message}`)
    .join('; ');
}
