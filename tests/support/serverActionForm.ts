/**
 * A Server Action form as a browser without JavaScript submits it: the hidden `$ACTION_*` fields React renders into
 * the form (they name the action by an ID only the build that rendered it knows), plus the visible fields.
 */
const ENTITIES: Record<string, string> = { '&quot;': '"', '&amp;': '&', '&#x27;': "'", '&lt;': '<', '&gt;': '>' };

/** The hidden fields of the form labelled `formLabel` (aria-label) in a server-rendered page. */
export function serverActionFields(html: string, formLabel: string): [string, string][] {
  const form = new RegExp(`<form[^>]*aria-label="${formLabel}"[^>]*>(.*?)</form>`, 's').exec(html)?.[1];
  if (!form) throw new Error(`no form "${formLabel}" in the page`);
  const unescape = (value: string) => value.replace(/&(quot|amp|#x27|lt|gt);/g, (entity) => ENTITIES[entity] ?? entity);
  return [...form.matchAll(/<input type="hidden" name="(\$ACTION_[^"]*)"(?: value="([^"]*)")?\/>/g)].map((m) => [
    m[1] as string,
    unescape(m[2] ?? ''),
  ]);
}

/** A multipart body with the form's hidden fields and `fields`. */
export function serverActionBody(hidden: readonly [string, string][], fields: Record<string, string>): FormData {
  const body = new FormData();
  for (const [name, value] of hidden) body.append(name, value);
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  return body;
}
