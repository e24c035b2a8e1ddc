/**
 * The docs checker: README.md and every page under docs/ keep the rules of docs/testing-and-ci.md ("The docs are
 * tested") — every shell block marked, ids unique per page, every marked block run by a test or CI, every relative
 * link and anchor resolving.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { docsCommandReferences, headingAnchors, REFERENCE_ROOTS, relativeLinks } from '../support/docsCheck';
import { docsCommandBlocks, docsPages, REPOSITORY_ROOT } from '../support/docsCommands';

const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', '.next', 'coverage', 'test-artifacts']);
const SOURCE_FILE = /\.(ts|tsx|js|mjs|cjs|sh|bash)$/;

/** Files that may read a docs block: sources and scripts under the reference roots (`.ci/run` has no extension). */
function referenceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(join(REPOSITORY_ROOT, dir))) return;
    for (const entry of readdirSync(join(REPOSITORY_ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) walk(path);
      } else if (SOURCE_FILE.test(entry.name) || (dir === '.ci' && !entry.name.includes('.'))) {
        files.push(path);
      }
    }
  };
  for (const root of REFERENCE_ROOTS) walk(root);
  return files;
}

/** `page#id` → the files that read it. */
function referencesByBlock(): Map<string, string[]> {
  const readers = new Map<string, string[]>();
  for (const file of referenceFiles()) {
    for (const reference of docsCommandReferences(readFileSync(join(REPOSITORY_ROOT, file), 'utf8'))) {
      readers.set(reference, [...(readers.get(reference) ?? []), file]);
    }
  }
  return readers;
}

const pages = docsPages();
const readers = referencesByBlock();
const anchorsByFile = new Map<string, Set<string>>();
function anchorsOf(file: string): Set<string> {
  let anchors = anchorsByFile.get(file);
  if (!anchors) {
    anchors = headingAnchors(readFileSync(join(REPOSITORY_ROOT, file), 'utf8'));
    anchorsByFile.set(file, anchors);
  }
  return anchors;
}

describe('the docs pages', () => {
  it('are README.md and at least the pages the README links to', () => {
    expect(pages).toContain('README.md');
    expect(pages.filter((page) => page.startsWith('docs/')).length).toBeGreaterThanOrEqual(9);
  });

  describe.each(pages)('%s', (page) => {
    const blocks = docsCommandBlocks(page);

    it('marks every shell block with <!-- docs-command: id -->', () => {
      const unmarked = blocks.filter((block) => block.id === null).map((block) => `${page}:${block.line}`);
      expect(unmarked).toEqual([]);
    });

    it('uses each docs-command id once', () => {
      const ids = blocks.flatMap((block) => (block.id ? [block.id] : []));
      const repeated = ids.filter((id, index) => ids.indexOf(id) !== index);
      expect(repeated).toEqual([]);
    });

    it('has every marked block read by a test or CI script (a literal docsCommands call)', () => {
      const unread = blocks
        .filter((block) => block.id !== null && !readers.has(`${page}#${block.id}`))
        .map(
          (block) =>
            `${page}#${block.id} (line ${block.line}): no docsCommands('${page}', '${block.id}') under ${REFERENCE_ROOTS.join(', ')}`,
        );
      expect(unread).toEqual([]);
    });

    it('links only to files and headings that exist (a missing page is named)', () => {
      const text = readFileSync(join(REPOSITORY_ROOT, page), 'utf8');
      const broken: string[] = [];
      for (const link of relativeLinks(text)) {
        const target = link.path === '' ? page : normalize(join(dirname(page), link.path));
        const where = `${page}:${link.line}`;
        if (relative(REPOSITORY_ROOT, join(REPOSITORY_ROOT, target)).startsWith('..')) {
          broken.push(`${where}: ${link.path} leaves the repository`);
          continue;
        }
        if (!existsSync(join(REPOSITORY_ROOT, target))) {
          broken.push(`${where}: missing page ${target}`);
          continue;
        }
        if (link.anchor === null || link.anchor === '') continue;
        if (statSync(join(REPOSITORY_ROOT, target)).isDirectory() || !target.endsWith('.md')) {
          broken.push(`${where}: #${link.anchor} on ${target}, which has no headings`);
        } else if (!anchorsOf(target).has(link.anchor)) {
          broken.push(`${where}: ${target} has no heading #${link.anchor}`);
        }
      }
      expect(broken).toEqual([]);
    });
  });
});
