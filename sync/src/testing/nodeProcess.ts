/**
 * A real sync service process (`node sync/dist/cli/main.js run`) for integration tests: started with exactly the
 * given environment in an empty working directory, stopped by PID. Failures carry the last lines of its log.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { SyncStatus } from '../status/statusModel';
import { REPO_ROOT, SYNC_MAIN } from './buildOnce';

const NS_HTTP_GET = path.join(REPO_ROOT, 'sync/dist/testing/nsHttpGet.js');

export const NODE_START_TIMEOUT_MS = 10_000;

export interface NodeOptions {
  readonly env: Record<string, string>;
  readonly args?: readonly string[];
  /** Run inside the network namespace of this process (nsenter). */
  readonly netnsPid?: number;
  readonly label?: string;
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

export function httpGet(url: string, timeoutMs = 2_000, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const transport = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.get(url, { timeout: timeoutMs, rejectUnauthorized: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

export class StartedNode {
  private readonly output: string[] = [];
  readonly exited: Promise<number | null>;

  constructor(
    readonly child: ChildProcess,
    readonly label: string,
    readonly statusAddress: string,
    readonly tls: boolean,
    readonly netnsPid: number | undefined,
    readonly startedAtMs: number,
  ) {
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') this.output.push(line);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get logLines(): readonly string[] {
    return this.output;
  }

  /** Parsed JSON log records (pino lines). */
  logRecords(): Record<string, unknown>[] {
    return this.output.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  tail(count = 30): string {
    return `--- last lines of ${this.label} ---\n${this.output.slice(-count).join('\n')}`;
  }

  url(route: string): string {
    return `${this.tls ? 'https' : 'http'}://${this.statusAddress}${route}`;
  }

  async get(route: string): Promise<HttpAnswer> {
    if (this.netnsPid === undefined) return httpGet(this.url(route));
    return nsenterGet(this.netnsPid, this.url(route));
  }

  async status(): Promise<SyncStatus> {
    const answer = await this.get('/status');
    if (answer.status !== 200)
      throw new Error(`GET /status of ${this.label} answered ${answer.status}\n${this.tail()}`);
    return JSON.parse(answer.body) as SyncStatus;
  }

  /** Polls /status until the predicate holds; the error shows the last status and log lines. */
  async waitForStatus(what: string, predicate: (s: SyncStatus) => boolean, timeoutMs = 10_000): Promise<SyncStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: SyncStatus | undefined;
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        last = await this.status();
        if (predicate(last)) return last;
      } catch (error) {
        lastError = error;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(
      `${this.label}: timed out after ${timeoutMs} ms waiting for ${what}\nlast status: ${JSON.stringify(last, null, 1)}\n` +
        `last error: ${String(lastError)}\n${this.tail()}`,
    );
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}

function nsenterGet(pid: number, url: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', ['-t', String(pid), '-n', process.execPath, NS_HTTP_GET, url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`GET ${url} in netns failed: ${Buffer.concat(err).toString()}`));
      resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as HttpAnswer);
    });
  });
}

export function statusAddressOf(env: Record<string, string>): string {
  const bind = env.SYNC_BIND_ADDRESS ?? '0.0.0.0';
  return `${bind === '0.0.0.0' ? '127.0.0.1' : bind}:${env.SYNC_SERVICE_PORT ?? '8765'}`;
}

/** Starts a node and waits until it answers /health. */
export async function startNode(options: NodeOptions): Promise<StartedNode> {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'msk-sync-node-'));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env };
  const args = [SYNC_MAIN, 'run', ...(options.args ?? [])];
  const child =
    options.netnsPid === undefined
      ? spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('nsenter', ['-t', String(options.netnsPid), '-n', process.execPath, ...args], {
          cwd,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  const label = options.label ?? options.env.SYNC_NODE_NAME ?? 'node';
  const node = new StartedNode(
    child,
    label,
    statusAddressOf(options.env),
    (options.env.SYNC_TLS_CERT_FILE ?? '') !== '',
    options.netnsPid,
    Date.now(),
  );
  const deadline = Date.now() + NODE_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${label} exited with code ${child.exitCode} during start\n${node.tail()}`);
    try {
      const health = await node.get('/health');
      if (health.status === 200) return node;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  await node.stop();
  throw new Error(`${label} did not answer /health within ${NODE_START_TIMEOUT_MS} ms\n${node.tail()}`);
}

export async function stopAll(nodes: readonly (StartedNode | undefined)[]): Promise<void> {
  await Promise.all(nodes.map((n) => n?.stop()));
}
