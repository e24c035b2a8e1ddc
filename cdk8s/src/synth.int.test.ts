import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { REPOSITORY_ROOT, writeSynthOutputs } from './main';
import { CHART_DIR, MANIFESTS_DIR } from './synthOutputs';

function filesUnder(root: string, folder: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const entry of entries.sort()) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(root, path), readFileSync(path, 'utf8'));
    }
  };
  walk(join(root, folder));
  return files;
}

describe('committed output of the synth', () => {
  let fresh: string;
  beforeAll(() => {
    fresh = mkdtempSync(join(tmpdir(), 'msk-synth-'));
    writeSynthOutputs(fresh);
  });
  afterAll(() => rmSync(fresh, { recursive: true, force: true }));

  it.each([MANIFESTS_DIR, CHART_DIR])('%s/ equals a fresh synth (run `npm run synth` and commit when this fails)', (folder) => {
    const expected = filesUnder(fresh, folder);
    const committed = filesUnder(REPOSITORY_ROOT, folder);
    expect(expected.size).toBeGreaterThan(0);
    expect([...committed.keys()]).toEqual([...expected.keys()]);
    for (const [path, text] of expected) {
      if (committed.get(path) !== text) throw new Error(`${path} differs from a fresh synth: run \`npm run synth\` and commit the result`);
    }
  });

  it('writes into the folder it is given and replaces files the synth no longer produces', () => {
    const out = mkdtempSync(join(tmpdir(), 'msk-synth-stale-'));
    try {
      writeSynthOutputs(out);
      const stale = join(out, CHART_DIR, 'templates', 'stale-object.yaml');
      writeFileSync(stale, 'kind: Stale\n');
      writeSynthOutputs(out);
      expect(filesUnder(out, CHART_DIR).has(relative(out, stale))).toBe(false);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
