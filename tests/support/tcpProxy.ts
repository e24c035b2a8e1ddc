/** A network partition between peers on loopback: a TCP proxy that can cut and heal the link. */
import { type Server, type Socket, createServer, connect } from 'node:net';

/**
 * A TCP proxy in front of one peer's sync address: while `cut`, it drops every open connection and every new one
 * (a peer sees connection resets, like a link going down), `heal()` lets traffic through again.
 */
export class TcpProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private cutOff = false;

  private constructor(
    readonly listen: { host: string; port: number },
    readonly target: { host: string; port: number },
  ) {
    this.server = createServer((client) => {
      if (this.cutOff) {
        client.destroy();
        return;
      }
      const upstream = connect(target.port, target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  static async start(
    listen: { host: string; port: number },
    target: { host: string; port: number },
  ): Promise<TcpProxy> {
    const proxy = new TcpProxy(listen, target);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(listen.port, listen.host, () => resolve());
    });
    return proxy;
  }

  get address(): string {
    return `${this.listen.host}:${this.listen.port}`;
  }

  cut(): void {
    this.cutOff = true;
    for (const socket of this.sockets) socket.destroy();
  }

  heal(): void {
    this.cutOff = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
