/**
 * A key pair and a self-signed certificate made in memory at start (ECDSA P-256, SHA-256), for TLS on the sync
 * port when no SYNC_TLS_CERT_FILE is given. Nobody checks it against a CA: peers pin it through the keyed
 * handshake, which every process start repeats anyway (a new instance ID means new sessions), so the key never
 * needs to touch the disk. The DER is written by hand: Node can sign but not build certificates.
 */
import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { type TlsMaterial } from './tlsMaterial';
import { certificateSha256 } from './tlsMaterial';

/** Long enough never to matter (the certificate lives as long as the process); nothing checks the dates. */
const VALIDITY_DAYS = 3650;
const DAY_MS = 86_400_000;

function length(bytes: number): Buffer {
  if (bytes < 0x80) return Buffer.from([bytes]);
  const octets: number[] = [];
  for (let rest = bytes; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  return Buffer.from([0x80 | octets.length, ...octets]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const sequence = (...content: Buffer[]) => tlv(0x30, ...content);
const set = (...content: Buffer[]) => tlv(0x31, ...content);

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * first + second];
  for (const arc of rest) {
    const group = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) group.unshift(0x80 | (v & 0x7f));
    bytes.push(...group);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function time(ms: number): Buffer {
  const iso = new Date(ms).toISOString(); // 2026-12-07T03:49:23.000Z
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  const year = Number(iso.slice(0, 4));
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
  return year < 2050
    ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'ascii'))
    : tlv(0x18, Buffer.from(`${digits}Z`, 'ascii'));
}

const ECDSA_WITH_SHA256 = sequence(oid('1.2.840.10045.4.3.2'));
const COMMON_NAME = '2.5.4.3';

export function createSelfSignedTlsMaterial(commonName: string, nowMs: number = Date.now()): TlsMaterial {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const name = sequence(set(sequence(oid(COMMON_NAME), tlv(0x0c, Buffer.from(commonName.slice(0, 64), 'utf8')))));
  const serial = randomBytes(16);
  serial[0] = ((serial[0] as number) & 0x7f) | 0x01; // positive and without a leading zero byte
  const tbs = sequence(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // version 3
    tlv(0x02, serial),
    ECDSA_WITH_SHA256,
    name,
    sequence(time(nowMs - DAY_MS), time(nowMs + VALIDITY_DAYS * DAY_MS)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = sequence(tbs, ECDSA_WITH_SHA256, tlv(0x03, Buffer.from([0]), signature));
  const certificate = new X509Certificate(der);
  if (
    !certificate.verify(publicKey) ||
    !certificate.checkPrivateKey(createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' })))
  ) {
    throw new Error('the generated TLS certificate does not verify (this is a bug)');
  }
  return {
    cert: Buffer.from(certificate.toString(), 'utf8'),
    key: Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' })),
    certSha256: certificateSha256(der),
  };
}
