export { startLocalCluster, type StartedLocalCluster, type LocalClusterOptions } from './harness';
export { readEnvFile } from './nodeEnvironment';
export { APP_STANDALONE_DIR } from './appBuild';
export { processAlive } from './processAlive';
