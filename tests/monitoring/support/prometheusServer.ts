/**
 * A real Prometheus server (built by .ci/monitoring/build.sh) for a test: started with a configuration the test
 * writes, on a loopback address, with its data in a temporary folder; stopped by PID. Lifecycle as a type:
 * startPrometheus() → StartedPrometheus (url, query helpers, stop()).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../support/eventually';
import { prometheusBinaries } from './prometheusTools';

export interface PrometheusProps {
  /** prometheus.yml as text. */
  readonly config: string;
  readonly host: string;
  readonly port: number;
  /** @default 60000 */
  readonly startupTimeoutMs?: number;
}

export interface PromqlMatcher {
  readonly type: '=' | '!=' | '=~' | '!~';
  readonly name: string;
  readonly value: string;
}

/** A vector or matrix selector found in a query by Prometheus' own parser. */
export interface PromqlSelector {
  readonly name: string;
  readonly matchers: readonly PromqlMatcher[];
}

interface ApiAnswer<T> {
  readonly status: 'success' | 'error';
  readonly data: T;
  readonly error?: string;
}

export interface StartedPrometheus {
  readonly url: string;
  output(): string;
  api<T>(path: string, params?: Record<string, string>): Promise<ApiAnswer<T>>;
  /** Every selector of a PromQL expression, from GET /api/v1/parse_query (the server's parser, not ours). */
  selectors(expr: string): Promise<PromqlSelector[]>;
  stop(): Promise<void>;
}

function collectSelectors(node: unknown, into: PromqlSelector[]): void {
  if (Array.isArray(node)) {
    for (const child of node) collectSelectors(child, into);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const record = node as Record<string, unknown>;
  if (record.type === 'vectorSelector' || record.type === 'matrixSelector') {
    const matchers = (record.matchers ?? []) as PromqlMatcher[];
    const name =
      (record.name as string) || (matchers.find((m) => m.name === '__name__' && m.type === '=')?.value ?? '');
    into.push({ name, matchers });
    return;
  }
  for (const value of Object.values(record)) collectSelectors(value, into);
}

export async function startPrometheus(props: PrometheusProps): Promise<StartedPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'msk-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, props.config);
  const url = `http://${props.host}:${props.port}`;
  const lines: string[] = [];
  const child: ChildProcess = spawn(
    prometheusBinaries().prometheus,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${props.host}:${props.port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const collect = (chunk: Buffer) =>
    lines.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim() !== ''),
    );
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const output = () => lines.slice(-30).join('\n');

  const api = async <T>(path: string, params: Record<string, string> = {}): Promise<ApiAnswer<T>> => {
    const query = new URLSearchParams(params).toString();
    const response = await fetch(`${url}${path}${query === '' ? '' : `?${query}`}`);
    const text = await response.text();
    try {
      return JSON.parse(text) as ApiAnswer<T>;
    } catch {
      throw new Error(`GET ${path} answered ${response.status}: ${text.slice(0, 200)}`);
    }
  };
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}`);
        const ready = await fetch(`${url}/-/ready`);
        if (ready.status !== 200) throw new Error(`/-/ready answered ${ready.status}`);
      },
      { what: `prometheus ready at ${url}`, timeoutMs: props.startupTimeoutMs ?? 60_000, context: output },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    output,
    api,
    async selectors(expr) {
      const answer = await api<unknown>('/api/v1/parse_query', { query: expr });
      if (answer.status !== 'success') throw new Error(`Prometheus cannot parse ${expr}: ${answer.error}`);
      const found: PromqlSelector[] = [];
      collectSelectors(answer.data, found);
      return found;
    },
    stop,
  };
}

/** `{__name__="x", label=~"y"}`: a selector Prometheus reads back exactly as it parsed it. */
export function selectorText(selector: PromqlSelector): string {
  return `{${selector.matchers.map((m) => `${m.name}${m.type}${JSON.stringify(m.value)}`).join(', ')}}`;
}
