/**
 * `init` and `doctor` as an operator runs them: the compiled CLI in a child process, real files.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvFile } from '@msk/contract/envFile';
import { useTemporaryDirectory } from '../testing/temporaryDirectory';

const CLI = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const FIXTURES = join(__dirname, '..', 'doctor', '__fixtures__');

function msk(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('msk init and doctor', () => {
  const dir = useTemporaryDirectory('msk-cli-');

  it('init writes a shared file (0600) and one file per node, and everything it writes passes doctor', () => {
    const out = join(dir(), 'deploy');
    const init = msk('init', '--nodes', '3', '--public-url', 'https://platform.example.com', '--out', out);
    expect(init.code).toBe(0);
    expect(init.stdout).toMatch(/configuration of 3 node\(s\)/);
    for (const file of [
      'shared.env',
      'node-1.env',
      'node-2.env',
      'node-3.env',
      'kubernetes-secret.yaml',
      'postgres-superuser-password',
    ]) {
      expect(statSync(join(out, file)).mode & 0o777).toBe(0o600);
    }
    const shared = Object.fromEntries(
      parseEnvFile(readFileSync(join(out, 'shared.env'), 'utf8')).entries.map((e) => [e.key, e.value]),
    );
    // The summary shows fingerprints, never the secrets.
    expect(init.stdout).not.toContain(shared.NEXTAUTH_SECRET);
    expect(init.stdout).not.toContain(shared.SYNC_REGISTRATION_KEY);
    const doctor = msk('doctor', out);
    expect(doctor.stdout).toMatch(/OK: no problems found/);
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).not.toContain(shared.NEXTAUTH_SECRET);
  });

  it('init refuses to replace existing secrets without --force, and says why', () => {
    const out = join(dir(), 'deploy');
    expect(msk('init', '--out', out).code).toBe(0);
    const before = readFileSync(join(out, 'shared.env'), 'utf8');
    const again = msk('init', '--out', out);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds this cluster's secrets .*log every user out.*--force/s);
    expect(readFileSync(join(out, 'shared.env'), 'utf8')).toBe(before);
    const kept = msk('init', '--out', out, '--nodes', '3', '--keep-secrets');
    expect(kept.code).toBe(0);
    const secret = (text: string) => parseEnvFile(text).entries.find((e) => e.key === 'NEXTAUTH_SECRET')?.value;
    expect(secret(readFileSync(join(out, 'shared.env'), 'utf8'))).toBe(secret(before));
    const forced = msk('init', '--out', out, '--force');
    expect(forced.code).toBe(0);
    expect(secret(readFileSync(join(out, 'shared.env'), 'utf8'))).not.toBe(secret(before));
  });

  it('init names the option that is wrong', () => {
    const result = msk('init', '--out', join(dir(), 'x'), '--public-url', 'not-a-url');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--public-url must be an absolute URL/);
  });

  it("doctor exits 1 on the setup guide's own example and prints findings with the files involved", () => {
    const result = msk('doctor', join(FIXTURES, 'guide-server1.env'), join(FIXTURES, 'guide-server2.env'));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/ERROR +NEXTAUTH_URL +\[.*guide-server1\.env:7, .*guide-server2\.env:14\]/);
    expect(result.stdout).toMatch(/10 error\(s\)/); // 8 in the guide's values, and REPLICATED_TABLES, which it predates, on each server
    // The published secret is shown as a fingerprint only.
    const published = parseEnvFile(readFileSync(join(FIXTURES, 'guide-server1.env'), 'utf8')).entries.find(
      (e) => e.key === 'NEXTAUTH_SECRET',
    )?.value as string;
    expect(result.stdout).not.toContain(published);
    expect(result.stdout).toMatch(/NEXTAUTH_SECRET +fp:[0-9a-f]{8} +fp:[0-9a-f]{8}/);
  });

  it('doctor --json reports findings for machines', () => {
    const a = join(dir(), 'a.env');
    writeFileSync(a, 'SYNC_NODE_ID=nothex\n');
    const result = msk('doctor', '--json', a);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.servers).toEqual([a]);
    expect(report.findings).toContainEqual(
      expect.objectContaining({ variable: 'SYNC_NODE_ID', severity: 'error', where: [`${a}:1`] }),
    );
    expect(report.errors).toBeGreaterThan(0);
  });

  it('doctor says which file does not exist', () => {
    const result = msk('doctor', join(dir(), 'missing.env'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/missing\.env does not exist/);
  });
});
