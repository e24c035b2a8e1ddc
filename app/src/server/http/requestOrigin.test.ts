import { parseTrustedProxies } from '@msk/contract';
import {
  FORWARDED_HEADER_FLAG,
  headerReader,
  PEER_ADDRESS_HEADER,
  requestOrigin,
  stampPeerHeaders,
} from './requestOrigin';

const stamped = (remoteAddress: string, headers: Record<string, string>) => {
  const request = {
    headers: { ...headers } as Record<string, string | string[] | undefined>,
    socket: { remoteAddress },
  };
  stampPeerHeaders(request as never);
  return headerReader(request.headers);
};

describe('the origin of a request', () => {
  const noProxy = parseTrustedProxies('');
  const entryPoint = parseTrustedProxies('127.0.0.1');

  it("is the connection's address when no proxy is trusted, whatever X-Forwarded-For a client wrote", () => {
    const origin = requestOrigin(stamped('::ffff:192.0.2.10', { 'x-forwarded-for': '198.51.100.1' }), noProxy);
    expect(origin).toEqual({ clientAddress: '192.0.2.10', directFromLoopback: false });
  });

  it("replaces a client's own copy of the stamped headers", () => {
    const header = stamped('192.0.2.10', { [PEER_ADDRESS_HEADER]: '127.0.0.1', [FORWARDED_HEADER_FLAG]: '0' });
    expect(header(PEER_ADDRESS_HEADER)).toBe('192.0.2.10');
    expect(requestOrigin(header, noProxy).directFromLoopback).toBe(false);
  });

  it('is the address a trusted proxy forwarded', () => {
    const origin = requestOrigin(stamped('127.0.0.1', { 'x-forwarded-for': '6.6.6.6, 198.51.100.1' }), entryPoint);
    expect(origin).toEqual({ clientAddress: '198.51.100.1', directFromLoopback: false });
  });

  it('is direct from loopback only for a loopback peer without forwarding headers', () => {
    expect(requestOrigin(stamped('127.0.0.1', {}), entryPoint).directFromLoopback).toBe(true);
    expect(requestOrigin(stamped('::1', {}), noProxy).directFromLoopback).toBe(true);
    expect(requestOrigin(stamped('127.0.0.1', { 'x-forwarded-for': '127.0.0.1' }), entryPoint).directFromLoopback).toBe(
      false,
    );
    expect(requestOrigin(stamped('127.0.0.1', { forwarded: 'for=127.0.0.1' }), noProxy).directFromLoopback).toBe(false);
    expect(requestOrigin(stamped('10.0.0.3', {}), noProxy).directFromLoopback).toBe(false);
  });

  it('is unknown, and never loopback, for a request the server did not stamp', () => {
    expect(requestOrigin(headerReader({ 'x-forwarded-for': '127.0.0.1' }), entryPoint)).toEqual({
      clientAddress: 'unknown',
      directFromLoopback: false,
    });
    expect(requestOrigin(headerReader(undefined), entryPoint).clientAddress).toBe('unknown');
  });

  it("reads Fetch API headers as well as Node's header objects", () => {
    const headers = new Headers({ [PEER_ADDRESS_HEADER]: '192.0.2.7', [FORWARDED_HEADER_FLAG]: '0' });
    expect(requestOrigin(headerReader(headers), noProxy).clientAddress).toBe('192.0.2.7');
  });
});
