/** A valid environment for one app node under test, with fresh secrets; tests override what they examine. */
import { randomBytes } from 'node:crypto';
import { freePort } from '@msk/kit/testing';

export function newSessionSecret(): string {
  return randomBytes(32).toString('base64');
}

export interface TestNodeProps {
  /** A loopback address of the app tests' range (127.0.1.0/24). */
  readonly address: string;
  /** @default a free port on the address, so concurrent test runs on one machine never collide */
  readonly port?: number;
  readonly databaseUrl: string;
  readonly nodeName: string;
  readonly nextAuthSecret?: string;
  readonly nextAuthSecretPrevious?: readonly string[];
  readonly adminEmail?: string;
  readonly adminPassword?: string;
  /** @default the node's own address: the URL users open; shared by every node in a real cluster */
  readonly nextAuthUrl?: string;
}

export const TEST_ADMIN_EMAIL = 'admin@example.com';
export const TEST_ADMIN_PASSWORD = 'integration-admin-password';

export async function testNodeEnvironment(props: TestNodeProps): Promise<Record<string, string>> {
  const port = props.port ?? (await freePort(props.address));
  const env: Record<string, string> = {
    NEXTAUTH_SECRET: props.nextAuthSecret ?? newSessionSecret(),
    SYNC_REGISTRATION_KEY: randomBytes(32).toString('hex'),
    SYNC_NODE_ID: randomBytes(8).toString('hex'),
    SYNC_NODE_NAME: props.nodeName,
    NEXTAUTH_URL: props.nextAuthUrl ?? `http://${props.address}:${port}`,
    DATABASE_URL: props.databaseUrl,
    NODE_ENV: 'production',
    HOSTNAME: props.address,
    PORT: String(port),
    SYNC_HTTP_PORT: String(port),
    // No sync service runs in these tests: point the readiness probe at this node's own (unused) address.
    SYNC_BIND_ADDRESS: props.address,
    SYNC_SERVICE_PORT: '8765',
    SYNC_PEERS: '127.0.0.254:8765',
    ADMIN_EMAIL: props.adminEmail ?? TEST_ADMIN_EMAIL,
    // for a sync service started beside it (the app does not read it): the reference app's tables
    REPLICATED_TABLES: 'users,businesses,employees',
  };
  if (props.adminPassword !== '') env.ADMIN_PASSWORD = props.adminPassword ?? TEST_ADMIN_PASSWORD;
  if (props.nextAuthSecretPrevious && props.nextAuthSecretPrevious.length > 0) {
    env.NEXTAUTH_SECRET_PREVIOUS = props.nextAuthSecretPrevious.join(',');
  }
  return env;
}
