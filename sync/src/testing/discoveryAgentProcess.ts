/** Drives `sync/dist/discovery/discoveryAgent.js` (a backend in its own process, optionally in a network namespace). */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { DISCOVERY_AGENT } from './buildOnce';

export interface AgentEvent {
  readonly event: string;
  readonly addresses?: { address: string; hint?: { id?: string; name?: string } }[];
  readonly ignored?: { address: string; id: string | null; name: string | null; reason: string }[];
  readonly message?: string;
  readonly id?: string;
}

/** Shell prefix that brings up loopback with multicast inside a fresh network namespace (see facts.md). */
export const NETNS_SETUP = 'ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo';

/** Whether this machine lets us create a network namespace with multicast on loopback; the reason if not. */
export function networkNamespaceSupport(): { ok: true } | { ok: false; reason: string } {
  const probe = spawnSync('unshare', ['-n', 'bash', '-c', NETNS_SETUP], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error) return { ok: false, reason: `unshare is not available: ${probe.error.message}` };
  if (probe.status !== 0)
    return { ok: false, reason: `unshare -n failed (needs root or user namespaces): ${probe.stderr.trim()}` };
  return { ok: true };
}

export class DiscoveryAgentProcess {
  readonly events: AgentEvent[] = [];
  private readonly child: ChildProcess;
  private readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;

  constructor(options: { inNetworkNamespace: boolean }) {
    this.child = options.inNetworkNamespace
      ? spawn('unshare', ['-n', 'bash', '-c', `${NETNS_SETUP} && exec "${process.execPath}" "${DISCOVERY_AGENT}"`], {
          stdio: ['pipe', 'pipe', 'pipe'],
        })
      : spawn(process.execPath, [DISCOVERY_AGENT], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as AgentEvent);
      } catch {
        this.stderr.push(line);
      }
    });
    this.child.stderr?.on('data', (c: Buffer) => this.stderr.push(c.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  send(command: Record<string, unknown>): void {
    this.child.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  /** The addresses of the latest update, or undefined before the first. */
  latestAddresses(): string[] | undefined {
    const updates = this.events.filter((e) => e.event === 'update');
    return updates
      .at(-1)
      ?.addresses?.map((a) => a.address)
      .sort();
  }

  async waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const value = check();
      if (value !== undefined) return value;
      if (this.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(
      `discovery agent: timed out waiting for ${what}\nevents: ${JSON.stringify(this.events.slice(-8), null, 1)}\nstderr: ${this.stderr.join('').slice(-2000)}`,
    );
  }

  waitForEvent(event: string, timeoutMs?: number): Promise<AgentEvent> {
    return this.waitFor(`event ${event}`, () => this.events.find((e) => e.event === event), timeoutMs);
  }

  /** Waits until the latest update lists exactly these addresses. */
  waitForAddresses(expected: readonly string[], timeoutMs?: number): Promise<string[]> {
    const want = [...expected].sort();
    return this.waitFor(
      `addresses ${JSON.stringify(want)} (latest: ${JSON.stringify(this.latestAddresses())})`,
      () => {
        const latest = this.latestAddresses();
        return latest && JSON.stringify(latest) === JSON.stringify(want) ? latest : undefined;
      },
      timeoutMs,
    );
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.send({ cmd: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
