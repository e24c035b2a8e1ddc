/** A valid environment for one app node under test, with fresh secrets; tests override what they examine. */
import { newSessionSecret, newSharedEnv, nodeEnv } from '@msk/contract/testing';
import { freePort } from '@msk/kit/testing';

export { newSessionSecret };

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
  const shared = newSharedEnv({
    NEXTAUTH_SECRET: props.nextAuthSecret ?? newSessionSecret(),
    NEXTAUTH_URL: props.nextAuthUrl ?? `http://${props.address}:${port}`,
    DATABASE_URL: props.databaseUrl,
  });
  // No sync service runs in these tests: point the readiness probe at this node's own (unused) address.
  const env = nodeEnv(
    shared,
    { name: props.nodeName, ip: props.address, peers: ['127.0.0.254:8765'] },
    {
      NODE_ENV: 'production',
      HOSTNAME: props.address,
      PORT: String(port),
      SYNC_HTTP_PORT: String(port),
      SYNC_SERVICE_PORT: '8765',
      ADMIN_EMAIL: props.adminEmail ?? TEST_ADMIN_EMAIL,
    },
  );
  if (props.adminPassword !== '') env.ADMIN_PASSWORD = props.adminPassword ?? TEST_ADMIN_PASSWORD;
  if (props.nextAuthSecretPrevious && props.nextAuthSecretPrevious.length > 0) {
    env.NEXTAUTH_SECRET_PREVIOUS = props.nextAuthSecretPrevious.join(',');
  }
  return env;
}
