/**
 * The docs' commands that CI runs rather than a test: `.ci/run` itself, its stages, what `npm test` needs and the
 * quick start's install and test commands. Each must be exactly a command `.ci/run` runs (CI may add options that
 * only quieten its log, like `--no-audit`), in `.ci/run`'s order, so the docs never describe a CI that is not.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { docsCommands, REPOSITORY_ROOT } from '../support/docsCommands';

const CI_SCRIPT = '.ci/run';

/** The commands of `.ci/run`'s `stage "name" command args…` lines, in order; stages that call a function of the script are left out. */
function ciStageCommands(): string[] {
  const script = readFileSync(join(REPOSITORY_ROOT, CI_SCRIPT), 'utf8');
  const functions = new Set([...script.matchAll(/^([a-z_][a-z0-9_]*)\(\)\s*\{/gm)].map((match) => match[1]));
  return [...script.matchAll(/^stage\s+"[^"]*"\s+(.+?)\s*$/gm)]
    .map((match) => match[1])
    .filter((command) => !functions.has(command.split(/\s+/)[0]));
}

/** The index of the stage that runs `command` (the stage may add `--` options after it); -1 when none does. */
function stageIndex(stages: readonly string[], command: string): number {
  return stages.findIndex(
    (stage) =>
      stage === command ||
      (stage.startsWith(`${command} `) &&
        stage
          .slice(command.length)
          .trim()
          .split(/\s+/)
          .every((word) => word.startsWith('--'))),
  );
}

function expectRunByCiInOrder(commands: readonly string[]): void {
  const stages = ciStageCommands();
  const indexes = commands.map((command) => ({ command, stage: stageIndex(stages, command) }));
  expect(indexes.filter((entry) => entry.stage < 0)).toEqual([]);
  const order = indexes.map((entry) => entry.stage);
  expect(order).toEqual([...order].sort((a, b) => a - b));
}

describe('the docs commands CI runs', () => {
  it('names .ci/run, an executable bash script, as the one CI command', () => {
    expect(docsCommands('docs/testing-and-ci.md', 'ci')).toEqual([CI_SCRIPT]);
    expect(() => accessSync(join(REPOSITORY_ROOT, CI_SCRIPT), constants.X_OK)).not.toThrow();
    expect(readFileSync(join(REPOSITORY_ROOT, CI_SCRIPT), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env bash');
  });

  it("lists .ci/run's stages as .ci/run runs them, in its order", () => {
    const documented = docsCommands('docs/testing-and-ci.md', 'ci-stages');
    expect(documented.length).toBeGreaterThanOrEqual(5);
    expectRunByCiInOrder(documented);
  });

  it.each([
    ['README.md', () => docsCommands('README.md', 'test-prerequisites')],
    ['docs/testing-and-ci.md', () => docsCommands('docs/testing-and-ci.md', 'test-prerequisites')],
  ])('%s: what npm test needs is what CI runs before npm test', (_page, read) => {
    const commands = read();
    expect(commands).toEqual([
      '.ci/containers/provision.sh',
      '.ci/compose/build.sh',
      '.ci/kubernetes/build.sh',
      '.ci/kubernetes/up.sh',
      '.ci/monitoring/build.sh',
      '.ci/postgres-client/install.sh',
    ]);
    expectRunByCiInOrder([...commands, 'npm test']);
  });

  it('the quick start installs and tests the way CI does (its npm start is run by localClusterCommands.test.ts)', () => {
    const quickStart = docsCommands('README.md', 'quick-start');
    expect(quickStart).toEqual(['npm ci', 'npm start', 'npm test']);
    expectRunByCiInOrder(quickStart.filter((command) => command !== 'npm start'));
  });

  it('getting started installs and tests the way CI does', () => {
    expectRunByCiInOrder([
      ...docsCommands('docs/getting-started.md', 'install'),
      ...docsCommands('docs/getting-started.md', 'test'),
    ]);
  });
});
