import { randomBytes } from 'node:crypto';

/** A complete, valid environment of one node (fresh secrets each call): tests change one variable of it. */
export function goodEnvironment(): Record<string, string> {
  return {
    NEXTAUTH_SECRET: randomBytes(32).toString('base64'),
    SYNC_REGISTRATION_KEY: randomBytes(32).toString('hex'),
    SYNC_NODE_ID: randomBytes(8).toString('hex'),
    SYNC_NODE_NAME: 'node-1',
    NEXTAUTH_URL: 'https://platform.example.com',
    DATABASE_URL: 'postgresql://multi_business@localhost:5432/multi_business_db',
    SYNC_PEERS: '10.0.0.2:8765',
    REPLICATED_TABLES: 'users,businesses,employees',
  };
}
