/**
 * A deliberately tiny stand-in for `helm template`, used by tests because helm cannot be installed here. It
 * understands exactly the template actions helmChart.ts emits — `{{ .Values.a.b }}`, `{{ .Release.Namespace }}`,
 * each optionally followed by `| quote` — and throws on anything else, so a template it cannot render faithfully
 * never passes silently.
 */

export interface RenderContext {
  readonly values: unknown;
  readonly releaseNamespace: string;
}

const ACTION = /\{\{\s*(.*?)\s*\}\}/g;
const EXPRESSION = /^(\.Values(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.Release\.Namespace)(\s*\|\s*quote)?$/;
/** What Go's %q (Helm's `quote`) and JSON agree on: printable ASCII. */
const QUOTABLE = /^[\x20-\x7e]*$/;

function lookup(path: string, context: RenderContext): string {
  if (path === '.Release.Namespace') return context.releaseNamespace;
  const keys = path.split('.').slice(2);
  let node: unknown = context.values;
  for (const key of keys) {
    if (node === null || typeof node !== 'object' || !(key in node)) throw new Error(`${path} is not set in the values`);
    node = (node as Record<string, unknown>)[key];
  }
  if (typeof node !== 'string' && typeof node !== 'number' && typeof node !== 'boolean') {
    throw new Error(`${path} is not a scalar value`);
  }
  return String(node);
}

export function renderTemplate(template: string, context: RenderContext): string {
  return template.replace(ACTION, (action, expression: string) => {
    const match = EXPRESSION.exec(expression);
    if (!match) throw new Error(`unsupported template action ${action}: this renderer only knows .Values / .Release.Namespace [| quote]`);
    const value = lookup(match[1] as string, context);
    if (!match[2]) return value;
    if (!QUOTABLE.test(value)) throw new Error(`cannot quote ${JSON.stringify(value)} like Helm would (non-printable or non-ASCII)`);
    return JSON.stringify(value);
  });
}
