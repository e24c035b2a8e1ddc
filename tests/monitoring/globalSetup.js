// Before the monitoring tests: promtool and the Prometheus server, built from upstream source into the cache
// (.ci/monitoring/build.sh: nothing to do when CI's stage already built them). Plain JS: runs outside Jest's sandbox.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async function monitoringGlobalSetup() {
  const root = join(__dirname, '..', '..');
  execFileSync('bash', [join(root, '.ci', 'monitoring', 'build.sh')], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
};
