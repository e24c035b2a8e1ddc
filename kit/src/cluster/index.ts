export { startLocalCluster, type StartedLocalCluster, type LocalClusterOptions } from './harness';
export { readEnvFile } from './nodeEnvironment';
