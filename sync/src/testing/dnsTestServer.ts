/**
 * A tiny authoritative DNS server on a loopback UDP port (dns-packet), for testing dns discovery with the real
 * resolver: the records are set by the test and can change while it runs.
 */
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

export interface DnsRecords {
  a?: Record<string, string[]>;
  aaaa?: Record<string, string[]>;
  srv?: Record<string, { target: string; port: number }[]>;
}

export interface StartedDnsServer {
  /** host:port for dns.Resolver#setServers / `--dns-server`. */
  readonly address: string;
  records: DnsRecords;
  readonly queries: string[];
  close(): Promise<void>;
}

export async function startDnsServer(ip: string, port: number, records: DnsRecords = {}): Promise<StartedDnsServer> {
  const socket = dgram.createSocket('udp4');
  const server: StartedDnsServer = {
    address: `${ip}:${port}`,
    records,
    queries: [],
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (message, rinfo) => {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return;
    }
    const answers: dnsPacket.Answer[] = [];
    let known = false;
    for (const q of query.questions ?? []) {
      const name = q.name.toLowerCase();
      server.queries.push(`${q.type} ${name}`);
      const { a = {}, aaaa = {}, srv = {} } = server.records;
      known ||= name in a || name in aaaa || name in srv;
      if (q.type === 'A') for (const ip4 of a[name] ?? []) answers.push({ type: 'A', name: q.name, ttl: 1, data: ip4 });
      if (q.type === 'AAAA')
        for (const ip6 of aaaa[name] ?? []) answers.push({ type: 'AAAA', name: q.name, ttl: 1, data: ip6 });
      if (q.type === 'SRV') {
        for (const s of srv[name] ?? [])
          answers.push({
            type: 'SRV',
            name: q.name,
            ttl: 1,
            data: { target: s.target, port: s.port, priority: 0, weight: 10 },
          });
      }
    }
    const response = dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      // NXDOMAIN (rcode 3) for names we do not know, NOERROR otherwise (possibly without answers: NODATA).
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (known ? 0 : 3),
      questions: query.questions ?? [],
      answers,
    });
    socket.send(response, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, ip, () => resolve());
  });
  return server;
}
