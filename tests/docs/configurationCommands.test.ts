/**
 * docs/configuration.md's commands, run as written in a scratch copy of the repository: `init` makes a cluster's
 * files, `doctor` passes them (as two servers' files, as a folder, as JSON), and fails the setup guide's example.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { docsCommands } from '../support/docsCommands';
import { type ScratchRepository, scratchRepository } from '../support/scratchRepository';

describe('the commands of docs/configuration.md', () => {
  let scratch: ScratchRepository;
  beforeAll(() => {
    scratch = scratchRepository('configuration');
  });
  afterAll(() => scratch.remove());

  it('init writes a shared file and one file per node, readable only by their owner', () => {
    const [init] = docsCommands('docs/configuration.md', 'init');
    const result = scratch.run(init);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    for (const file of ['shared.env', 'node-1.env', 'node-2.env', 'node-3.env', 'kubernetes-secret.yaml']) {
      const path = join(scratch.dir, 'deploy', file);
      expect(existsSync(path)).toBe(true);
      expect(statSync(path).mode & 0o777).toBe(0o600);
    }
    expect(readFileSync(join(scratch.dir, 'deploy', 'shared.env'), 'utf8')).toContain(
      'NEXTAUTH_URL=https://platform.example.com',
    );
    expect(result.stdout).toMatch(/fp:[0-9a-f]{8}/);
  });

  it('doctor passes the files init wrote, as two servers, as a folder and as JSON', () => {
    const outputs = docsCommands('docs/configuration.md', 'doctor').map((command) => ({
      command,
      ...scratch.run(command),
    }));
    for (const output of outputs)
      expect({ command: output.command, code: output.code }).toEqual({ command: output.command, code: 0 });
    const json = JSON.parse(outputs[outputs.length - 1].stdout.slice(outputs[outputs.length - 1].stdout.indexOf('{')));
    expect(json.errors).toBe(0);
    expect(json.servers).toEqual(['server1.env', 'server2.env']);
  });

  it("doctor exits 1 with 10 errors on the setup guide's own example", () => {
    const [example] = docsCommands('docs/configuration.md', 'doctor-guide-example');
    const result = scratch.run(example);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/10 error\(s\)/);
  });
});
