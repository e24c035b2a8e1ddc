import { createServer } from 'node:net';

/** A TCP port free on `address` right now (the OS picks it), for a container port that must be known up front. */
export async function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
