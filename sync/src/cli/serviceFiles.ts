/** Where `service:start` keeps a node's PID and log files: `<state dir>/sync-<node name>.pid|.log`. */
import path from 'node:path';

export const DEFAULT_STATE_DIR = '.msk';

export interface ServiceFiles {
  readonly stateDir: string;
  readonly pidFile: string;
  readonly logFile: string;
}

export function serviceFiles(cwd: string, stateDir: string | undefined, nodeName: string): ServiceFiles {
  const dir = path.resolve(cwd, stateDir ?? DEFAULT_STATE_DIR);
  return {
    stateDir: dir,
    pidFile: path.join(dir, `sync-${nodeName}.pid`),
    logFile: path.join(dir, `sync-${nodeName}.log`),
  };
}

/** Where the local service answers /status: the bind address, or loopback when it binds every interface. */
export function localStatusAddress(env: Readonly<Record<string, string | undefined>>): string {
  const bind = env.SYNC_BIND_ADDRESS ?? '0.0.0.0';
  const host =
    bind === '' || bind === '0.0.0.0' ? '127.0.0.1' : bind === '::' ? '[::1]' : bind.includes(':') ? `[${bind}]` : bind;
  return `${host}:${env.SYNC_SERVICE_PORT ?? '8765'}`;
}
