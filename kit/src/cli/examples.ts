/** The examples `msk <command> --help` ends with (clig.dev: lead with examples). */
export const KIT_EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  '': [
    'msk init --nodes 2 --peers 192.168.1.100,192.168.1.101 --public-url http://192.168.1.100:8080',
    'msk doctor deploy/',
    'msk up --nodes 3',
  ],
  init: [
    'msk init --nodes 2 --public-url https://platform.example.com          # mDNS discovery on one LAN',
    'msk init --nodes 2 --peers 192.168.1.100,192.168.1.101 --systemd      # static peers, plus systemd units',
    'msk init --dry-run --json                                              # show what would be written, as JSON',
    'msk init --out deploy --nodes 3 --keep-secrets                         # one more node, same secrets',
    'msk init --nodes 3 --database shared --database-url postgresql://msk_app@db.example.com/multi_business_db  # one shared PostgreSQL',
  ],
  doctor: ['msk doctor deploy/', 'msk doctor server1/.env.local server2/.env.local', 'msk doctor --json deploy/'],
  up: [
    'msk up',
    'msk up --nodes 3 --port 8090',
    'msk up --fresh',
    'msk up --database shared       # every node on one PostgreSQL',
  ],
  'build-app': ['msk build-app'],
  clean: [
    'msk clean                      # stop the local cluster if it runs, remove .local-cluster/',
    'npm start -- --clean          # the same through npm start',
  ],
  backup: [
    'npm run backup -- --node 2                                            # node 2 of the local cluster',
    'msk backup --exec "docker compose -f compose/docker-compose.yml exec -T -u postgres postgres-2" --env-file deploy/shared.env --env-file deploy/node-2.env',
  ],
  restore: [
    'npm run restore -- backups/node-2-20261207T063000000Z.mskbackup --node 2',
    'msk restore node-2.mskbackup --check-only --node 2                    # check the file, change nothing',
  ],
  systemd: [
    'msk systemd --config deploy                                            # units in deploy/systemd/node-N/',
    'msk systemd --config deploy --install-dir /srv/msk --user platform --dry-run',
  ],
};
