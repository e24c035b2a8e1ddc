import { randomBytes } from 'node:crypto';
import { decode, encode, type JWT } from 'next-auth/jwt';
import { sessionCodec } from './sessionCodec';

const secret = () => randomBytes(32).toString('base64');
const token: JWT = { sub: '0190a6b2-7c4e-7000-8000-000000000001', email: 'ada@example.com', role: 'admin' };

describe('the session codec', () => {
  it('opens what it sealed with the current secret', async () => {
    const codec = sessionCodec({ current: secret(), previous: [] });
    const sealed = await codec.encode({ token, secret: 'ignored' });
    await expect(codec.decode({ token: sealed, secret: 'ignored' })).resolves.toMatchObject(token);
  });

  it('seals with the current secret only, so an instance that knows just that secret can open it', async () => {
    const current = secret();
    const codec = sessionCodec({ current, previous: [secret()] });
    const sealed = await codec.encode({ token, secret: 'ignored' });
    await expect(decode({ token: sealed, secret: current })).resolves.toMatchObject(token);
  });

  it('opens a cookie sealed with a previous secret during a rotation', async () => {
    const old = secret();
    const sealedWithOld = await encode({ token, secret: old });
    const codec = sessionCodec({ current: secret(), previous: [secret(), old] });
    await expect(codec.decode({ token: sealedWithOld, secret: 'ignored' })).resolves.toMatchObject(token);
  });

  it('refuses a cookie sealed with a secret it does not know, with the error NextAuth logs', async () => {
    const sealed = await encode({ token, secret: secret() });
    const codec = sessionCodec({ current: secret(), previous: [secret()] });
    await expect(codec.decode({ token: sealed, secret: 'ignored' })).rejects.toThrow('decryption operation failed');
  });

  it('refuses a tampered cookie', async () => {
    const current = secret();
    const codec = sessionCodec({ current, previous: [] });
    const sealed = await codec.encode({ token, secret: 'ignored' });
    const parts = sealed.split('.');
    const ciphertext = parts[3] as string;
    const flipped = (ciphertext[0] === 'A' ? 'B' : 'A') + ciphertext.slice(1);
    const tampered = [...parts.slice(0, 3), flipped, parts[4]].join('.');
    await expect(codec.decode({ token: tampered, secret: 'ignored' })).rejects.toThrow();
  });

  it('does not try other secrets for an expired cookie: expiry is final', async () => {
    const current = secret();
    const codec = sessionCodec({ current, previous: [secret()] });
    const expired = await encode({ token, secret: current, maxAge: -60 });
    await expect(codec.decode({ token: expired, secret: 'ignored' })).rejects.toThrow(/exp/);
  });

  it('reads no session from an empty cookie', async () => {
    const codec = sessionCodec({ current: secret(), previous: [] });
    await expect(codec.decode({ token: '', secret: 'ignored' })).resolves.toBeNull();
  });
});
