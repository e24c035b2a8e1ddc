/**
 * A discovery backend in a process of its own, driven by JSON lines on stdin and reporting on stdout. The
 * discovery contract suite uses it so every backend runs the same way: the Kubernetes client (ESM-only) cannot
 * load inside Jest, and mDNS must run inside a network namespace.
 *
 * stdin:  {"cmd":"start","mode":...,"self":{...},"config":{...},"deps":{...}}
 *         {"cmd":"advertise","peer":{id,name,instanceId,tag,port,ips}}   (mDNS: announce a fake peer)
 *         {"cmd":"withdraw","id":"..."}                                   (mDNS: the fake peer says goodbye)
 *         {"cmd":"stop"}
 * stdout: {"event":"started"} {"event":"update","addresses":[...],"ignored":[...]} {"event":"error","message":"..."}
 *         {"event":"advertised","id":"..."} {"event":"withdrawn","id":"..."} {"event":"stopped"}
 */
import { createInterface } from 'node:readline';
import { type DiscoveryConfig, type DiscoveryDeps, createDiscovery } from './createDiscovery';
import type { DiscoverySelf, PeerDiscovery } from './discovery';
import { MdnsDiscovery } from './mdnsDiscovery';

type Command =
  | { cmd: 'start'; config: DiscoveryConfig; self: DiscoverySelf; deps: Omit<DiscoveryDeps, 'now'> }
  | {
      cmd: 'advertise';
      peer: { id: string; name: string; instanceId: string; tag: string; port: number; ips: string[] };
    }
  | { cmd: 'withdraw'; id: string }
  | { cmd: 'stop' };

const emit = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);

let discovery: PeerDiscovery | undefined;
const fakes = new Map<string, MdnsDiscovery>();

async function handle(command: Command): Promise<void> {
  switch (command.cmd) {
    case 'start':
      discovery = createDiscovery(command.config, command.self, { ...command.deps, now: Date.now });
      await discovery.start({
        update: (update) => emit({ event: 'update', addresses: update.addresses, ignored: update.ignored ?? [] }),
        error: (message) => emit({ event: 'error', message }),
      });
      emit({ event: 'started' });
      return;
    case 'advertise': {
      const { peer } = command;
      const fake = new MdnsDiscovery({
        self: {
          id: peer.id,
          name: peer.name,
          instanceId: peer.instanceId,
          port: peer.port,
          ownAddresses: [],
          advertisedIps: peer.ips,
        },
        clusterTag: peer.tag,
        now: Date.now,
      });
      await fake.start({ update: () => undefined, error: () => undefined });
      fakes.set(peer.id, fake);
      emit({ event: 'advertised', id: peer.id });
      return;
    }
    case 'withdraw':
      await fakes.get(command.id)?.stop();
      fakes.delete(command.id);
      emit({ event: 'withdrawn', id: command.id });
      return;
    case 'stop':
      await discovery?.stop();
      for (const fake of fakes.values()) await fake.stop();
      emit({ event: 'stopped' });
      process.exit(0);
  }
}

let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(async () => {
    try {
      await handle(JSON.parse(line) as Command);
    } catch (error) {
      emit({ event: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  });
});
process.stdin.on('end', () => process.exit(0));
