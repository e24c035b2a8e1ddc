/**
 * Reads a `.env`-style file the way operators write them (the setup guide's `.env.local`): `KEY=value`,
 * optional `export `, double or single quotes, `#` comments on their own line or after a value.
 * Unlike dotenv it keeps line numbers and does not trim unquoted values, so `doctor` can point at the exact line
 * and report whitespace that some loaders keep and others strip.
 */
export interface EnvEntry {
  readonly key: string;
  readonly value: string;
  readonly line: number;
  /** The value was written inside quotes (which are syntax here, not part of the value). */
  readonly quoted: boolean;
}

export interface EnvSyntaxError {
  readonly line: number;
  readonly message: string;
}

export interface ParsedEnvFile {
  readonly entries: readonly EnvEntry[];
  readonly errors: readonly EnvSyntaxError[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

function unescapeDoubleQuoted(text: string): string {
  return text.replace(/\\([nrt"\\$])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
}

export function parseEnvFile(text: string): ParsedEnvFile {
  const entries: EnvEntry[] = [];
  const errors: EnvSyntaxError[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.replace(/^\s+/, '');
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const body = trimmed.startsWith('export ') ? trimmed.slice('export '.length).replace(/^\s+/, '') : trimmed;
    const eq = body.indexOf('=');
    if (eq < 0) {
      errors.push({ line, message: 'is not KEY=value' });
      return;
    }
    const key = body.slice(0, eq).trim();
    if (!KEY.test(key)) {
      errors.push({ line, message: `has an invalid variable name "${key.slice(0, 40)}"` });
      return;
    }
    const rest = body.slice(eq + 1);
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      let close = 1;
      while (close < rest.length && rest[close] !== quote) close += quote === '"' && rest[close] === '\\' ? 2 : 1;
      if (close >= rest.length) close = -1;
      if (close < 0) {
        errors.push({ line, message: `${key} opens a ${quote} quote that is never closed on this line` });
        return;
      }
      const after = rest.slice(close + 1).trim();
      if (after !== '' && !after.startsWith('#')) {
        errors.push({ line, message: `${key} has text after its closing quote` });
        return;
      }
      const inner = rest.slice(1, close);
      entries.push({ key, value: quote === '"' ? unescapeDoubleQuoted(inner) : inner, line, quoted: true });
      return;
    }
    // Unquoted: an inline comment starts at " #"; everything before it is the value, trailing spaces included.
    const comment = rest.search(/\s#/);
    const value = comment >= 0 ? rest.slice(0, comment) : rest;
    entries.push({ key, value, line, quoted: false });
  });
  return { entries, errors };
}

/** Formats variables as an env file: values are written unquoted when safe, so every loader reads the same. */
export function formatEnvFile(header: readonly string[], values: ReadonlyArray<readonly [string, string]>): string {
  const lines = header.map((h) => (h === '' ? '' : `# ${h}`));
  for (const [key, value] of values) {
    // Unquoted whenever safe (inner single spaces too): `docker run --env-file` keeps quotes literally.
    if (/^[A-Za-z0-9_./:@+=,-]*(?: [A-Za-z0-9_./:@+=,-]+)*$/.test(value)) lines.push(`${key}=${value}`);
    else lines.push(`${key}="${value.replace(/["\\$]/g, (c) => '\\' + c)}"`);
  }
  return lines.join('\n') + '\n';
}
