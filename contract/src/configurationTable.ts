import { VARIABLES, type Scope } from './variables';

const SCOPE_WORDS: Record<Scope, string> = {
  shared: '**SAME** on every node',
  unique: '**UNIQUE** per node',
  'per-node': 'per node (may differ)',
  setting: 'setting (usually the same)',
};

export const TABLE_BEGIN =
  '<!-- configuration-table:begin (generated from contract/src/variables.ts by `npm run docs:env`) -->';
export const TABLE_END = '<!-- configuration-table:end -->';

/** The configuration table of docs/configuration.md: the setup guide's SAME / UNIQUE / DIFFERENT table, made exact. */
export function configurationTable(): string {
  const rows = VARIABLES.map((v) => {
    const fallback =
      v.default === undefined
        ? v.requiredBy.length > 0
          ? 'required'
          : '—'
        : v.default === ''
          ? '(empty)'
          : `\`${v.default}\``;
    return `| \`${v.name}\` | ${SCOPE_WORDS[v.scope]} | ${v.secret ? 'yes' : ''} | ${v.readBy.join(', ')} | ${fallback} | ${v.help.replace(/\|/g, '\\|')} |`;
  });
  return [
    TABLE_BEGIN,
    '| variable | scope | secret | read by | default | what it is |',
    '|---|---|---|---|---|---|',
    ...rows,
    TABLE_END,
  ].join('\n');
}

/** The page that holds the generated table, relative to the repository root. */
export const CONFIGURATION_PAGE = 'docs/configuration.md';

/** Replaces the table between the markers of the configuration page's text. */
export function withConfigurationTable(page: string): string {
  const begin = page.indexOf(TABLE_BEGIN);
  const end = page.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`${CONFIGURATION_PAGE} has no configuration-table markers`);
  return page.slice(0, begin) + configurationTable() + page.slice(end + TABLE_END.length);
}
