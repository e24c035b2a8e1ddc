import { randomBytes } from 'node:crypto';
import { diagnose, type ServerEnvironment } from '../doctor/diagnose';
import { InitOptionError, generateConfiguration, generateSecrets } from './generateConfiguration';
import { kubernetesSecretManifest } from './kubernetesSecret';
import { parse } from 'yaml';

function asServers(config: ReturnType<typeof generateConfiguration>): ServerEnvironment[] {
  return config.nodes.map((node) => ({
    label: `node-${node.index}.env`,
    entries: [...config.secrets, ...config.shared, ...node.values].map(([key, value], i) => ({
      key,
      value,
      line: i + 1,
      quoted: false,
    })),
    syntaxErrors: [],
  }));
}

describe('init configuration', () => {
  it('generates secrets in the shapes the contract asks for', () => {
    const secrets = Object.fromEntries(generateSecrets());
    expect(Buffer.from(secrets.NEXTAUTH_SECRET as string, 'base64')).toHaveLength(32);
    expect(secrets.SYNC_REGISTRATION_KEY).toMatch(/^[0-9a-f]{64}$/);
    expect(Buffer.from(secrets.NEXT_SERVER_ACTIONS_ENCRYPTION_KEY as string, 'base64')).toHaveLength(32);
  });

  it('gives each node a distinct ID and name and passes doctor', () => {
    const config = generateConfiguration({ nodes: 3, publicUrl: 'https://platform.example.com/' }, generateSecrets());
    expect(config.nodes.map((n) => n.name)).toEqual(['node-1', 'node-2', 'node-3']);
    const ids = config.nodes.map((n) => Object.fromEntries(n.values).SYNC_NODE_ID);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(Object.fromEntries(config.shared).NEXTAUTH_URL).toBe('https://platform.example.com');
    expect(diagnose(asServers(config))).toEqual([]);
  });

  it('never hands out the same node ID twice, even from a poor random source', () => {
    let calls = 0;
    const repeating = (size: number) => Buffer.alloc(size, calls++ < 3 ? 1 : calls);
    const config = generateConfiguration({ nodes: 3 }, generateSecrets(), repeating);
    const ids = config.nodes.map((n) => Object.fromEntries(n.values).SYNC_NODE_ID);
    expect(new Set(ids).size).toBe(3);
  });

  it('gives each node the others as static peers', () => {
    const config = generateConfiguration(
      { nodes: 3, peers: ['10.0.0.1', '10.0.0.2', '10.0.0.3:9000'] },
      generateSecrets(),
    );
    expect(Object.fromEntries(config.shared).SYNC_DISCOVERY).toBe('static');
    expect(config.nodes.map((n) => Object.fromEntries(n.values).SYNC_PEERS)).toEqual([
      '10.0.0.2,10.0.0.3:9000',
      '10.0.0.1,10.0.0.3:9000',
      '10.0.0.1,10.0.0.2',
    ]);
    expect(diagnose(asServers(config))).toEqual([]);
  });

  it.each([
    [{ nodes: 0 }, /--nodes must be a whole number from 1 to 64/],
    [{ publicUrl: 'platform.example.com' }, /--public-url must be an absolute URL/],
    [{ nodes: 2, peers: ['a'] }, /--peers lists 1 address\(es\) but --nodes is 2/],
    [{ namePrefix: 'Bad_Prefix' }, /--name-prefix/],
    [{ discovery: 'dns' as const }, /--dns-name/],
  ])('refuses bad options %j with a message naming the option', (options, message) => {
    expect(() => generateConfiguration(options, generateSecrets())).toThrow(InitOptionError);
    expect(() => generateConfiguration(options, generateSecrets())).toThrow(message);
  });

  it('writes ONE Kubernetes Secret with the shared secrets only, keyed by variable name', () => {
    const secrets = generateSecrets();
    const manifest = parse(
      kubernetesSecretManifest([
        ...secrets,
        ['NEXTAUTH_URL', 'https://x.example'],
        ['SYNC_NODE_ID', randomBytes(8).toString('hex')],
      ]),
    );
    expect(manifest.kind).toBe('Secret');
    expect(manifest.metadata.name).toBe('multi-server-kit-shared');
    expect(Object.keys(manifest.data).sort()).toEqual([
      'DATABASE_PASSWORD',
      'NEXTAUTH_SECRET',
      'NEXT_SERVER_ACTIONS_ENCRYPTION_KEY',
      'SYNC_DATABASE_PASSWORD',
      'SYNC_REGISTRATION_KEY',
    ]);
    expect(Buffer.from(manifest.data.NEXTAUTH_SECRET, 'base64').toString()).toBe(
      Object.fromEntries(secrets).NEXTAUTH_SECRET,
    );
  });

  it('writes DATABASE_TOPOLOGY=per-node by default, each node on its own localhost database', () => {
    const config = generateConfiguration({ nodes: 2 }, generateSecrets());
    expect(Object.fromEntries(config.shared).DATABASE_TOPOLOGY).toBe('per-node');
  });

  it("writes the reference app's tables by default and another app's with --tables; refuses a bad list naming the option", () => {
    expect(Object.fromEntries(generateConfiguration({ nodes: 2 }, generateSecrets()).shared).REPLICATED_TABLES).toBe(
      'users,businesses,employees',
    );
    const other = generateConfiguration({ nodes: 2, tables: ['orders', 'customers'] }, generateSecrets());
    expect(Object.fromEntries(other.shared).REPLICATED_TABLES).toBe('orders,customers');
    expect(() => generateConfiguration({ tables: ['orders', 'shop.customers'] }, generateSecrets())).toThrow(
      /^--tables names "shop\.customers": .*schema public only/,
    );
    expect(() => generateConfiguration({ tables: [] }, generateSecrets())).toThrow(
      '--tables must name at least one table',
    );
  });

  it('with database shared gives every node the one database URL, and doctor accepts it', () => {
    const databaseUrl = 'postgresql://msk_app@db.example.com:5432/multi_business_db';
    const config = generateConfiguration({ nodes: 3, database: 'shared', databaseUrl }, generateSecrets());
    expect(Object.fromEntries(config.shared).DATABASE_TOPOLOGY).toBe('shared');
    for (const node of config.nodes) {
      expect(Object.fromEntries(node.values)).toMatchObject({
        DATABASE_URL: databaseUrl,
        SYNC_DATABASE_URL: 'postgresql://msk_sync@db.example.com:5432/multi_business_db',
      });
    }
    expect(diagnose(asServers(config))).toEqual([]);
  });

  it('refuses database shared without a database URL, or with one on localhost, saying how to fix it', () => {
    expect(() => generateConfiguration({ nodes: 2, database: 'shared' }, generateSecrets())).toThrow(
      /--database shared needs --database-url/,
    );
    expect(() =>
      generateConfiguration(
        { nodes: 2, database: 'shared', databaseUrl: 'postgresql://msk_app@localhost:5432/db' },
        generateSecrets(),
      ),
    ).toThrow(/points at localhost, which is each server's own machine/);
    expect(() =>
      generateConfiguration({ nodes: 2, database: 'shared', databaseUrl: 'mysql://x@db/y' }, generateSecrets()),
    ).toThrow(/^--database-url /);
  });
});
