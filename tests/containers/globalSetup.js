// Before the container tests: a Docker engine must answer and `docker compose` must be Compose v5 (CI: run
// .ci/containers/provision.sh and .ci/compose/build.sh first); the project's images are rebuilt from the current
// host build (cached, a few seconds) so the tests never run stale images; the base images the tests start are
// chosen and handed to the test files through the environment, and Testcontainers' reaper (Ryuk) is switched on
// when its image is here. Plain JS: runs outside Jest's module sandbox. Image names and versions come from
// .ci/containers/lib.sh, where they are defined once.
const { execFileSync, spawnSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');
const PROVISION = '.ci/containers/provision.sh';

// Containers publish their ports on this loopback address only (this suite's address block is 127.0.4.0/24),
// and Testcontainers connects to them there. Setting the host also keeps Testcontainers from starting a helper
// container to find it (these machines have /.dockerenv).
const CONTAINER_HOST_ADDRESS = '127.0.4.1';

function run(command, args) {
  return spawnSync(command, args, { cwd: root, encoding: 'utf8' });
}

/** The names .ci/containers/lib.sh defines (the one place for image names and versions). */
function ciNames(names) {
  const script = `. .ci/containers/lib.sh && printf '%s\\n' ${names.map((name) => `"$${name}"`).join(' ')}`;
  const values = execFileSync('bash', ['-c', script], { cwd: root, encoding: 'utf8' }).split('\n');
  return Object.fromEntries(names.map((name, index) => [name, values[index]]));
}

/**
 * Ryuk removes what a test run started even when the run dies before its afterAll. On where its image exists:
 * the official testcontainers/ryuk (a machine that can pull) or provision.sh's stand-in built from source; else
 * off (the tests still stop what they start in afterAll), and the run says why.
 */
function chooseReaper(names) {
  if (process.env.TESTCONTAINERS_RYUK_DISABLED === 'true') return 'off (TESTCONTAINERS_RYUK_DISABLED=true was set)';
  const candidates = [process.env.RYUK_CONTAINER_IMAGE, names.OFFICIAL_RYUK_IMAGE, names.STANDIN_RYUK_IMAGE].filter(
    Boolean,
  );
  const present = candidates.find((image) => imageExists(image));
  if (present) {
    process.env.RYUK_CONTAINER_IMAGE = present;
    return `on (${present})`;
  }
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  return `off: none of ${candidates.join(', ')} is present (run \`sudo ${PROVISION} standins\`)`;
}

/** The Compose version .ci/compose/go.mod pins (what .ci/compose/build.sh builds). */
function composeVersion() {
  const goMod = readFileSync(join(root, '.ci', 'compose', 'go.mod'), 'utf8');
  const version = /^require\s+github\.com\/docker\/compose\/v5\s+(v\S+)/m.exec(goMod)?.[1];
  if (!version) throw new Error('.ci/compose/go.mod does not require github.com/docker/compose/v5');
  return version;
}

function imageExists(name) {
  return run('docker', ['image', 'inspect', name]).status === 0;
}

module.exports = async function containersGlobalSetup() {
  const started = Date.now();
  const names = ciNames([
    'NODE_VERSION',
    'OFFICIAL_RYUK_IMAGE',
    'STANDIN_RYUK_IMAGE',
    'STANDIN_NODE_IMAGE',
    'OFFICIAL_NODE_IMAGE',
    'STANDIN_POSTGRES_IMAGE',
    'OFFICIAL_POSTGRES_IMAGE',
    'STANDIN_NGINX_IMAGE',
    'OFFICIAL_NGINX_IMAGE',
    'POSTGRES_MAJOR',
  ]);
  process.env.MSK_NODE_VERSION = names.NODE_VERSION;
  process.env.MSK_POSTGRES_MAJOR = names.POSTGRES_MAJOR;
  process.env.MSK_OFFICIAL_NODE_IMAGE = names.OFFICIAL_NODE_IMAGE;
  process.env.MSK_OFFICIAL_RYUK_IMAGE = names.OFFICIAL_RYUK_IMAGE;
  process.env.TESTCONTAINERS_HOST_OVERRIDE = CONTAINER_HOST_ADDRESS;
  process.env.MSK_CONTAINER_HOST_ADDRESS = CONTAINER_HOST_ADDRESS;

  const info = run('docker', ['info', '--format', '{{.ServerVersion}}']);
  if (info.status !== 0) {
    throw new Error(
      `The container tests need a Docker engine and none answers (docker info: ${(info.stderr || info.error || '').toString().trim()}).\n` +
        `Fix: run \`sudo ${PROVISION}\` (installs Docker from Debian's packages and starts it, builds offline base images), or start Docker.`,
    );
  }
  // Docker Compose v5, built from source by .ci/compose/build.sh and installed as the docker CLI plugin: the
  // `docker compose` users run, and the one DockerComposeEnvironment runs (its default executable).
  const wantedCompose = composeVersion();
  const compose = run('docker', ['compose', 'version', '--short']);
  const reported = (compose.stdout || '').trim().replace(/^v?/, 'v');
  if (compose.status !== 0 || reported !== wantedCompose) {
    throw new Error(
      `The container tests need Docker Compose ${wantedCompose} as \`docker compose\` (found: ${compose.status === 0 ? reported : (compose.stderr || '').trim() || 'none'}).\n` +
        'Fix: run `sudo .ci/compose/build.sh compose` (builds it from source into /var/cache and installs the CLI plugin).',
    );
  }
  process.env.MSK_COMPOSE_VERSION = wantedCompose;

  // Offline stand-ins (provision.sh) are used when present, else the official images the compose files name.
  const baseImages = {
    MSK_NODE_IMAGE: { standIn: names.STANDIN_NODE_IMAGE, official: names.OFFICIAL_NODE_IMAGE },
    MSK_POSTGRES_IMAGE: { standIn: names.STANDIN_POSTGRES_IMAGE, official: names.OFFICIAL_POSTGRES_IMAGE },
    MSK_NGINX_IMAGE: { standIn: names.STANDIN_NGINX_IMAGE, official: names.OFFICIAL_NGINX_IMAGE },
  };
  for (const [variable, { standIn, official }] of Object.entries(baseImages)) {
    if (process.env[variable]) continue;
    if (imageExists(standIn)) process.env[variable] = standIn;
    else if (imageExists(official)) process.env[variable] = official;
    else
      throw new Error(
        `Neither ${standIn} (offline stand-in) nor ${official} is present. Fix: run \`sudo ${PROVISION} standins\`, or docker pull ${official}.`,
      );
  }

  process.stdout.write(
    `\n[containers] Docker ${info.stdout.trim()}, Docker Compose ${reported}; building the project images from the host build\n`,
  );
  try {
    execFileSync(join(root, '.ci', 'containers', 'build-images.sh'), [], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, NODE_IMAGE: process.env.MSK_NODE_IMAGE },
    });
  } catch {
    throw new Error(
      'Building the project images failed (output above). The host build must exist first: npm run build.',
    );
  }
  const reaper = chooseReaper(names);
  process.stdout.write(
    `[containers] ready in ${Date.now() - started} ms: node ${process.env.MSK_NODE_IMAGE}, postgres ${process.env.MSK_POSTGRES_IMAGE}, nginx ${process.env.MSK_NGINX_IMAGE}; Ryuk ${reaper}\n`,
  );
};
