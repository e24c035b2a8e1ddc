/** The docs readers and the checker's rules, on small texts: no repository page involved. */
import { docsCommandReferences, headingAnchors, headingSlug, relativeLinks } from '../support/docsCheck';
import { docsCommands, fencedBlocks, parseDocsCommandBlocks } from '../support/docsCommands';

const page = [
  '# Title',
  '',
  '<!-- docs-command: first -->',
  '```bash',
  '# a comment line is dropped',
  'npm run init -- --nodes 3 \\',
  '  --out deploy/',
  '',
  'npm run doctor -- deploy/   # a trailing comment stays for the shell',
  '```',
  '',
  '```sh',
  'echo unmarked',
  '```',
  '',
  '<!-- docs-command: spaced -->',
  '',
  '```shell',
  'echo after a blank line',
  '```',
  '',
  '```text',
  '$ npm start',
  '```',
  '',
  '- a list item:',
  '  ```bash',
  '  echo indented fence',
  '  ```',
  '',
  '~~~console',
  '$ echo tilde fence',
  '~~~',
].join('\n');

describe('parseDocsCommandBlocks', () => {
  const blocks = parseDocsCommandBlocks('docs/example.md', page);

  it('finds every shell block, marked or not, and no text block', () => {
    expect(blocks.map((block) => [block.id, block.line])).toEqual([
      ['first', 4],
      [null, 12],
      ['spaced', 18],
      [null, 27],
      [null, 31],
    ]);
  });

  it('joins backslash continuations and drops blank and comment-only lines', () => {
    expect(blocks[0].commands).toEqual([
      'npm run init -- --nodes 3 --out deploy/',
      'npm run doctor -- deploy/   # a trailing comment stays for the shell',
    ]);
  });

  it('accepts a marker separated from its block by blank lines only', () => {
    expect(blocks[2].commands).toEqual(['echo after a blank line']);
  });
});

describe('fencedBlocks', () => {
  it('closes a fence only with the same character, at least as long', () => {
    const blocks = fencedBlocks(
      ['````md', '```bash', 'not a block of its own', '```', '````', '~~~', '```', '~~~'].join('\n'),
    );
    expect(blocks.map((block) => [block.language, block.body.length])).toEqual([
      ['md', 3],
      ['', 1],
    ]);
  });

  it('runs an unclosed fence to the end of the text', () => {
    expect(fencedBlocks('```bash\necho a\necho b').map((block) => block.body)).toEqual([['echo a', 'echo b']]);
  });
});

describe('docsCommands', () => {
  it('reads a block of a real page by its id', () => {
    expect(docsCommands('docs/configuration.md', 'doctor-guide-example')[0]).toMatch(/^npm run doctor -- /);
  });

  it('names the page and the marker when there is no such block', () => {
    expect(() => docsCommands('docs/configuration.md', 'no-such-block')).toThrow(
      'docs/configuration.md has no shell block marked <!-- docs-command: no-such-block -->',
    );
  });
});

describe('docsCommandReferences', () => {
  it('finds literal calls with either quote', () => {
    const source = `docsCommands('docs/a.md', 'one'); docsCommands("README.md", "two-2");\ndocsCommands(\n  'docs/b.md',\n  'three',\n)`;
    expect(docsCommandReferences(source)).toEqual(['docs/a.md#one', 'README.md#two-2']);
  });

  it('does not count computed arguments', () => {
    expect(docsCommandReferences("docsCommands(page, 'one'); docsCommands('docs/a.md', id)")).toEqual([]);
  });
});

describe('headingSlug and headingAnchors', () => {
  it('makes GitHub anchors: lowercase, punctuation and code marks dropped, spaces to dashes', () => {
    expect(headingSlug('Rotating `NEXTAUTH_SECRET` without logging anyone out (two phases)')).toBe(
      'rotating-nextauth_secret-without-logging-anyone-out-two-phases',
    );
    expect(headingSlug("`init`: generate a cluster's configuration")).toBe('init-generate-a-clusters-configuration');
    expect(headingSlug('"Peers still not discovering each other?"')).toBe('peers-still-not-discovering-each-other');
    expect(headingSlug('See [Helm](helm.md) — or not')).toBe('see-helm--or-not');
  });

  it('numbers repeated headings and ignores headings inside code blocks', () => {
    const anchors = headingAnchors(
      ['# Design', '## Design', '```bash', '# not a heading', '```', '### Design ##'].join('\n'),
    );
    expect([...anchors]).toEqual(['design', 'design-1', 'design-2']);
  });
});

describe('relativeLinks', () => {
  it('returns relative links with their anchors and lines, skipping URLs, code spans and code blocks', () => {
    const text = [
      'See [a](other.md#part), [b](#here), ![c](img/c.png) and [d](https://example.com/x.md).',
      '`[not](a-link.md)` and [e](../up.md "title")',
      '```text',
      '[inside](code.md)',
      '```',
      '[f](mailto:someone@example.com)',
    ].join('\n');
    expect(relativeLinks(text)).toEqual([
      { line: 1, path: 'other.md', anchor: 'part' },
      { line: 1, path: '', anchor: 'here' },
      { line: 1, path: 'img/c.png', anchor: null },
      { line: 2, path: '../up.md', anchor: null },
    ]);
  });
});
