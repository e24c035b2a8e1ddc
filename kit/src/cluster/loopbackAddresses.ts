import { createServer } from 'node:net';

/** Whether this OS lets a process bind 127.0.0.2 (Linux does; macOS only routes 127.0.0.1 by default). */
export function canBindDistinctLoopbackAddresses(): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(0, '127.0.0.2', () => server.close(() => resolve(true)));
  });
}

/** Whether something already listens on host:port (a second cluster, another program). */
export function isPortTaken(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
}
