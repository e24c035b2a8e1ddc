/**
 * .github/workflows/release.yml, which cannot run here (no GitHub, no registry): checked by the real actionlint
 * (built from source by .ci/compose/build.sh, with shellcheck on its scripts), its shape checked against what a
 * release must do, and its version step run for real with bash.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { deploymentIdForVersion } from '../../app/src/server/build/buildSettings';
import { docsCommands } from '../support/docsCommands';
import { REPO_ROOT } from './support/containerSettings';

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Job {
  'runs-on': string | string[];
  needs?: string;
  if?: string;
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: { pull_request: unknown; push: { branches: string[]; tags: string[] } };
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

const WORKFLOW_PATH = join(REPO_ROOT, '.github', 'workflows', 'release.yml');
const workflow = parse(readFileSync(WORKFLOW_PATH, 'utf8')) as Workflow;
const APP_VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'app', 'package.json'), 'utf8')) as { version: string })
  .version;
const CHART = parse(readFileSync(join(REPO_ROOT, 'charts', 'multi-server-kit', 'Chart.yaml'), 'utf8')) as {
  version: string;
  appVersion: string;
};
const CHART_VERSION = CHART.version;

function bash(script: string, env: Record<string, string> = {}) {
  const result = spawnSync('bash', ['-c', script], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

const releaseStep = (name: RegExp): Step => {
  const step = workflow.jobs.release?.steps.find((candidate) => name.test(candidate.name ?? ''));
  if (!step) throw new Error(`the release job has no step named like ${name}`);
  return step;
};

describe('.github/workflows/release.yml', () => {
  it('passes actionlint (and shellcheck on every run script), as docs/releases.md runs it', () => {
    const commands = docsCommands('docs/releases.md', 'releases-actionlint');
    expect(commands).toEqual(['.ci/compose/build.sh actionlint', '.ci/compose/actionlint.sh']);
    const result = bash(commands.join(' && '));
    expect(result).toMatchObject({
      status: 0,
      output: expect.stringMatching(
        /actionlint v1\.7\.12, shellcheck [\d.]+: \.github\/workflows\/release\.yml[\s\S]*no finding/,
      ),
    });
  });

  it('is checked by an actionlint that finds real mistakes: an unknown output and a shell error fail the check', () => {
    const dir = mkdtempSync(join(tmpdir(), 'msk-actionlint-'));
    try {
      const broken = join(dir, 'broken.yml');
      writeFileSync(
        broken,
        [
          'on: push',
          'jobs:',
          '  build:',
          '    runs-on: ubuntu-24.04',
          '    steps:',
          '      - id: version',
          '        run: echo "version=1" >> "$GITHUB_OUTPUT"',
          '      - run: echo ${{ steps.version.outputs.versoin }} $UNQUOTED_VAR',
          '      - run: echo "${{ steps.nothing.outputs.x }}"',
          '',
        ].join('\n'),
      );
      const result = bash(`.ci/compose/actionlint.sh ${broken}`);
      expect(result.status).toBe(1);
      expect(result.output).toMatch(/steps\.nothing|step "nothing"|property "nothing" is not defined/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs the same .ci/run on pull requests and pushes to main, and releases on a vX.Y.Z tag after CI passed', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
    expect(workflow.on.push).toEqual({ branches: ['main'], tags: ['v[0-9]+.[0-9]+.[0-9]+'] });
    expect(workflow.permissions).toEqual({ contents: 'read' });
    const ci = workflow.jobs.ci as Job;
    expect(ci.steps.map((step) => step.run).filter(Boolean)).toEqual([
      'sudo --preserve-env=PATH env CI=true bash .ci/run',
    ]);
    const release = workflow.jobs.release as Job;
    expect(release).toMatchObject({
      needs: 'ci',
      if: "startsWith(github.ref, 'refs/tags/v')",
      permissions: { contents: 'read', packages: 'write', 'id-token': 'write' },
    });
  });

  it('builds each image exactly once, the app with the pinned deployment ID and the Server Actions key as a build secret, and pushes both and the chart', () => {
    const scripts = (workflow.jobs.release as Job).steps.map((step) => step.run ?? '').join('\n');
    expect(scripts.match(/docker buildx build/g)).toHaveLength(2);
    const app = releaseStep(/app image/);
    expect(app.run).toContain('--file app/Dockerfile');
    expect(app.run).toContain('--build-arg "NEXT_DEPLOYMENT_ID=$DEPLOYMENT_ID"');
    expect(app.run).toContain('--secret id=server_actions_key,env=NEXT_SERVER_ACTIONS_ENCRYPTION_KEY');
    expect(app.run).toContain('--push');
    expect(app.run).toContain('--tag "$REGISTRY/multi-server-kit/app:$VERSION"');
    expect(app.env?.NEXT_SERVER_ACTIONS_ENCRYPTION_KEY).toBe('${{ secrets.NEXT_SERVER_ACTIONS_ENCRYPTION_KEY }}');
    expect(scripts).not.toMatch(/--build-arg[^\n]*SERVER_ACTIONS/); // a secret never as a build argument
    const sync = releaseStep(/sync image/);
    expect(sync.run).toContain('--file sync/Dockerfile');
    expect(sync.run).toContain('--tag "$REGISTRY/multi-server-kit/sync:$VERSION"');
    const chart = releaseStep(/Helm chart/);
    // The chart keeps its own SemVer (Chart.yaml's version); its appVersion is the release.
    expect(chart.run).toContain('helm package charts/multi-server-kit --destination dist-chart');
    expect(chart.run).toContain('helm push "dist-chart/multi-server-kit-$CHART_VERSION.tgz" "oci://$REGISTRY/charts"');
  });

  it('publishes the npm packages @msk/kit, @msk/replication and @msk/sync (docs/packages.md) with provenance, refusing to run without the token', () => {
    const publish = releaseStep(/npm packages/);
    expect(publish.env?.NODE_AUTH_TOKEN).toBe('${{ secrets.NPM_TOKEN }}');
    expect(publish.run).toContain(
      'npm publish --workspace contract --workspace kit --workspace replication --workspace sync --provenance --access public',
    );
    const noToken = bash(publish.run as string, { NODE_AUTH_TOKEN: '' });
    expect(noToken).toMatchObject({
      status: 1,
      output: expect.stringContaining('repository secret NPM_TOKEN is not set'),
    });
    for (const workspace of ['contract', 'kit', 'replication', 'sync']) {
      const manifest = JSON.parse(readFileSync(join(REPO_ROOT, workspace, 'package.json'), 'utf8')) as {
        private?: boolean;
        version: string;
      };
      expect(manifest.private).toBeUndefined();
      expect(manifest.version).toBe(APP_VERSION); // released together, under the tag's version
    }
  });

  it("derives version, deployment ID and registry from the tag as the app does, and refuses a tag that is not the app's version", () => {
    expect(CHART.appVersion).toBe(APP_VERSION); // the chart installs the app it is released with
    const step = releaseStep(/Version from the tag/);
    const dir = mkdtempSync(join(tmpdir(), 'msk-release-'));
    try {
      const output = join(dir, 'output');
      writeFileSync(output, '');
      const ok = bash(step.run as string, { TAG: `v${APP_VERSION}`, OWNER: 'Example-Org', GITHUB_OUTPUT: output });
      expect(ok.status).toBe(0);
      expect(readFileSync(output, 'utf8').trim().split('\n')).toEqual([
        `version=${APP_VERSION}`,
        `chart_version=${CHART_VERSION}`,
        `deployment_id=${deploymentIdForVersion(APP_VERSION)}`,
        'registry=ghcr.io/example-org',
      ]);
      const wrong = bash(step.run as string, { TAG: 'v99.0.0', OWNER: 'example-org', GITHUB_OUTPUT: output });
      // A tree whose npm package was not bumped with the app: the same step, refused naming the package.
      const tree = join(dir, 'tree');
      for (const file of [
        'app/package.json',
        'contract/package.json',
        'kit/package.json',
        'replication/package.json',
        'charts/multi-server-kit/Chart.yaml',
      ]) {
        mkdirSync(dirname(join(tree, file)), { recursive: true });
        copyFileSync(join(REPO_ROOT, file), join(tree, file));
      }
      mkdirSync(join(tree, 'sync'));
      writeFileSync(join(tree, 'sync', 'package.json'), JSON.stringify({ name: '@msk/sync', version: '0.0.9' }));
      const stale = spawnSync('bash', ['-c', step.run as string], {
        cwd: tree,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', TAG: `v${APP_VERSION}`, OWNER: 'o', GITHUB_OUTPUT: output },
      });
      expect(stale.status).toBe(1);
      expect(stale.stdout).toContain(
        `tag v${APP_VERSION} does not match sync/package.json (0.0.9): bump the npm packages with the app`,
      );
      expect(wrong).toMatchObject({
        status: 1,
        output: expect.stringContaining(
          `tag v99.0.0 does not match app/package.json (${APP_VERSION}) and Chart.yaml's appVersion (${APP_VERSION})`,
        ),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
