export { startLocalCluster, type StartedLocalCluster, type LocalClusterOptions } from './harness';
export { readEnvFile } from './clusterNodeEnvironment';
export { APP_STANDALONE_DIR } from './appBuild';
export { processAlive } from './processAlive';
