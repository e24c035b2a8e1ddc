import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTemporaryDirectory } from '../testing/temporaryDirectory';
import { claimDataFolder, parseClusterApp, referenceApp } from './clusterApp';

const example = parseClusterApp(
  '/repo/examples/desk',
  JSON.stringify({ name: 'desk', scripts: { build: 'next build' }, multiServerKit: { replicatedTables: ['t'] } }),
  'p.json',
);

describe("a local cluster's data folder belongs to one app", () => {
  const dir = useTemporaryDirectory('msk-claim-');

  it('is claimed by the first app started on it, and that app may start on it again', () => {
    claimDataFolder(join(dir(), 'config'), dir(), example);
    expect(JSON.parse(readFileSync(join(dir(), 'config', 'app.json'), 'utf8'))).toEqual({ app: '/repo/examples/desk' });
    expect(() => claimDataFolder(join(dir(), 'config'), dir(), example)).not.toThrow();
  });

  it('throws if another app starts on it, naming both and --fresh', () => {
    claimDataFolder(join(dir(), 'config'), dir(), example);
    expect(() => claimDataFolder(join(dir(), 'config'), dir(), referenceApp())).toThrow(
      /holds a cluster of .*examples\/desk, not of the reference app \(app\/\): add --fresh/,
    );
  });

  it("counts a folder made before app.json existed as the reference app's", () => {
    mkdirSync(join(dir(), 'config'));
    writeFileSync(join(dir(), 'config', 'shared.env'), '');
    expect(() => claimDataFolder(join(dir(), 'config'), dir(), referenceApp())).not.toThrow();
    expect(() => claimDataFolder(join(dir(), 'config'), dir(), example)).toThrow(
      /holds a cluster of the reference app \(app\/\), not of/,
    );
  });
});
