/**
 * Limits on the sync port before authentication, per TCP connection: how many unauthenticated connections are
 * open (in total and per address, see ConnectionBudget), and how long one may take to carry its first request.
 * A connection leaves the budget when it carries a request with a valid peer signature, or closes.
 */
import type net from 'node:net';
import { ConnectionBudget } from '../core/connectionBudget';
import {
  MAX_UNAUTHENTICATED_CONNECTIONS,
  MAX_UNAUTHENTICATED_CONNECTIONS_PER_ADDRESS,
  PRE_AUTH_TIMEOUT_MS,
} from '../core/limits';
import { limitKey, normalizeIp } from '../core/peerAddress';

export interface ConnectionGateLimits {
  readonly maxUnauthenticated: number;
  readonly maxUnauthenticatedPerAddress: number;
  /** From accept to the end of the first answer (TLS handshake, headers, body, handler), unless authenticated. */
  readonly preAuthTimeoutMs: number;
}

export interface AcceptedConnection {
  readonly id: number;
  readonly socket: net.Socket;
  readonly remoteIp: string;
  authenticated: boolean;
  /** Plain HTTP from this host while TLS is on: operator routes only. */
  hostPlaintext: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** Why a connection was closed before authentication (counted as msk_sync_rejected_requests_total{route="connection"}). */
export type ConnectionRefusal = 'connection-limit' | 'displaced' | 'pre-auth-timeout' | 'plaintext';

export class ConnectionGate {
  private readonly limits: ConnectionGateLimits;
  private readonly budget: ConnectionBudget;
  private readonly connections = new Map<number, AcceptedConnection>();
  /** remoteAddress|remotePort → connection: the same for the TCP socket and the TLS socket over it. */
  private readonly byPeerEndpoint = new Map<string, AcceptedConnection>();
  private nextId = 1;

  constructor(
    limits: Partial<ConnectionGateLimits>,
    private readonly onRefused: (reason: ConnectionRefusal) => void,
  ) {
    this.limits = {
      maxUnauthenticated: limits.maxUnauthenticated ?? MAX_UNAUTHENTICATED_CONNECTIONS,
      maxUnauthenticatedPerAddress: limits.maxUnauthenticatedPerAddress ?? MAX_UNAUTHENTICATED_CONNECTIONS_PER_ADDRESS,
      preAuthTimeoutMs: limits.preAuthTimeoutMs ?? PRE_AUTH_TIMEOUT_MS,
    };
    this.budget = new ConnectionBudget({
      maxTotal: this.limits.maxUnauthenticated,
      maxPerAddress: this.limits.maxUnauthenticatedPerAddress,
    });
  }

  /** Admits a new TCP connection, or closes it at once (undefined) when its address has used its share. */
  admit(socket: net.Socket): AcceptedConnection | undefined {
    socket.on('error', () => undefined);
    const remoteIp = normalizeIp(socket.remoteAddress ?? '');
    const id = this.nextId++;
    const admission = this.budget.admit(id, limitKey(remoteIp));
    if (!admission.admitted) {
      this.onRefused('connection-limit');
      socket.destroy();
      return undefined;
    }
    for (const displacedId of admission.displaced) {
      const displaced = this.connections.get(displacedId);
      if (displaced) this.refuse(displaced, 'displaced');
    }
    const endpoint = `${socket.remoteAddress}|${socket.remotePort}`;
    const connection: AcceptedConnection = {
      id,
      socket,
      remoteIp,
      authenticated: false,
      hostPlaintext: false,
      timer: undefined,
    };
    connection.timer = setTimeout(() => this.refuse(connection, 'pre-auth-timeout'), this.limits.preAuthTimeoutMs);
    connection.timer.unref();
    this.connections.set(id, connection);
    this.byPeerEndpoint.set(endpoint, connection);
    socket.once('close', () => {
      if (connection.timer) clearTimeout(connection.timer);
      this.budget.forget(id);
      this.connections.delete(id);
      if (this.byPeerEndpoint.get(endpoint) === connection) this.byPeerEndpoint.delete(endpoint);
    });
    return connection;
  }

  /** The connection a request arrived on (its socket may be the TLS socket over the admitted TCP socket). */
  connectionOf(socket: net.Socket | null | undefined): AcceptedConnection | undefined {
    if (!socket) return undefined;
    return this.byPeerEndpoint.get(`${socket.remoteAddress}|${socket.remotePort}`);
  }

  /** The connection carried a request with a valid peer signature: no longer limited as unauthenticated. */
  authenticated(connection: AcceptedConnection): void {
    if (connection.authenticated) return;
    connection.authenticated = true;
    if (connection.timer) clearTimeout(connection.timer);
    connection.timer = undefined;
    this.budget.forget(connection.id);
  }

  refuse(connection: AcceptedConnection, reason: ConnectionRefusal): void {
    if (connection.socket.destroyed) return;
    this.onRefused(reason);
    connection.socket.destroy();
  }

  get unauthenticatedCount(): number {
    return this.budget.size;
  }

  closeAll(): void {
    for (const connection of this.connections.values()) connection.socket.destroy();
  }
}
