/**
 * How Helm logic gets into YAML written by a YAML library: a field that should become template text first holds
 * a unique marker string; once the object is written, every marker is swapped for its template text.
 *
 * - scalar markers stand for a value (`replicas: {{ .Values.replicaCount }}`);
 * - entry markers stand for a whole `key: value` line of a mapping and are replaced by template lines at that
 *   line's indentation (`{{- with .Values.nodeSelector }}` blocks, `if`/`else` alternatives, label includes);
 * - item markers stand for a whole `- item` line of a sequence, replaced the same way (conditional list items).
 *
 * Replacement runs until no marker is left, so a block's content may itself hold markers.
 */
import { stringify } from 'yaml';

/** Renders template lines for the marker's line; `indent` is that line's leading spaces, `key` its mapping key. */
export type LineRenderer = (indent: string, key: string) => string;

const SCALAR = /mskhelmscalar\d{5}x/g;
const ENTRY_LINE = /^( *)(- )?([^\s:'"][^:\n]*): (mskhelmline\d{5}x)$/gm;
const ITEM_LINE = /^( *)- (mskhelmline\d{5}x)$/gm;
const ANY_MARKER = /mskhelm(scalar|line)\d{5}x/;

export class TemplateMarkers {
  private readonly scalars = new Map<string, string>();
  private readonly lines = new Map<string, LineRenderer>();
  private count = 0;

  private next(kind: 'scalar' | 'line'): string {
    this.count += 1;
    return `mskhelm${kind}${String(this.count).padStart(5, '0')}x`;
  }

  /** A value written as template text, e.g. `{{ .Values.replicaCount }}` or `"{{ .Release.Namespace }}/x"`. */
  scalar(template: string): string {
    const marker = this.next('scalar');
    this.scalars.set(marker, template);
    return marker;
  }

  /** A mapping entry or sequence item replaced by the renderer's lines. */
  line(render: LineRenderer): string {
    const marker = this.next('line');
    this.lines.set(marker, render);
    return marker;
  }

  /** YAML text of `value` (which may hold markers), indented by `indent`, markers NOT yet replaced. */
  static yamlAt(value: unknown, indent: string): string {
    return stringify(value, { lineWidth: 0 })
      .replace(/\n$/, '')
      .split('\n')
      .map((line) => indent + line)
      .join('\n');
  }

  /** Replaces every marker in `text`; fails on one it does not know or one left in an unsupported position. */
  replaceIn(text: string): string {
    let current = text;
    for (let round = 0; round < 20 && ANY_MARKER.test(current); round += 1) {
      current = current
        .replace(ENTRY_LINE, (_, indent: string, dash: string | undefined, key: string, marker: string) => {
          if (dash) throw new Error(`a line marker is the first key of a list item (${key}); put it after another key`);
          return this.render(marker, indent, key);
        })
        .replace(ITEM_LINE, (_, indent: string, marker: string) => this.render(marker, indent, ''))
        .replace(SCALAR, (marker) => {
          const template = this.scalars.get(marker);
          if (template === undefined) throw new Error(`unknown template marker ${marker}`);
          return template;
        });
    }
    const left = ANY_MARKER.exec(current);
    if (left)
      throw new Error(`template marker ${left[0]} was left in a position it cannot be replaced from:\n${current}`);
    return current;
  }

  private render(marker: string, indent: string, key: string): string {
    const render = this.lines.get(marker);
    if (!render) throw new Error(`unknown template marker ${marker}`);
    return render(indent, key);
  }
}

/** `{{- with <expression> }}` → `key:` and the value as YAML; nothing when the value is empty. */
export function withValue(expression: string): LineRenderer {
  return (indent, key) =>
    [
      `${indent}{{- with ${expression} }}`,
      `${indent}${key}:`,
      `${indent}  {{- toYaml . | nindent ${indent.length + 2} }}`,
      `${indent}{{- end }}`,
    ].join('\n');
}

/** `{{- with <expression> }}` → `key: <value>` for a scalar; nothing when empty. */
export function withScalar(expression: string, pipeline = 'quote'): LineRenderer {
  return (indent, key) =>
    [`${indent}{{- with ${expression} }}`, `${indent}${key}: {{ . | ${pipeline} }}`, `${indent}{{- end }}`].join('\n');
}

/** The entry (or list item) `content` only when `condition` holds. */
export function when(condition: string, content: unknown): LineRenderer {
  return (indent, key) =>
    [
      `${indent}{{- if ${condition} }}`,
      TemplateMarkers.yamlAt(key === '' ? [content] : { [key]: content }, indent),
      `${indent}{{- end }}`,
    ].join('\n');
}

/** `key: <yaml of the expression>` when the expression is non-empty, else `key: <fallback content>`. */
export function valueOr(expression: string, fallback: unknown): LineRenderer {
  return (indent, key) =>
    [
      `${indent}{{- with ${expression} }}`,
      `${indent}${key}:`,
      `${indent}  {{- toYaml . | nindent ${indent.length + 2} }}`,
      `${indent}{{- else }}`,
      TemplateMarkers.yamlAt({ [key]: fallback }, indent),
      `${indent}{{- end }}`,
    ].join('\n');
}

/** `key: <a>` when `condition` holds, else `key: <b>`. */
export function either(condition: string, whenTrue: unknown, whenFalse: unknown): LineRenderer {
  return (indent, key) =>
    [
      `${indent}{{- if ${condition} }}`,
      TemplateMarkers.yamlAt({ [key]: whenTrue }, indent),
      `${indent}{{- else }}`,
      TemplateMarkers.yamlAt({ [key]: whenFalse }, indent),
      `${indent}{{- end }}`,
    ].join('\n');
}

/** Lines spliced into the mapping from a named template (`{{- include "x" $ | nindent N }}`), the key ignored. */
export function include(template: string): LineRenderer {
  return (indent) => `${indent}{{- include "${template}" $ | nindent ${indent.length} }}`;
}

/** Lines spliced into the mapping from a values map (`{{- with .Values.podLabels }}{{ toYaml . }}`), the key ignored. */
export function spliceValue(expression: string): LineRenderer {
  return (indent) =>
    [
      `${indent}{{- with ${expression} }}`,
      `${indent}{{- toYaml . | nindent ${indent.length} }}`,
      `${indent}{{- end }}`,
    ].join('\n');
}
