/**
 * Pure value checks used by the env contract. Each returns undefined when the value is fine, or a sentence
 * describing what is wrong. A message never contains the value itself: callers decide whether a value may be
 * shown (secrets never are).
 */
import { createHash } from 'node:crypto';

export type Check = (value: string) => string | undefined;

const QUOTE_CHARS = ['"', "'", '`'];

/** The guide's troubleshooting item "no extra spaces or quotes": applied to every variable before its own check. */
export function quotesOrWhitespace(value: string): string | undefined {
  if (value.length === 0) return undefined;
  const first = value[0] as string;
  const last = value[value.length - 1] as string;
  if (QUOTE_CHARS.includes(first) || QUOTE_CHARS.includes(last)) {
    return 'is wrapped in quotes (or has a quote at one end); the quotes would become part of the value';
  }
  if (/^\s/.test(value) || /\s$/.test(value)) {
    return 'has leading or trailing whitespace, which becomes part of the value on some servers and not others';
  }
  return undefined;
}

export const MIN_SECRET_BITS = 256;
export const MIN_DISTINCT_SECRET_CHARS = 10;

/** Size of the alphabet a secret appears to be drawn from. */
function alphabetSize(value: string): number {
  if (/^[0-9a-f]+$/.test(value) || /^[0-9A-F]+$/.test(value)) return 16;
  if (/^[A-Za-z0-9+/_-]+$/.test(value)) return 64;
  let size = 0;
  if (/[a-z]/.test(value)) size += 26;
  if (/[A-Z]/.test(value)) size += 26;
  if (/[0-9]/.test(value)) size += 10;
  if (/[^A-Za-z0-9]/.test(value)) size += 33;
  return size;
}

/**
 * Estimated entropy of a secret in bits: length (without base64 padding) times log2 of its alphabet.
 * `openssl rand -base64 32` gives 43 significant base64 characters = 258 bits; `openssl rand -hex 32` gives 256.
 */
export function estimatedSecretBits(value: string): number {
  const significant = value.replace(/=+$/, '');
  if (significant.length === 0) return 0;
  return Math.floor(significant.length * Math.log2(alphabetSize(significant)));
}

export function strongSecret(value: string): string | undefined {
  const bits = estimatedSecretBits(value);
  const distinct = new Set(value).size;
  if (bits < MIN_SECRET_BITS) {
    return `is too weak: about ${bits} bits of entropy (${value.length} characters), at least ${MIN_SECRET_BITS} needed`;
  }
  if (distinct < MIN_DISTINCT_SECRET_CHARS) {
    return `is too repetitive to be random: only ${distinct} distinct characters`;
  }
  return undefined;
}

export function hexOfLength(length: number, what: string): Check {
  return (value) => {
    if (value.length !== length) return `must be exactly ${length} hex characters (${what}), got ${value.length}`;
    const bad = [...new Set(value.replace(/[0-9a-fA-F]/g, ''))];
    if (bad.length > 0) {
      return `must be hex (0-9, a-f) but contains ${bad.map((c) => `'${c}'`).join(', ')}`;
    }
    return undefined;
  };
}

export function lowercaseHexOfLength(length: number, what: string): Check {
  const hex = hexOfLength(length, what);
  return (value) => hex(value) ?? (/[A-F]/.test(value) ? 'must be lowercase hex' : undefined);
}

/** RFC 1123 label: what Kubernetes, mDNS and DNS all accept as a host name part. */
export function dnsLabel(value: string): string | undefined {
  if (value.length > 63) return `must be at most 63 characters (a DNS label), got ${value.length}`;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value)) {
    return 'must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit';
  }
  return undefined;
}

function urlOrUndefined(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

export function httpOrigin(value: string): string | undefined {
  const url = urlOrUndefined(value);
  if (!url) return 'must be an absolute URL such as https://platform.example.com';
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must use http or https, not ${url.protocol}`;
  if (url.username || url.password) return 'must not contain a user name or password';
  if (url.pathname !== '/' || url.search || url.hash) {
    return 'must be an origin only (scheme, host, optional port) with no path, query or fragment';
  }
  return undefined;
}

export function port(value: string): string | undefined {
  if (!/^\d+$/.test(value)) return 'must be a whole number between 1 and 65535';
  const n = Number(value);
  if (n < 1 || n > 65535) return `must be between 1 and 65535, got ${n}`;
  return undefined;
}

export function integerAtLeast(min: number, unit: string): Check {
  return (value) => {
    if (!/^\d+$/.test(value)) return `must be a whole number of ${unit}`;
    if (Number(value) < min) return `must be at least ${min} ${unit}, got ${value}`;
    return undefined;
  };
}

/** A whole number that may be negative ("-2000", "+4000"), at most maxAbs away from zero. */
export function signedIntegerWithin(maxAbs: number, unit: string): Check {
  return (value) => {
    if (!/^[+-]?\d+$/.test(value)) return `must be a whole number of ${unit}, optionally signed (e.g. -2000 or 4000)`;
    if (Math.abs(Number(value)) > maxAbs) return `must be between -${maxAbs} and ${maxAbs} ${unit}, got ${value}`;
    return undefined;
  };
}

/** How a node notices its local commits (SYNC_LOCAL_CHANGES): `notify`, or `poll:<ms>`. */
export type ChangeDetection = { readonly mode: 'notify' } | { readonly mode: 'poll'; readonly pollIntervalMs: number };

/** `notify` or `poll:<digits>` read as a ChangeDetection; undefined for anything else. */
export function parseChangeDetection(value: string): ChangeDetection | undefined {
  if (value === 'notify') return { mode: 'notify' };
  const match = /^poll:(\d+)$/.exec(value);
  return match ? { mode: 'poll', pollIntervalMs: Number(match[1]) } : undefined;
}

/** `notify`, or `poll:<ms>` with ms in [min, max]. */
export function changeDetection(minMs: number, maxMs: number): Check {
  return (value) => {
    const parsed = parseChangeDetection(value);
    if (!parsed) return `must be notify or poll:<milliseconds> (e.g. poll:2)`;
    if (parsed.mode === 'notify' || (parsed.pollIntervalMs >= minMs && parsed.pollIntervalMs <= maxMs))
      return undefined;
    return `poll interval must be between ${minMs} and ${maxMs} ms, got ${parsed.pollIntervalMs}`;
  };
}

export function oneOf(values: readonly string[]): Check {
  return (value) => (values.includes(value) ? undefined : `must be one of ${values.join(', ')}`);
}

export function booleanWord(value: string): string | undefined {
  return value === 'true' || value === 'false' ? undefined : 'must be true or false';
}

export function postgresUrl(value: string): string | undefined {
  const url = urlOrUndefined(value);
  if (!url) return 'must be a URL such as postgresql://user@localhost:5432/multi_business_db';
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    return `must start with postgresql:// (got ${url.protocol}//)`;
  }
  if (!url.hostname) return 'must name a host';
  if (url.pathname.length <= 1) return 'must name a database after the host (…/multi_business_db)';
  return undefined;
}

/** A host or host:port, as written in SYNC_PEERS. IPv6 literals go in brackets. */
export function peerAddress(value: string): string | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d+))?$/.exec(value);
  if (!m) return `"${value}" is not host or host:port`;
  if (m[2] !== undefined) return port(m[2]) && `"${value}" has a bad port`;
  return undefined;
}

export function commaList(item: Check): Check {
  return (value) => {
    if (value === '') return undefined;
    for (const part of value.split(',')) {
      if (part.trim() !== part || part === '') return 'must be a comma-separated list without spaces or empty items';
      const problem = item(part);
      if (problem) return problem;
    }
    return undefined;
  };
}

export function base64OfBytes(lengths: readonly number[]): Check {
  return (value) => {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0) return 'must be standard base64';
    const bytes = Buffer.from(value, 'base64').length;
    if (!lengths.includes(bytes)) return `must decode to ${lengths.join(', ')} bytes, got ${bytes}`;
    return undefined;
  };
}

export function email(value: string): string | undefined {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) ? undefined : 'must be an email address';
}

export function minLength(min: number): Check {
  return (value) => (value.length >= min ? undefined : `must be at least ${min} characters, got ${value.length}`);
}

export function nonEmpty(value: string): string | undefined {
  return value.length > 0 ? undefined : 'must not be empty';
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
