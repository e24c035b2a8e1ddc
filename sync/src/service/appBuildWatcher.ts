/**
 * Learns the build of the app beside this sync service: GET /api/build on the app's port, over loopback (the app
 * answers it only to a process on its own machine talking to it directly). Polled, so an app replaced by another
 * build while the sync service runs is noticed. When the app does not answer (stopped, restarting, not deployed
 * beside this service) the last known build is kept: an app that is down serves nobody another build.
 */
import { type AppBuildIdentity, type AppBuildReport, appBuildIdentity, appBuildReportSchema } from '../core/appBuild';
import type { ClusterKeys } from '../core/clusterKeys';
import { parseMessage } from '../core/peerProtocol';

export const APP_BUILD_POLL_INTERVAL_MS = 5_000;
export const APP_BUILD_REQUEST_TIMEOUT_MS = 1_000;
/** The app's answer is a few hundred bytes; anything longer is not its answer. */
export const MAX_APP_BUILD_ANSWER_BYTES = 4 * 1024;
export const APP_BUILD_PATH = '/api/build';

/** Where this node's app answers: on the sync service's bind address, or loopback when that is a wildcard. */
export function appBuildUrl(bindAddress: string, appPort: number): string {
  let host = bindAddress;
  if (host === '0.0.0.0' || host === '') host = '127.0.0.1';
  else if (host === '::' || host === '[::]') host = '[::1]';
  else if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  return `http://${host}:${appPort}${APP_BUILD_PATH}`;
}

export type FetchAppBuild = (url: string) => Promise<AppBuildReport>;

/**
 * The app answered, but not as an app of the kit: no such endpoint (404), or its sign-in gate in front of it (a
 * redirect, 401, 403). Not a fault: a team's own app need not report its build; the build-once check then can't run.
 */
export class AppBuildNotReportedError extends Error {
  override readonly name = 'AppBuildNotReportedError';
  constructor(
    readonly url: string,
    readonly httpStatus: number,
  ) {
    super(`GET ${url} answered HTTP ${httpStatus}: the app does not report its build`);
  }
}

/** Answers of an app that has no build endpoint (or keeps it behind its sign-in): see AppBuildNotReportedError. */
const NOT_REPORTED_STATUSES = new Set([301, 302, 303, 307, 308, 401, 403, 404]);

/** The real fetch: bounded in time and size, the answer validated before use. */
export async function fetchAppBuild(url: string): Promise<AppBuildReport> {
  const response = await fetch(url, {
    signal: AbortSignal.timeout(APP_BUILD_REQUEST_TIMEOUT_MS),
    headers: { accept: 'application/json' },
    redirect: 'manual',
  });
  if (NOT_REPORTED_STATUSES.has(response.status)) {
    await response.body?.cancel().catch(() => undefined);
    throw new AppBuildNotReportedError(url, response.status);
  }
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_APP_BUILD_ANSWER_BYTES)
    throw new Error(`GET ${url} answered ${declared} bytes (more than ${MAX_APP_BUILD_ANSWER_BYTES})`);
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${url} answered HTTP ${response.status}`);
  if (text.length > MAX_APP_BUILD_ANSWER_BYTES)
    throw new Error(`GET ${url} answered more than ${MAX_APP_BUILD_ANSWER_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`GET ${url} did not answer JSON (is PORT/SYNC_HTTP_PORT the app's port?)`);
  }
  const parsed = parseMessage(appBuildReportSchema, json);
  if (!parsed.ok) throw new Error(`GET ${url} answered an unexpected build document: ${parsed.problem}`);
  return parsed.value;
}

export interface AppBuildState {
  readonly url: string;
  readonly build: AppBuildIdentity | null;
  /**
   * false: the app answered that it has no build endpoint (AppBuildNotReportedError), so its build is not compared
   * with the peers'; true: it reported one; null: no answer yet.
   */
  readonly reported: boolean | null;
  /** Why the last request failed; null after a good answer. */
  readonly lastError: string | null;
  readonly checkedAt: number | null;
}

export interface AppBuildWatcherProps {
  readonly url: string;
  readonly keys: ClusterKeys;
  readonly now: () => number;
  /** @default fetchAppBuild */
  readonly fetchBuild?: FetchAppBuild;
  /** @default APP_BUILD_POLL_INTERVAL_MS */
  readonly intervalMs?: number;
  /** Called after every poll; `changed` when the known build is another one than before. */
  readonly onPoll: (state: AppBuildState, changed: boolean) => void;
}

export class AppBuildWatcher {
  private state: AppBuildState;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly props: AppBuildWatcherProps) {
    this.state = { url: props.url, build: null, reported: null, lastError: null, checkedAt: null };
  }

  current(): AppBuildState {
    return this.state;
  }

  /** Polls once now and then on a timer; never delays the service's start (the app may be slow or absent). */
  start(): void {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.props.intervalMs ?? APP_BUILD_POLL_INTERVAL_MS);
    this.timer.unref();
  }

  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    const fetchBuild = this.props.fetchBuild ?? fetchAppBuild;
    const previous = this.state.build;
    try {
      const build = appBuildIdentity(await fetchBuild(this.props.url), this.props.keys);
      this.state = { url: this.props.url, build, reported: true, lastError: null, checkedAt: this.props.now() };
    } catch (error) {
      if (error instanceof AppBuildNotReportedError) {
        // an app that answers without a build is not the build known before (if any): nothing to compare
        this.state = {
          url: this.props.url,
          build: null,
          reported: false,
          lastError: null,
          checkedAt: this.props.now(),
        };
        if (!this.stopped) this.props.onPoll(this.state, previous !== null);
        return;
      }
      const message =
        error instanceof Error && error.name === 'TimeoutError'
          ? `GET ${this.props.url}: no answer within ${APP_BUILD_REQUEST_TIMEOUT_MS} ms`
          : describe(error, this.props.url);
      this.state = { ...this.state, lastError: message, checkedAt: this.props.now() };
    }
    if (this.stopped) return;
    const changed = JSON.stringify(previous) !== JSON.stringify(this.state.build);
    this.props.onPoll(this.state, changed);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.polling?.catch(() => undefined);
  }
}

function describe(error: unknown, url: string): string {
  if (!(error instanceof Error)) return `GET ${url}: ${String(error)}`;
  const cause = (error as { cause?: { code?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? ` (${cause.code})` : '';
  return error.message.startsWith('GET ') ? error.message : `GET ${url}: ${error.message}${code}`;
}
