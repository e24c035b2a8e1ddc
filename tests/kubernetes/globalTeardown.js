// Stops the cluster only when globalSetup started it; one that .ci/kubernetes/up.sh started before the run (CI)
// is left to whoever started it.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async function kubernetesGlobalTeardown() {
  if (!globalThis.__MSK_KUBE_STARTED__) return;
  execFileSync('bash', [join(__dirname, '..', '..', '.ci', 'kubernetes', 'down.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
};
