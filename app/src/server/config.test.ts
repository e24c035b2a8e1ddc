import { randomBytes } from 'node:crypto';
import { loadAppConfig } from './config';
import { forgetProcessSingleton } from './processSingleton';

describe("the app's configuration with Auth.js v5 names", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    forgetProcessSingleton('msk.app.config');
  });

  it('reads AUTH_SECRET and AUTH_URL, and hands NextAuth v4 the origin under NEXTAUTH_URL, the name it reads itself', () => {
    const secret = randomBytes(32).toString('base64');
    process.env = {
      PATH: saved.PATH,
      NODE_ENV: 'test',
      AUTH_SECRET: secret,
      AUTH_URL: 'https://shop.example.com',
      SYNC_REGISTRATION_KEY: randomBytes(32).toString('hex'),
      SYNC_NODE_ID: randomBytes(8).toString('hex'),
      SYNC_NODE_NAME: 'node-1',
      DATABASE_URL: 'postgresql://msk_app@localhost:5432/multi_business_db',
    };
    const { config } = loadAppConfig();
    expect(config.nextAuthSecret).toBe(secret);
    expect(config.nextAuthUrl).toBe('https://shop.example.com');
    expect(process.env.NEXTAUTH_URL).toBe('https://shop.example.com');
    expect(process.env.NEXTAUTH_SECRET).toBeUndefined(); // the secret is passed to NextAuth explicitly, never copied around
  });
});
