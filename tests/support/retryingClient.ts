/**
 * A write client for clusters under faults: every request retried on connection errors and 502/503 like a real
 * client would, NextAuth sign-in, and writers that only count 2xx-acknowledged writes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { cookieHeader, signInAttempt } from '../../app/src/testing/nextAuthClient';

/** What the client retries: the request never reached an app (connection errors) or the entry point said so. */
const RETRYABLE_STATUS = new Set([502, 503]);

export interface ClientCounters {
  requests: number;
  retries: number;
  /** Requests that failed in a way the client does not retry (or ran out of retries). */
  failures: Array<{ what: string; detail: string }>;
}

export const newCounters = (): ClientCounters => ({ requests: 0, retries: 0, failures: [] });

/** One request, retried on connection errors and 502/503 up to maxAttempts; returns the last response or throws. */
export async function retryingFetch(
  url: string,
  init: RequestInit,
  counters: ClientCounters,
  maxAttempts = 30,
  backoffMs = 200,
): Promise<{ status: number; text: string; headers: Headers }> {
  counters.requests++;
  let last = '';
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (attempt > 1) {
      counters.retries++;
      await sleep(backoffMs);
    }
    try {
      const response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(15_000) });
      const text = await response.text();
      if (RETRYABLE_STATUS.has(response.status)) {
        last = `HTTP ${response.status} ${text.slice(0, 200)}`;
        continue;
      }
      return { status: response.status, text, headers: response.headers };
    } catch (error) {
      last =
        error instanceof Error
          ? `${error.message}${(error as { cause?: { code?: string } }).cause?.code ? ` (${(error as { cause?: { code?: string } }).cause?.code})` : ''}`
          : String(error);
    }
  }
  throw new Error(`gave up after ${maxAttempts} attempts: ${last}`);
}

export interface Session {
  readonly cookie: string;
}

/** NextAuth credentials sign-in (the one sign-in client), each step retried like every other request. */
export async function signInRetrying(
  baseUrl: string,
  email: string,
  password: string,
  counters: ClientCounters,
): Promise<Session> {
  const attempt = await signInAttempt(baseUrl, email, password, (url, init) => retryingFetch(url, init, counters));
  if (!attempt.sessionCookieName) throw new Error(`sign-in at ${baseUrl}: HTTP ${attempt.status}, no session cookie`);
  return { cookie: cookieHeader(attempt.cookies) };
}

/** Creates one business; returns its id when the app acknowledged it with 2xx, undefined otherwise. */
export async function writeBusiness(
  baseUrl: string,
  session: Session,
  name: string,
  counters: ClientCounters,
): Promise<string | undefined> {
  try {
    const answer = await retryingFetch(
      `${baseUrl}/api/businesses`,
      {
        method: 'POST',
        headers: { cookie: session.cookie, 'content-type': 'application/json', origin: baseUrl },
        body: JSON.stringify({ name, type: 'retail' }),
      },
      counters,
    );
    if (answer.status >= 200 && answer.status < 300) return (JSON.parse(answer.text) as { id: string }).id;
    counters.failures.push({
      what: `POST ${baseUrl}/api/businesses`,
      detail: `HTTP ${answer.status} ${answer.text.slice(0, 200)}`,
    });
  } catch (error) {
    counters.failures.push({
      what: `POST ${baseUrl}/api/businesses`,
      detail: error instanceof Error ? error.message : String(error),
    });
  }
  return undefined;
}

/**
 * Writers streaming businesses until stopped; `targets()` is read before every write, so a fault can move the
 * stream (e.g. away from a node about to be wiped). Every acknowledged id lands in `acknowledged`.
 */
export class WriteStream {
  readonly acknowledged: string[] = [];
  readonly counters = newCounters();
  private running = true;
  private readonly loops: Array<Promise<void>>;
  private sequence = 0;

  constructor(
    private readonly session: Session,
    private readonly targets: () => readonly string[],
    label: string,
    concurrency = 2,
    pauseMs = 30,
  ) {
    this.loops = Array.from({ length: concurrency }, async () => {
      while (this.running) {
        const list = this.targets();
        const target = list[this.sequence % list.length] as string;
        const n = this.sequence++;
        const id = await writeBusiness(target, this.session, `${label} ${n}`, this.counters);
        if (id) this.acknowledged.push(id);
        await sleep(pauseMs);
      }
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}
