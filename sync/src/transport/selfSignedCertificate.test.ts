import { X509Certificate, createHash } from 'node:crypto';
import { createSelfSignedTlsMaterial } from './selfSignedCertificate';

describe('the certificate a node makes for itself at start', () => {
  it('is a self-signed P-256 certificate for its key, pinned by the SHA-256 of its DER', () => {
    const material = createSelfSignedTlsMaterial('server-1 sync', Date.parse('2026-12-07T00:00:00Z'));
    const x509 = new X509Certificate(material.cert);
    expect(x509.subject).toBe('CN=server-1 sync');
    expect(x509.issuer).toBe(x509.subject);
    expect(x509.publicKey.asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(material.certSha256).toBe(createHash('sha256').update(x509.raw).digest('hex'));
    expect(new Date(x509.validFrom).toISOString()).toBe('2026-12-06T00:00:00.000Z');
  });

  it('writes dates from 2050 on as GeneralizedTime', () => {
    const x509 = new X509Certificate(createSelfSignedTlsMaterial('n', Date.parse('2049-06-01T00:00:00Z')).cert);
    expect(new Date(x509.validTo).getUTCFullYear()).toBe(2059);
  });

  it('is a new key and certificate every time', () => {
    expect(createSelfSignedTlsMaterial('n').certSha256).not.toBe(createSelfSignedTlsMaterial('n').certSha256);
  });
});
