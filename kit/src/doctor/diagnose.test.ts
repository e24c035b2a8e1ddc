import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvFile } from '@msk/contract/envFile';
import { type Finding, type ServerEnvironment, diagnose } from './diagnose';

function server(label: string, values: Record<string, string>): ServerEnvironment {
  return {
    label,
    entries: Object.entries(values).map(([key, value], i) => ({ key, value, line: i + 1, quoted: false })),
    syntaxErrors: [],
  };
}

function cluster(): { shared: Record<string, string>; a: Record<string, string>; b: Record<string, string> } {
  const shared = {
    NEXTAUTH_SECRET: randomBytes(32).toString('base64'),
    SYNC_REGISTRATION_KEY: randomBytes(32).toString('hex'),
    NEXTAUTH_URL: 'https://platform.example.com',
    SYNC_DISCOVERY: 'mdns',
    REPLICATED_TABLES: 'users,businesses,employees',
  };
  const node = (n: number) => ({
    ...shared,
    SYNC_NODE_ID: randomBytes(8).toString('hex'),
    SYNC_NODE_NAME: `server-${n}`,
    DATABASE_URL: 'postgresql://msk_app@localhost:5432/multi_business_db',
    SYNC_DATABASE_URL: 'postgresql://msk_sync@localhost:5432/multi_business_db',
  });
  return { shared, a: node(1), b: node(2) };
}

/** Two servers of one correct cluster, each with its overrides. */
const diagnosePair = (aOverrides: Record<string, string>, bOverrides: Record<string, string>) => {
  const { a, b } = cluster();
  return diagnose([server('a.env', { ...a, ...aOverrides }), server('b.env', { ...b, ...bOverrides })]);
};

const codes = (findings: Finding[]) => findings.map((f) => `${f.severity}:${f.code}:${f.variable}`);

describe('doctor', () => {
  it('finds nothing wrong with a correct two-server configuration', () => {
    const { a, b } = cluster();
    expect(diagnose([server('a.env', a), server('b.env', b)])).toEqual([]);
  });

  it('reports a shared value that differs, naming the files and showing fingerprints only', () => {
    const { a, b } = cluster();
    const other = randomBytes(32).toString('base64');
    const findings = diagnose([server('a.env', a), server('b.env', { ...b, NEXTAUTH_SECRET: other })]);
    expect(codes(findings)).toEqual(['error:shared-differs:NEXTAUTH_SECRET']);
    const [finding] = findings;
    expect(finding?.where).toEqual(['a.env:1', 'b.env:1']);
    expect(finding?.message).toMatch(/fp:[0-9a-f]{8} in a\.env; fp:[0-9a-f]{8} in b\.env/);
    expect(JSON.stringify(findings)).not.toContain(other);
    expect(JSON.stringify(findings)).not.toContain(a.NEXTAUTH_SECRET);
  });

  it('reports a registration key that differs', () => {
    const { a, b } = cluster();
    const findings = diagnose([
      server('a.env', a),
      server('b.env', { ...b, SYNC_REGISTRATION_KEY: randomBytes(32).toString('hex') }),
    ]);
    expect(codes(findings)).toEqual(['error:shared-differs:SYNC_REGISTRATION_KEY']);
  });

  it('reports REPLICATED_TABLES that differ between servers, and a bad table list naming the variable and the fix', () => {
    const { a, b } = cluster();
    const differs = diagnose([server('a.env', a), server('b.env', { ...b, REPLICATED_TABLES: 'users,businesses' })]);
    expect(codes(differs)).toEqual(['error:shared-differs:REPLICATED_TABLES']);
    const bad = diagnosePair(
      { REPLICATED_TABLES: 'users,app.orders,users' },
      { REPLICATED_TABLES: 'users,app.orders,users' },
    );
    expect(codes(bad)).toEqual(['error:invalid:REPLICATED_TABLES', 'error:invalid:REPLICATED_TABLES']);
    expect(bad[0]?.message).toContain('schema public only');
    expect(bad[0]?.fix).toContain('REPLICATED_TABLES=');
  });

  it('compares REPLICATED_TABLES as a set, as the sync services do: the same tables in another order agree', () => {
    const reordered = diagnosePair(
      { REPLICATED_TABLES: 'users,businesses,employees' },
      { REPLICATED_TABLES: 'employees,users,businesses' },
    );
    expect(reordered).toEqual([]);
    const fewer = diagnosePair(
      { REPLICATED_TABLES: 'users,businesses,employees' },
      { REPLICATED_TABLES: 'employees,users' },
    );
    expect(codes(fewer)).toEqual(['error:shared-differs:REPLICATED_TABLES']);
  });

  it('requires REPLICATED_TABLES with per-node databases, not with one shared database', () => {
    const { a, b } = cluster();
    const { REPLICATED_TABLES: _a, ...aWithout } = a;
    const { REPLICATED_TABLES: _b, ...bWithout } = b;
    expect(codes(diagnose([server('a.env', aWithout), server('b.env', bWithout)]))).toEqual([
      'error:invalid:REPLICATED_TABLES',
      'error:invalid:REPLICATED_TABLES',
    ]);
    const shared = {
      DATABASE_TOPOLOGY: 'shared',
      DATABASE_URL: 'postgresql://msk_app@db.example.com:5432/multi_business_db',
      SYNC_DATABASE_URL: 'postgresql://msk_sync@db.example.com:5432/multi_business_db',
    };
    expect(
      codes(diagnose([server('a.env', { ...aWithout, ...shared }), server('b.env', { ...bWithout, ...shared })])),
    ).toEqual([]);
  });

  it('understands Auth.js v5 names: AUTH_SECRET on one server is NEXTAUTH_SECRET on the other', () => {
    const { a, b } = cluster();
    const { NEXTAUTH_SECRET: same, NEXTAUTH_URL: url, ...bWithout } = b;
    expect(
      diagnose([
        server('a.env', a),
        server('b.env', { ...bWithout, AUTH_SECRET: same as string, AUTH_URL: url as string }),
      ]),
    ).toEqual([]);
    const other = randomBytes(32).toString('base64');
    const findings = diagnose([
      server('a.env', a),
      server('b.env', { ...bWithout, AUTH_SECRET: other, AUTH_URL: url as string }),
    ]);
    expect(codes(findings)).toEqual(['error:shared-differs:NEXTAUTH_SECRET']);
    expect(findings[0]?.where[1]).toMatch(/^b\.env:\d+$/); // the AUTH_SECRET line, not "(unset)"
    expect(JSON.stringify(findings)).not.toContain(other);
  });

  it('reports NEXTAUTH_SECRET and AUTH_SECRET set to different values on one server', () => {
    const { a, b } = cluster();
    const findings = diagnose([
      server('a.env', { ...a, AUTH_SECRET: randomBytes(32).toString('base64') }),
      server('b.env', b),
    ]);
    expect(codes(findings)).toEqual(['error:invalid:NEXTAUTH_SECRET']);
    expect(findings[0]?.message).toContain('and AUTH_SECRET (its Auth.js v5 name) are both set, to different values');
  });

  it('reports a unique value that collides', () => {
    const { a, b } = cluster();
    const findings = diagnose([
      server('a.env', a),
      server('b.env', { ...b, SYNC_NODE_ID: a.SYNC_NODE_ID as string, SYNC_NODE_NAME: 'server-1' }),
    ]);
    expect(codes(findings).sort()).toEqual([
      'error:unique-collides:SYNC_NODE_ID',
      'error:unique-collides:SYNC_NODE_NAME',
    ]);
    expect(findings[0]?.message).toMatch(/used by a\.env and b\.env/);
  });

  it('reports every format error, per file', () => {
    const { a } = cluster();
    const findings = diagnose([
      server('a.env', {
        ...a,
        NEXTAUTH_SECRET: 'too-short',
        SYNC_REGISTRATION_KEY: 'abc',
        SYNC_NODE_ID: 'XYZ',
        SYNC_NODE_NAME: 'Server One',
        NEXTAUTH_URL: 'platform.example.com',
        SYNC_SERVICE_PORT: '99999',
        SYNC_INTERVAL: '500',
      }),
    ]);
    expect(codes(findings).sort()).toEqual([
      'error:invalid:NEXTAUTH_SECRET',
      'error:invalid:NEXTAUTH_URL',
      'error:invalid:SYNC_INTERVAL',
      'error:invalid:SYNC_NODE_ID',
      'error:invalid:SYNC_NODE_NAME',
      'error:invalid:SYNC_REGISTRATION_KEY',
      'error:invalid:SYNC_SERVICE_PORT',
    ]);
  });

  it('reports quotes or whitespace inside a value', () => {
    const { a } = cluster();
    const text = `NEXTAUTH_SECRET="'${a.NEXTAUTH_SECRET}'"\nSYNC_NODE_NAME=server-1   \n`;
    const parsed = parseEnvFile(text);
    const findings = diagnose([
      { label: 'a.env', entries: [...server('x', a).entries, ...parsed.entries], syntaxErrors: [] },
    ]);
    const secret = findings.find((f) => f.variable === 'NEXTAUTH_SECRET');
    expect(secret?.message).toMatch(/wrapped in quotes/);
    expect(secret?.fix).toMatch(/remove the quotes/);
    expect(findings.find((f) => f.variable === 'SYNC_NODE_NAME')?.message).toMatch(/whitespace/);
  });

  it('reports NEXTAUTH_URL with different schemes: the cookie names differ', () => {
    const { a, b } = cluster();
    const findings = diagnose([
      server('a.env', a),
      server('b.env', { ...b, NEXTAUTH_URL: 'http://platform.example.com' }),
    ]);
    expect(codes(findings)).toEqual(['error:url-scheme-differs:NEXTAUTH_URL']);
    expect(findings[0]?.message).toMatch(/__Secure-/);
  });

  it('reports NEXTAUTH_URL with different hosts: put the servers behind one entry point', () => {
    const findings = diagnosePair({ NEXTAUTH_URL: 'https://a.example.com' }, { NEXTAUTH_URL: 'https://b.example.com' });
    expect(codes(findings)).toEqual(['error:url-host-differs:NEXTAUTH_URL']);
    expect(findings[0]?.fix).toMatch(/one entry point/);
  });

  it('reports a secret published in the setup guide', () => {
    const { a } = cluster();
    const guide = parseEnvFile(readFileSync(join(__dirname, '__fixtures__', 'guide-server1.env'), 'utf8'));
    const published = guide.entries.find((e) => e.key === 'NEXTAUTH_SECRET')?.value as string;
    const findings = diagnose([server('a.env', { ...a, NEXTAUTH_SECRET: published })]);
    expect(findings.map((f) => f.message)).toContainEqual(expect.stringMatching(/setup guide: it is public/));
  });

  it("reports the guide's example node ID a1b2c3d4e5f6g7h8 as not what openssl makes", () => {
    const { a } = cluster();
    const findings = diagnose([server('a.env', { ...a, SYNC_NODE_ID: 'a1b2c3d4e5f6g7h8' })]);
    expect(findings.map((f) => `${f.severity}: ${f.message}`)).toEqual([
      "error: must be hex (0-9, a-f) but contains 'g', 'h'",
      expect.stringMatching(
        /^warning: is the guide's example for server 2, which is not hex and not what `openssl rand -hex 8` makes/,
      ),
    ]);
  });

  it('warns about a setting that differs and a misspelt variable', () => {
    const findings = diagnosePair({ SYNC_INTERVAL: '10000' }, { NEXTAUTH_SECERT: 'x' });
    expect(codes(findings).sort()).toEqual([
      'warning:setting-differs:SYNC_INTERVAL',
      'warning:unknown-variable:NEXTAUTH_SECERT',
    ]);
    expect(findings.find((f) => f.code === 'unknown-variable')?.message).toMatch(/did you mean NEXTAUTH_SECRET/);
  });

  it("checks the setup guide's own two-server example and finds what is wrong with it", () => {
    const read = (name: string): ServerEnvironment => {
      const parsed = parseEnvFile(readFileSync(join(__dirname, '__fixtures__', name), 'utf8'));
      return { label: name, entries: parsed.entries, syntaxErrors: parsed.errors };
    };
    const findings = diagnose([read('guide-server1.env'), read('guide-server2.env')]);
    const summary = findings.map((f) => `${f.severity}:${f.code}:${f.variable}:${f.where.join(',')}`);
    expect(summary).toEqual(
      expect.arrayContaining([
        // published secrets, on both servers
        'error:invalid:NEXTAUTH_SECRET:guide-server1.env:2',
        'error:invalid:NEXTAUTH_SECRET:guide-server2.env:4',
        // the guide's key is 63 hex characters, not 64 (and published)
        'error:invalid:SYNC_REGISTRATION_KEY:guide-server1.env:3',
        'error:invalid:SYNC_REGISTRATION_KEY:guide-server2.env:5',
        // not hex
        'error:invalid:SYNC_NODE_ID:guide-server2.env:12',
        // two different hosts: no browser shares a cookie between them
        'error:url-host-differs:NEXTAUTH_URL:guide-server1.env:7,guide-server2.env:14',
        'warning:invalid:NODE_ENV:guide-server1.env:9',
        // the guide predates REPLICATED_TABLES: there is no built-in table list
        'error:invalid:REPLICATED_TABLES:guide-server1.env (unset)',
        'error:invalid:REPLICATED_TABLES:guide-server2.env (unset)',
      ]),
    );
    const keyMessages = findings.filter((f) => f.variable === 'SYNC_REGISTRATION_KEY').map((f) => f.message);
    expect(keyMessages).toContainEqual(expect.stringMatching(/got 63/));
    expect(keyMessages).toContainEqual(
      expect.stringMatching(/SYNC_REGISTRATION_KEY example of the multi-server setup guide/),
    );
    expect(findings.filter((f) => f.severity === 'error')).toHaveLength(10);
  });
});

describe('doctor and the database topology', () => {
  const at = (host: string) => ({
    DATABASE_URL: `postgresql://msk_app@${host}:5432/multi_business_db`,
    SYNC_DATABASE_URL: `postgresql://msk_sync@${host}:5432/multi_business_db`,
  });

  it('accepts the same DATABASE_URL on every server when DATABASE_TOPOLOGY=shared', () => {
    const { a, b } = cluster();
    const shared = { DATABASE_TOPOLOGY: 'shared', ...at('db.example.com') };
    expect(diagnose([server('a.env', { ...a, ...shared }), server('b.env', { ...b, ...shared })])).toEqual([]);
  });

  it('refuses one database host on two servers in per-node mode (the default), naming both', () => {
    const findings = diagnosePair({ ...at('db.example.com') }, { ...at('DB.example.com') });
    expect(codes(findings)).toEqual(['error:database-shared-per-node:DATABASE_URL']);
    expect(findings[0]?.where).toEqual(['a.env:8', 'b.env:8']); // the line of DATABASE_URL in each file
    expect(findings[0]?.message).toContain(
      'names one database (db.example.com:5432/multi_business_db) on a.env and b.env, but DATABASE_TOPOLOGY is per-node',
    );
    expect(findings[0]?.fix).toContain('DATABASE_TOPOLOGY=shared');
  });

  it("still accepts localhost on every server in per-node mode: that is each server's own database", () => {
    expect(diagnosePair({ DATABASE_TOPOLOGY: 'per-node' }, { DATABASE_TOPOLOGY: 'per-node' })).toEqual([]);
  });

  it('warns in shared mode about a localhost database and about different database names', () => {
    const local = diagnosePair({ DATABASE_TOPOLOGY: 'shared' }, { DATABASE_TOPOLOGY: 'shared' });
    expect(codes(local)).toEqual(['warning:database-not-shared:DATABASE_URL']);
    expect(local[0]?.message).toMatch(/localhost.*not one they share/);
    const different = diagnosePair(
      { DATABASE_TOPOLOGY: 'shared', ...at('db-1.example.com') },
      { DATABASE_TOPOLOGY: 'shared', ...at('db-2.example.com') },
    );
    expect(codes(different)).toEqual(['warning:database-not-shared:DATABASE_URL']);
    expect(different[0]?.message).toContain(
      'db-1.example.com:5432/multi_business_db in a.env; db-2.example.com:5432/multi_business_db in b.env',
    );
  });

  it('reports a DATABASE_TOPOLOGY that differs between servers, and one that is not a topology', () => {
    const findings = diagnosePair({ DATABASE_TOPOLOGY: 'shared' }, { DATABASE_TOPOLOGY: 'both' });
    expect(codes(findings)).toEqual(
      expect.arrayContaining(['error:invalid:DATABASE_TOPOLOGY', 'error:shared-differs:DATABASE_TOPOLOGY']),
    );
  });
});
