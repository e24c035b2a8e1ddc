export { startLocalCluster, type StartedLocalCluster, type LocalClusterOptions } from './harness';
