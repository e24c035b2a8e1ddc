/**
 * A child process the local cluster owns: output to a log file, the last lines kept for error messages, a
 * readiness wait on an HTTP URL, and a stop that escalates from SIGTERM to SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

export interface ManagedProcessProps {
  /** Shown in progress lines and errors, e.g. `node-2 app`. */
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly logFile: string;
  /** Called once if the process exits while it was meant to run. */
  readonly onUnexpectedExit?: (description: string) => void;
}

const KEPT_LINES = 200;

export class ManagedProcess {
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private readonly lines: string[] = [];
  private stopping = false;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(readonly props: ManagedProcessProps) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  lastLines(count = 20): string[] {
    return this.lines.slice(-count);
  }

  start(): void {
    mkdirSync(dirname(this.props.logFile), { recursive: true });
    this.log = createWriteStream(this.props.logFile, { flags: 'a' });
    this.stopping = false;
    this.exitInfo = undefined;
    this.lines.length = 0;
    // The cluster's own environment is NOT inherited: each node gets exactly the environment it is given
    // (plus PATH/HOME so node and its tools run), so a developer's shell variables can't leak into a node.
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...this.props.env };
    const child = spawn(this.props.command, [...this.props.args], {
      cwd: this.props.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const onData = (chunk: Buffer) => {
      this.log?.write(chunk);
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        this.lines.push(line);
        if (this.lines.length > KEPT_LINES) this.lines.shift();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        this.log?.end();
        if (!this.stopping) this.props.onUnexpectedExit?.(this.describeExit());
        resolve();
      });
      child.once('error', (error) => {
        this.lines.push(`[spawn error] ${error.message}`);
        this.exitInfo = { code: null, signal: null };
        resolve();
      });
    });
  }

  describeExit(): string {
    const info = this.exitInfo;
    const how = info ? (info.signal ? `was killed by ${info.signal}` : `exited with code ${info.code}`) : 'is running';
    return `${this.props.label} ${how}; last lines of ${this.props.logFile}:\n    ${this.lastLines(12).join('\n    ')}`;
  }

  /** Waits until `url` answers with one of `okStatuses`, or throws with the process's last log lines. */
  async waitForHttp(url: string, options: { timeoutMs: number; okStatuses?: readonly number[] }): Promise<void> {
    const ok = options.okStatuses ?? [200];
    const deadline = Date.now() + options.timeoutMs;
    let lastError = '';
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.describeExit()}`);
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        if (ok.includes(response.status)) return;
        lastError = `HTTP ${response.status}`;
      } catch (error) {
        lastError =
          error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(
      `${this.props.label} did not answer ${url} within ${options.timeoutMs} ms (last: ${lastError}); last lines of ${this.props.logFile}:\n    ${this.lastLines(12).join('\n    ')}`,
    );
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || this.exitInfo) return;
    this.stopping = true;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** For fault tests: kill -9, as a crash would. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || this.exitInfo) return;
    this.stopping = true;
    child.kill('SIGKILL');
    await this.exited;
  }
}
