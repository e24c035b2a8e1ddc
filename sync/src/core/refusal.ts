/** Why a peer was refused. Each reason has one plain-language meaning in status and logs. */
export const REFUSAL_REASONS = [
  'registration-key-differs',
  'duplicate-node-id',
  'clock-skew',
  'protocol-version',
  'tls-certificate-mismatch',
  'replayed',
  'reflected',
  'stale',
  'unknown-handshake',
  'malformed',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface Refusal {
  readonly reason: RefusalReason;
  /** A sentence for operators; never contains a secret. */
  readonly message: string;
}

/** Short words for the status table. */
export const REFUSAL_SUMMARY: Readonly<Record<RefusalReason, string>> = {
  'registration-key-differs': 'registration key differs',
  'duplicate-node-id': 'duplicate node ID',
  'clock-skew': 'clock skew too large',
  'protocol-version': 'protocol version differs',
  'tls-certificate-mismatch': 'TLS certificate mismatch',
  replayed: 'replayed message',
  reflected: 'reflected message',
  stale: 'stale message',
  'unknown-handshake': 'unknown handshake',
  malformed: 'malformed message',
};
