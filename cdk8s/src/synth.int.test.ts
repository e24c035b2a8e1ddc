import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { REPOSITORY_ROOT, writeSynthOutputs } from './main';
import { CHART_DIR, CHART_FILES_DIR, MANIFESTS_DIR } from './synthOutputs';

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

  it.each([MANIFESTS_DIR, CHART_DIR])(
    '%s/ equals a fresh synth (run `npm run synth` and commit when this fails)',
    (folder) => {
      const expected = filesUnder(fresh, folder);
      // files/ holds hand-written files the chart reads (rules, dashboard): never the synth's
      const committed = new Map(
        [...filesUnder(REPOSITORY_ROOT, folder)].filter(([path]) => !path.startsWith(`${CHART_FILES_DIR}/`)),
      );
      expect(expected.size).toBeGreaterThan(0);
      expect([...committed.keys()]).toEqual([...expected.keys()]);
      for (const [path, text] of expected) {
        if (committed.get(path) !== text)
          throw new Error(`${path} differs from a fresh synth: run \`npm run synth\` and commit the result`);
      }
    },
  );

  it("writes into the folder it is given, replaces files the synth no longer produces and keeps the chart's files/", () => {
    const out = mkdtempSync(join(tmpdir(), 'msk-synth-stale-'));
    try {
      writeSynthOutputs(out);
      const stale = join(out, CHART_DIR, 'templates', 'stale-object.yaml');
      writeFileSync(stale, 'kind: Stale\n');
      const handWritten = join(out, CHART_FILES_DIR, 'prometheus-rules.yaml');
      mkdirSync(join(out, CHART_FILES_DIR), { recursive: true });
      writeFileSync(handWritten, 'groups: []\n');
      writeSynthOutputs(out);
      expect(filesUnder(out, CHART_DIR).has(relative(out, stale))).toBe(false);
      // the chart's hand-written files survive a synth
      expect(readFileSync(handWritten, 'utf8')).toBe('groups: []\n');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
