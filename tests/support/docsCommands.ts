// The docs' shell commands, read from the pages themselves so a test runs exactly what a reader copies.
//
// Convention (docs/testing-and-ci.md, "The docs are tested"): every shell block (```bash, sh, shell, zsh, console)
// in README.md and docs/**/*.md is preceded by a marker line
//   <!-- docs-command: some-id -->
// and a test (or a script `.ci/run` calls) reads it with docsCommands('docs/page.md', 'some-id') and runs it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const REPOSITORY_ROOT = join(__dirname, '..', '..');

export const SHELL_LANGUAGES: ReadonlySet<string> = new Set(['bash', 'sh', 'shell', 'zsh', 'console']);
const MARKER = /^<!--\s*docs-command:\s*([a-z0-9][a-z0-9-]*)\s*-->\s*$/;

export interface DocsCommandBlock {
  /** Repository-relative path of the page. */
  readonly page: string;
  /** The marker's id, or null when the block has none. */
  readonly id: string | null;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** Command lines: backslash continuations joined, blank and comment-only lines dropped. */
  readonly commands: readonly string[];
}

/** Every shell block of one page (path relative to the repository root). */
export function docsCommandBlocks(page: string): DocsCommandBlock[] {
  return parseDocsCommandBlocks(page, readFileSync(join(REPOSITORY_ROOT, page), 'utf8'));
}

/** A fenced code block: its info string's first word (the language, lowercase) and its lines. */
export interface FencedBlock {
  readonly language: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly body: readonly string[];
}

/**
 * Every fenced block of a Markdown text (``` or ~~~, up to three spaces of indentation, closed by the same
 * character at least as many times). An unclosed fence runs to the end, as CommonMark says.
 */
export function fencedBlocks(text: string): FencedBlock[] {
  const lines = text.split('\n');
  const blocks: FencedBlock[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[index]);
    if (!open) continue;
    const fence = open[1];
    const close = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    const start = index;
    const body: string[] = [];
    for (index += 1; index < lines.length && !close.test(lines[index]); index += 1) body.push(lines[index]);
    blocks.push({ language: open[2].toLowerCase(), line: start + 1, body });
  }
  return blocks;
}

/** The shell blocks of a page's text, each with its marker's id (or null). */
export function parseDocsCommandBlocks(page: string, text: string): DocsCommandBlock[] {
  const lines = text.split('\n');
  return fencedBlocks(text)
    .filter((block) => SHELL_LANGUAGES.has(block.language))
    .map((block) => {
      const marker = MARKER.exec(previousNonBlank(lines, block.line - 1));
      return { page, id: marker ? marker[1] : null, line: block.line, commands: commandLines(block.body) };
    });
}

/** The commands of the block marked `<!-- docs-command: id -->` on `page`; throws when there is no such block. */
export function docsCommands(page: string, id: string): string[] {
  const block = docsCommandBlocks(page).find((candidate) => candidate.id === id);
  if (!block) throw new Error(`${page} has no shell block marked <!-- docs-command: ${id} -->`);
  return [...block.commands];
}

/** README.md and every page under docs/, repository-relative. */
export function docsPages(): string[] {
  const pages = ['README.md'];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(REPOSITORY_ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) pages.push(path);
    }
  };
  try {
    walk('docs');
  } catch {
    // no docs/ folder yet
  }
  return pages.sort();
}

function previousNonBlank(lines: readonly string[], before: number): string {
  for (let index = before - 1; index >= 0; index -= 1) if (lines[index].trim() !== '') return lines[index].trim();
  return '';
}

function commandLines(body: readonly string[]): string[] {
  const commands: string[] = [];
  let pending = '';
  for (const raw of body) {
    const line = raw.replace(/\s+$/, '');
    if (pending === '' && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    commands.push(`${pending}${line.trim()}`.trim());
    pending = '';
  }
  if (pending.trim() !== '') commands.push(pending.trim());
  return commands;
}
