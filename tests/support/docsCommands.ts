// The docs' shell commands, read from the pages themselves so a test runs exactly what a reader copies.
//
// Convention: every ```bash / ```sh / ```shell block in README.md and docs/*.md is preceded by a marker line
//   <!-- docs-command: some-id -->
// and a test (or a script `.ci/run` calls) reads it with docsCommands('docs/page.md', 'some-id') and runs it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const REPOSITORY_ROOT = join(__dirname, '..', '..');

const SHELL_LANGUAGES = new Set(['bash', 'sh', 'shell']);
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
  const lines = readFileSync(join(REPOSITORY_ROOT, page), 'utf8').split('\n');
  const blocks: DocsCommandBlock[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const fence = /^```(\w*)\s*$/.exec(lines[index]);
    if (!fence) continue;
    const body: string[] = [];
    const start = index;
    for (index += 1; index < lines.length && !/^```\s*$/.test(lines[index]); index += 1) body.push(lines[index]);
    if (!SHELL_LANGUAGES.has(fence[1])) continue;
    const marker = start > 0 ? MARKER.exec(previousNonBlank(lines, start)) : null;
    blocks.push({ page, id: marker ? marker[1] : null, line: start + 1, commands: commandLines(body) });
  }
  return blocks;
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
