/**
 * A sync service started in this process on a test environment (usually on a test database): the environment is
 * validated as `run` does, and the service runs quiet (no process metrics, silent logger).
 */
import { type NodeConfig, validateNodeEnvironment } from '@msk/contract';
import { defaultPlugins } from '../cli/plugins';
import { createLogger } from '../service/logger';
import type { SyncServicePlugin } from '../service/plugin';
import { type StartedSyncService, type SyncServiceOptions, startSyncService } from '../service/syncService';

/** The sync service's configuration of an environment; throws with every problem when it is not valid. */
export function syncConfig(env: Record<string, string>): NodeConfig {
  const report = validateNodeEnvironment(env, 'sync');
  if (!report.config) throw new Error(JSON.stringify(report.problems));
  return report.config;
}

export interface TestServiceOptions extends Omit<SyncServiceOptions, 'plugins'> {
  /** 'default': the plugins `run` starts for the configuration (defaultPlugins). @default none */
  readonly plugins?: readonly SyncServicePlugin[] | 'default';
}

export function startTestService(
  env: Record<string, string>,
  options: TestServiceOptions = {},
): Promise<StartedSyncService> {
  const config = syncConfig(env);
  const { plugins, ...rest } = options;
  return startSyncService(config, {
    collectProcessMetrics: false,
    logger: createLogger('silent', {}),
    ...rest,
    plugins: plugins === 'default' ? defaultPlugins(config) : (plugins ?? []),
  });
}
