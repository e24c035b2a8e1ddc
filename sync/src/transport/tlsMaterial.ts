/** TLS material for the sync port, read from SYNC_TLS_CERT_FILE / SYNC_TLS_KEY_FILE. */
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** SHA-256 of the DER certificate, lowercase hex: what peers pin during the handshake. */
  readonly certSha256: string;
}

export class TlsMaterialError extends Error {
  override readonly name = 'TlsMaterialError';
}

function readPem(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new TlsMaterialError(
      `${variable} points at ${path}, which cannot be read (${code}). Fix: point it at a readable PEM file.`,
    );
  }
}

export function certificateSha256(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

export function loadTlsMaterial(certFile: string, keyFile: string): TlsMaterial {
  const cert = readPem('SYNC_TLS_CERT_FILE', certFile);
  const key = readPem('SYNC_TLS_KEY_FILE', keyFile);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new TlsMaterialError(
      `SYNC_TLS_CERT_FILE (${certFile}) is not a PEM certificate. Fix: use the .crt/.pem certificate file.`,
    );
  }
  try {
    const privateKey = createPrivateKey(key);
    if (!x509.checkPrivateKey(privateKey)) {
      throw new TlsMaterialError(
        `SYNC_TLS_KEY_FILE (${keyFile}) is not the key of the certificate in SYNC_TLS_CERT_FILE. Fix: use the matching pair.`,
      );
    }
  } catch (error) {
    if (error instanceof TlsMaterialError) throw error;
    throw new TlsMaterialError(
      `SYNC_TLS_KEY_FILE (${keyFile}) is not a PEM private key (or is encrypted). Fix: use an unencrypted PEM key.`,
    );
  }
  return { cert, key, certSha256: certificateSha256(x509.raw) };
}
