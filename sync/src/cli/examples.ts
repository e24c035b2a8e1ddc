/** The examples `msk-sync <command> --help` ends with (npm run service:* call these commands). */
export const SYNC_EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  '': ['npm run service:start', 'npm run service:status', 'npm run service:stop'],
  run: ['npx msk-sync run', 'npx msk-sync run --env-file deploy/shared.env --env-file deploy/node-1.env'],
  start: [
    'npm run service:start',
    'npm run service:start -- --env-file /etc/multi-server-kit/shared.env --env-file /etc/multi-server-kit/node-1.env',
  ],
  stop: ['npm run service:stop', 'npm run service:stop -- --pid-file .msk/sync-node-1.pid'],
  status: [
    'npm run service:status',
    'npm run service:status -- --json',
    'npm run service:status -- --address 127.0.0.2:8765',
  ],
};
