/**
 * What the docs say about the node badge matches the app: its words come from app/src/components/NodeBadge.tsx and
 * its place on the page from the `.node-badge` rule of app/src/app/globals.css.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPOSITORY_ROOT } from '../support/docsCommands';

const PAGES_THAT_DESCRIBE_THE_BADGE = [
  'README.md',
  'docs/getting-started.md',
  'docs/local-cluster.md',
  'docs/architecture.md',
];

function read(path: string): string {
  return readFileSync(join(REPOSITORY_ROOT, path), 'utf8');
}

/** The corner a `position: fixed` rule pins the badge to, e.g. "bottom-right". */
function badgeCorner(css: string): string {
  const rule = /\.node-badge\s*\{([^}]*)\}/.exec(css);
  if (!rule) throw new Error('app/src/app/globals.css has no .node-badge rule');
  const declarations = rule[1];
  expect(declarations).toMatch(/position:\s*fixed/);
  const vertical = /(^|[;\s])bottom:/.test(declarations)
    ? 'bottom'
    : /(^|[;\s])top:/.test(declarations)
      ? 'top'
      : undefined;
  const horizontal = /(^|[;\s])right:/.test(declarations)
    ? 'right'
    : /(^|[;\s])left:/.test(declarations)
      ? 'left'
      : undefined;
  if (!vertical || !horizontal) throw new Error(`.node-badge is not pinned to a corner: ${declarations.trim()}`);
  return `${vertical}-${horizontal}`;
}

describe('the node badge in the docs', () => {
  const component = read('app/src/components/NodeBadge.tsx');
  const corner = badgeCorner(read('app/src/app/globals.css'));

  it('is the words the component renders', () => {
    expect(component).toMatch(/served by <strong>\{node\.name\}<\/strong> <span className="id">\{node\.id\}<\/span>/);
    for (const page of PAGES_THAT_DESCRIBE_THE_BADGE)
      expect({ page, saysServedBy: read(page).includes('served by') }).toEqual({ page, saysServedBy: true });
  });

  it('is where the stylesheet puts it, and nowhere else', () => {
    const [vertical, horizontal] = corner.split('-');
    const otherVertical = vertical === 'bottom' ? 'top' : 'bottom';
    for (const page of PAGES_THAT_DESCRIBE_THE_BADGE) {
      const text = read(page).replace(/\s+/g, ' ');
      expect({ page, corner: text.includes(`${corner} corner`) }).toEqual({ page, corner: true });
      expect({
        page,
        wrongPlace: new RegExp(`badge (at|in) the ${otherVertical}|${otherVertical}-${horizontal} corner`).test(text),
      }).toEqual({
        page,
        wrongPlace: false,
      });
    }
  });
});
