/**
 * mDNS (DNS-SD) records of the sync service, pure: what a node announces, and how an announcement is read back.
 * Service type `_msk-sync._tcp.local`; TXT carries v, id, name, inst (per-process instance) and tag (keyed
 * cluster tag), so nodes of another cluster are skipped without a handshake and our own announcements are
 * recognised by instance (a different node with our ID is still seen, so the duplicate is reported).
 */
import type { Answer, Packet, StringAnswer, SrvAnswer, TxtAnswer } from 'dns-packet';

export const MDNS_SERVICE_TYPE = '_msk-sync._tcp.local';
export const MDNS_TTL_SECONDS = 120;

export interface MdnsAdvertisement {
  readonly id: string;
  readonly name: string;
  readonly instanceId: string;
  readonly tag: string;
  readonly port: number;
  readonly ips: readonly string[];
}

export interface MdnsAnnouncement {
  readonly instanceName: string;
  readonly id: string | undefined;
  readonly name: string | undefined;
  readonly instanceId: string | undefined;
  readonly tag: string | undefined;
  readonly port: number | undefined;
  readonly ips: string[];
  /** 0 means goodbye: the node withdrew. */
  readonly ttlSeconds: number;
}

/** A DNS label is at most 63 bytes: name (cut to 46) + "-" + 16-hex ID. */
function labelOf(ad: Pick<MdnsAdvertisement, 'name' | 'id'>): string {
  return `${ad.name.slice(0, 46)}-${ad.id}`;
}

export function instanceNameOf(ad: Pick<MdnsAdvertisement, 'name' | 'id'>): string {
  return `${labelOf(ad)}.${MDNS_SERVICE_TYPE}`;
}

function hostNameOf(ad: Pick<MdnsAdvertisement, 'name' | 'id'>): string {
  return `${labelOf(ad)}.local`;
}

/** The records a node sends when announcing itself or answering a query; ttl 0 for the goodbye. */
export function advertisementRecords(
  ad: MdnsAdvertisement,
  ttl = MDNS_TTL_SECONDS,
): { answers: Answer[]; additionals: Answer[] } {
  const instance = instanceNameOf(ad);
  const host = hostNameOf(ad);
  const txt = [`v=1`, `id=${ad.id}`, `name=${ad.name}`, `inst=${ad.instanceId}`, `tag=${ad.tag}`];
  const answers: Answer[] = [{ name: MDNS_SERVICE_TYPE, type: 'PTR', ttl, data: instance }];
  const additionals: Answer[] = [
    { name: instance, type: 'SRV', ttl, data: { port: ad.port, target: host, priority: 0, weight: 0 } },
    { name: instance, type: 'TXT', ttl, data: txt },
    ...ad.ips.map<Answer>((ip) =>
      ip.includes(':') ? { name: host, type: 'AAAA', ttl, data: ip } : { name: host, type: 'A', ttl, data: ip },
    ),
  ];
  return { answers, additionals };
}

function txtPairs(record: TxtAnswer): Map<string, string> {
  const pairs = new Map<string, string>();
  const data = Array.isArray(record.data) ? record.data : [record.data];
  for (const item of data) {
    const text = Buffer.isBuffer(item) ? item.toString('utf8') : String(item);
    const eq = text.indexOf('=');
    if (eq > 0 && text.length <= 255) pairs.set(text.slice(0, eq), text.slice(eq + 1));
  }
  return pairs;
}

/** Whether a query asks for our service type (PTR or ANY). */
export function asksForService(packet: Pick<Packet, 'questions'>): boolean {
  return (packet.questions ?? []).some(
    (q) => q.name.toLowerCase() === MDNS_SERVICE_TYPE && (q.type === 'PTR' || (q.type as string) === 'ANY'),
  );
}

/** Reads every announcement of our service type from a response packet. Anything else is ignored. */
export function readAnnouncements(packet: Pick<Packet, 'answers' | 'additionals'>): MdnsAnnouncement[] {
  const records = [...(packet.answers ?? []), ...(packet.additionals ?? [])];
  const instances = new Map<string, number>();
  for (const r of records) {
    if (r.type === 'PTR' && r.name.toLowerCase() === MDNS_SERVICE_TYPE) {
      const ptr = r as StringAnswer;
      instances.set(String(ptr.data), ptr.ttl ?? MDNS_TTL_SECONDS);
    }
  }
  const out: MdnsAnnouncement[] = [];
  for (const [instanceName, ptrTtl] of instances) {
    const srv = records.find((r): r is SrvAnswer => r.type === 'SRV' && r.name === instanceName);
    const txt = records.find((r): r is TxtAnswer => r.type === 'TXT' && r.name === instanceName);
    const pairs = txt ? txtPairs(txt) : new Map<string, string>();
    const target = srv?.data.target;
    const ips = target
      ? records
          .filter((r): r is StringAnswer => (r.type === 'A' || r.type === 'AAAA') && r.name === target)
          .map((r) => String(r.data))
      : [];
    out.push({
      instanceName,
      id: pairs.get('id'),
      name: pairs.get('name'),
      instanceId: pairs.get('inst'),
      tag: pairs.get('tag'),
      port: srv?.data.port,
      ips,
      ttlSeconds: Math.min(ptrTtl, srv?.ttl ?? ptrTtl),
    });
  }
  return out;
}
