import { randomBytes } from 'node:crypto';
import {
  base64OfBytes,
  commaList,
  dnsLabel,
  estimatedSecretBits,
  hexOfLength,
  httpOrigin,
  integerAtLeast,
  lowercaseHexOfLength,
  peerAddress,
  port,
  postgresUrl,
  quotesOrWhitespace,
  strongSecret,
} from './checks';

describe('secret strength', () => {
  it('accepts what `openssl rand -base64 32` makes', () => {
    for (let i = 0; i < 50; i++) expect(strongSecret(randomBytes(32).toString('base64'))).toBeUndefined();
  });
  it('accepts what `openssl rand -hex 32` makes', () => {
    expect(strongSecret(randomBytes(32).toString('hex'))).toBeUndefined();
  });
  it('refuses a 16-byte base64 secret as too weak, with its estimated bits', () => {
    expect(strongSecret(randomBytes(16).toString('base64'))).toMatch(/too weak: about 1\d\d bits/);
  });
  it('refuses a short dictionary secret', () => {
    expect(strongSecret('changeme')).toMatch(/too weak/);
  });
  it('refuses a long but repetitive secret', () => {
    expect(strongSecret('ab'.repeat(40))).toMatch(/too repetitive/);
  });
  it('estimates base64 padding as carrying no entropy', () => {
    expect(estimatedSecretBits('AAAA==')).toBe(estimatedSecretBits('AAAA'));
  });
});

describe('framing', () => {
  it.each([['"abc"'], ["'abc'"], ['abc"'], [' abc'], ['abc '], ['abc\t']])(
    'reports %j as quoted or padded',
    (value) => {
      expect(quotesOrWhitespace(value)).toBeDefined();
    },
  );
  it('accepts quotes in the middle of a value', () => {
    expect(quotesOrWhitespace('a"b')).toBeUndefined();
  });
});

describe('identifiers', () => {
  it('accepts what `openssl rand -hex 8` makes as a node ID', () => {
    expect(lowercaseHexOfLength(16, 'x')(randomBytes(8).toString('hex'))).toBeUndefined();
  });
  it("names the characters that are not hex (the guide's a1b2c3d4e5f6g7h8)", () => {
    expect(hexOfLength(16, 'x')('a1b2c3d4e5f6g7h8')).toBe("must be hex (0-9, a-f) but contains 'g', 'h'");
  });
  it('refuses uppercase node IDs and wrong lengths', () => {
    expect(lowercaseHexOfLength(16, 'x')('ABCDEF0123456789')).toBe('must be lowercase hex');
    expect(lowercaseHexOfLength(16, 'x')('abc')).toMatch(/exactly 16 .* got 3/);
  });
  it('accepts DNS labels and refuses others', () => {
    expect(dnsLabel('sync-node-server-1')).toBeUndefined();
    expect(dnsLabel('Server_1')).toMatch(/DNS label/);
    expect(dnsLabel('-a')).toMatch(/DNS label/);
    expect(dnsLabel('a'.repeat(64))).toMatch(/at most 63/);
  });
});

describe('URLs, ports and numbers', () => {
  it('accepts http(s) origins only', () => {
    expect(httpOrigin('https://platform.example.com')).toBeUndefined();
    expect(httpOrigin('http://192.168.1.100:8080')).toBeUndefined();
    expect(httpOrigin('platform.example.com')).toMatch(/absolute URL/);
    expect(httpOrigin('ftp://x')).toMatch(/http or https/);
    expect(httpOrigin('https://x.example/app')).toMatch(/origin only/);
    expect(httpOrigin('https://u:p@x.example')).toMatch(/user name or password/);
  });
  it('checks port ranges', () => {
    expect(port('8765')).toBeUndefined();
    expect(port('0')).toMatch(/between 1 and 65535/);
    expect(port('70000')).toMatch(/between 1 and 65535/);
    expect(port('80a')).toMatch(/whole number/);
  });
  it('enforces a minimum sync interval', () => {
    expect(integerAtLeast(1000, 'milliseconds')('999')).toBe('must be at least 1000 milliseconds, got 999');
    expect(integerAtLeast(1000, 'milliseconds')('30000')).toBeUndefined();
  });
  it('checks PostgreSQL URLs', () => {
    expect(postgresUrl('postgresql://u@localhost:5432/db')).toBeUndefined();
    expect(postgresUrl('mysql://u@localhost/db')).toMatch(/postgresql:\/\//);
    expect(postgresUrl('postgresql://u@localhost:5432')).toMatch(/name a database/);
  });
  it('accepts TLS parameters in a PostgreSQL URL, and refuses a libpq multi-host URL with ports', () => {
    expect(
      postgresUrl(
        'postgresql://msk_app@pg-rw.db.svc:5432/multi_business_db?sslmode=verify-full&sslrootcert=/etc/msk/db-ca.pem',
      ),
    ).toBeUndefined();
    expect(
      postgresUrl('postgresql://msk_app@pg-1:5432,pg-2:5432/multi_business_db?target_session_attrs=read-write'),
    ).toMatch(/must be a URL/);
  });
  it('checks peer lists', () => {
    const peers = commaList(peerAddress);
    expect(peers('10.0.0.2:8765,node-3,[::1]:8765')).toBeUndefined();
    expect(peers('a, b')).toMatch(/without spaces/);
    expect(peers('a:99999')).toMatch(/bad port/);
  });
  it('checks the Server Actions key is base64 of 16, 24 or 32 bytes', () => {
    expect(base64OfBytes([16, 24, 32])(randomBytes(32).toString('base64'))).toBeUndefined();
    expect(base64OfBytes([16, 24, 32])(randomBytes(20).toString('base64'))).toMatch(/got 20/);
  });
});
