import { execFileSync } from 'node:child_process';
import path from 'node:path';

export type TlsFiles = { readonly SYNC_TLS_CERT_FILE: string; readonly SYNC_TLS_KEY_FILE: string };

/** A self-signed P-256 certificate for `name` (valid two days), written by openssl into `dir`, as a node's TLS variables. */
export function selfSignedCertificate(dir: string, name: string): TlsFiles {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2'],
      ...['-subj', `/CN=${name}`, '-keyout', key, '-out', cert],
    ],
    { stdio: 'pipe' },
  );
  return { SYNC_TLS_CERT_FILE: cert, SYNC_TLS_KEY_FILE: key };
}
