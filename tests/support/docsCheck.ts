// The rules the docs checker (tests/docs/docsPages.test.ts) applies, as pure functions of text.
// The rules themselves are written down in docs/testing-and-ci.md, "The docs are tested".
import { fencedBlocks } from './docsCommands';

/** Where the checker looks for `docsCommands('<page>', '<id>')` calls: tests and CI scripts. */
export const REFERENCE_ROOTS = ['tests', 'kit/src', 'sync/src', 'app/src', 'cdk8s/src', '.ci'] as const;

/** `docsCommands('<page>', '<id>')` with both arguments plain string literals (single or double quotes). */
const REFERENCE = /docsCommands\(\s*(['"])([^'"\n]+)\1\s*,\s*(['"])([a-z0-9][a-z0-9-]*)\3\s*\)/g;

/** Every `page#id` a file's text reads with a literal docsCommands call. */
export function docsCommandReferences(text: string): string[] {
  return [...text.matchAll(REFERENCE)].map((match) => `${match[2]}#${match[4]}`);
}

/** The text with every fenced block's lines blanked (kept as empty lines, so line numbers stay right). */
function withoutFencedBlocks(text: string): string[] {
  const lines = text.split('\n');
  for (const block of fencedBlocks(text)) {
    for (let index = block.line - 1; index <= block.line + block.body.length && index < lines.length; index += 1)
      lines[index] = '';
  }
  return lines;
}

/** GitHub's anchor for a heading's text (as github-slugger makes it): lowercase, punctuation dropped, spaces to dashes. */
export function headingSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link or image in a heading counts by its text
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** Every anchor a page's headings make, repeated headings numbered `-1`, `-2`, … as GitHub does. */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFencedBlocks(text)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = headingSlug(heading[1]);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

export interface RelativeLink {
  /** 1-based line of the page. */
  readonly line: number;
  /** The path part, relative to the page's folder ('' for a link within the page). */
  readonly path: string;
  /** The anchor without '#', or null. */
  readonly anchor: string | null;
}

/** Links and images to relative targets, outside code (fenced blocks and inline code spans). */
export function relativeLinks(text: string): RelativeLink[] {
  const links: RelativeLink[] = [];
  withoutFencedBlocks(text).forEach((raw, index) => {
    const line = raw.replace(/(`+)[^`]*?\1/g, ''); // inline code spans
    for (const match of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = match[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // http:, mailto:, …
      const hash = target.indexOf('#');
      links.push({
        line: index + 1,
        path: decodeURIComponent(hash < 0 ? target : target.slice(0, hash)),
        anchor: hash < 0 ? null : decodeURIComponent(target.slice(hash + 1)),
      });
    }
  });
  return links;
}
