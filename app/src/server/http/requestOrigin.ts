/**
 * Who sent a request. Next.js hands route handlers no socket, and it keeps a client-written X-Forwarded-For as it
 * is (it only fills the header in when absent), so the server stamps the connection's own facts on every request
 * before Next.js sees it (installPeerAddressHeaders, from instrumentation.ts): the peer's address, and whether the
 * request arrived with forwarding headers. Any client-sent copy of these two headers is replaced.
 *
 * From those, with TRUSTED_PROXIES: the client's address (for the sign-in limits) and whether the caller is a
 * process on this machine talking to the node directly (for readiness details).
 */
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { clientAddressBehind, normalizeAddress, type TrustedProxies } from '@msk/contract';
import { processSingleton } from '../processSingleton';

export const PEER_ADDRESS_HEADER = 'x-msk-peer-address';
export const FORWARDED_HEADER_FLAG = 'x-msk-forwarded';
/** Headers by which a proxy says the request is not its own. */
const FORWARDING_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'];

/** Stamps the two headers on every request this process's HTTP servers receive; idempotent. */
export function installPeerAddressHeaders(): void {
  processSingleton('msk.app.peerAddressHeaders', () => {
    subscribe('http.server.request.start', (message) => {
      const { request } = message as { request: IncomingMessage };
      stampPeerHeaders(request);
    });
    return true;
  });
}

export function stampPeerHeaders(request: Pick<IncomingMessage, 'headers' | 'socket'>): void {
  const headers = request.headers;
  headers[PEER_ADDRESS_HEADER] = normalizeAddress(request.socket.remoteAddress ?? '');
  headers[FORWARDED_HEADER_FLAG] = FORWARDING_HEADERS.some((name) => headers[name] !== undefined) ? '1' : '0';
}

export type HeaderReader = (name: string) => string | undefined;

export function headerReader(
  headers: Headers | Record<string, string | string[] | undefined> | undefined,
): HeaderReader {
  if (!headers) return () => undefined;
  if (typeof (headers as Headers).get === 'function') return (name) => (headers as Headers).get(name) ?? undefined;
  return (name) => {
    const value = (headers as Record<string, string | string[] | undefined>)[name];
    return Array.isArray(value) ? value.join(',') : value;
  };
}

export interface RequestOrigin {
  /** The client's address, or 'unknown' when the server did not stamp the request. */
  readonly clientAddress: string;
  /** A process on this machine, talking to this node without a proxy in between. */
  readonly directFromLoopback: boolean;
}

function isLoopback(address: string): boolean {
  return (isIP(address) === 4 && address.startsWith('127.')) || address === '::1';
}

export function requestOrigin(header: HeaderReader, proxies: TrustedProxies): RequestOrigin {
  const peer = header(PEER_ADDRESS_HEADER);
  if (!peer || isIP(peer) === 0) return { clientAddress: 'unknown', directFromLoopback: false };
  return {
    clientAddress: clientAddressBehind(proxies, peer, header('x-forwarded-for')),
    directFromLoopback: isLoopback(peer) && header(FORWARDED_HEADER_FLAG) === '0',
  };
}
