// Before the Kubernetes tests: a cluster built from upstream source must answer (.ci/kubernetes/up.sh; started
// here when none runs, and then stopped by globalTeardown), the project's images are rebuilt from the host build
// and imported into the cluster's containerd, and the test files learn kubectl, helm, the kubeconfig and the
// PostgreSQL image through the environment. Plain JS: runs outside Jest's module sandbox.
const { execFileSync, spawnSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');
const KUBE_CI = join(root, '.ci', 'kubernetes');
const STATE_DIR = process.env.MSK_KUBE_STATE_DIR || '/tmp/msk-kubernetes';
const ENV_FILE = join(STATE_DIR, 'env');
const APP_IMAGE = 'multi-server-kit/app:0.1.0';
const SYNC_IMAGE = 'multi-server-kit/sync:0.1.0';

/** The PostgreSQL images .ci/containers/lib.sh names (the one place for image names): the official one, its stand-in. */
function postgresImages() {
  const script = `. .ci/containers/lib.sh && printf '%s\\n' "$OFFICIAL_POSTGRES_IMAGE" "$STANDIN_POSTGRES_IMAGE"`;
  const [official, standIn] = execFileSync('bash', ['-c', script], { cwd: root, encoding: 'utf8' }).split('\n');
  return { OFFICIAL_POSTGRES_IMAGE: official, STANDIN_POSTGRES_IMAGE: standIn };
}

function clusterEnv() {
  if (!existsSync(ENV_FILE)) return undefined;
  const env = {};
  for (const line of readFileSync(ENV_FILE, 'utf8').split('\n')) {
    const match = /^export ([A-Z_]+)=(.*)$/.exec(line);
    if (match) env[match[1]] = match[2];
  }
  return env;
}

function clusterAnswers(env) {
  if (!env?.MSK_KUBECTL || !existsSync(env.MSK_KUBECTL)) return false;
  const ready = spawnSync(env.MSK_KUBECTL, ['--kubeconfig', env.KUBECONFIG, 'get', '--raw', '/readyz'], { encoding: 'utf8', timeout: 10_000 });
  return ready.status === 0 && ready.stdout.trim() === 'ok';
}

function runScript(script, args = []) {
  execFileSync('bash', [join(KUBE_CI, script), ...args], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}

function imageExists(name) {
  return spawnSync('docker', ['image', 'inspect', name], { encoding: 'utf8' }).status === 0;
}

module.exports = async function kubernetesGlobalSetup() {
  const started = Date.now();
  if (spawnSync('docker', ['info'], { encoding: 'utf8' }).status !== 0) {
    throw new Error('The Kubernetes tests need a Docker engine to build the images they import. Fix: run `sudo .ci/containers/provision.sh`.');
  }
  let env = clusterEnv();
  if (!clusterAnswers(env)) {
    if (process.getuid?.() !== 0) {
      throw new Error('No test cluster answers and starting one needs root. Fix: `sudo .ci/kubernetes/build.sh && sudo .ci/kubernetes/up.sh`, then run again.');
    }
    process.stdout.write('\n[kubernetes] no cluster answers: building (cached) and starting one; globalTeardown stops it\n');
    runScript('build.sh');
    runScript('up.sh');
    globalThis.__MSK_KUBE_STARTED__ = true;
    env = clusterEnv();
    if (!clusterAnswers(env)) throw new Error(`up.sh finished but the cluster does not answer (state: ${STATE_DIR})`);
  }

  // The same images the container tests run, rebuilt from the current host build so the cluster never runs stale ones.
  // MSK_K8S_PREBUILT_IMAGES=1 uses the images already in the engine instead (a machine shared by several
  // worktrees, where a rebuild from one worktree would replace the images another is testing).
  if (process.env.MSK_K8S_PREBUILT_IMAGES === '1') {
    for (const image of [APP_IMAGE, SYNC_IMAGE]) {
      if (!imageExists(image)) throw new Error(`MSK_K8S_PREBUILT_IMAGES=1 but ${image} is not in the Docker engine. Fix: run .ci/containers/build-images.sh, or unset it.`);
    }
    process.stdout.write('[kubernetes] MSK_K8S_PREBUILT_IMAGES=1: using the app and sync images already in the Docker engine\n');
  } else {
    execFileSync(join(root, '.ci', 'containers', 'build-images.sh'), [], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  const { OFFICIAL_POSTGRES_IMAGE, STANDIN_POSTGRES_IMAGE } = postgresImages();
  const postgres = imageExists(OFFICIAL_POSTGRES_IMAGE) ? OFFICIAL_POSTGRES_IMAGE : STANDIN_POSTGRES_IMAGE;
  if (!imageExists(postgres)) {
    throw new Error(`Neither ${OFFICIAL_POSTGRES_IMAGE} nor its offline stand-in ${STANDIN_POSTGRES_IMAGE} is in the Docker engine. Fix: run \`sudo .ci/containers/provision.sh standins\`.`);
  }
  runScript('load-images.sh', [APP_IMAGE, SYNC_IMAGE, postgres]);

  process.env.MSK_KUBECONFIG = env.KUBECONFIG;
  process.env.MSK_KUBECTL = env.MSK_KUBECTL;
  process.env.MSK_HELM = env.MSK_HELM;
  process.env.MSK_K8S_POSTGRES_IMAGE = postgres;
  process.stdout.write(`[kubernetes] Kubernetes ${env.MSK_KUBE_VERSION} ready for the tests in ${Date.now() - started} ms (postgres image ${postgres})\n`);
};
