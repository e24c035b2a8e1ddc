/**
 * Asks this node's sync service whether its peers agree with it on the `shared` variables (NEXTAUTH_SECRET
 * above all, compared by keyed fingerprints). The sync service answers GET /status with JSON that includes
 * `agreement`; everything else in it is ignored here.
 */
import { z } from 'zod';

export const SYNC_STATUS_TIMEOUT_MS = 500;

const peer = z.object({ id: z.string(), name: z.string(), address: z.string() });
/** Whether this node is still getting its initial data from a peer (sync/src/replicationPlugin/initialLoadStatus.ts). */
const initialLoad = z.object({
  loading: z.boolean(),
  /** due | loading | catching-up | reloading | none */
  phase: z.string().max(40).optional(),
  source: z
    .object({ id: z.string().max(200), name: z.string().max(200).nullable() })
    .nullable()
    .optional(),
  pages: z.number().int().nonnegative().optional(),
  rowsApplied: z.number().int().nonnegative().optional(),
  startedAt: z.string().max(64).nullable().optional(),
});
export const syncStatusResponse = z.object({
  agreement: z.object({
    ok: z.boolean(),
    /** True when this node is the one that differs from the others (not merely one of two disagreeing). */
    oddOneOut: z.boolean(),
    mismatches: z.array(
      z.object({
        variable: z.string(),
        peers: z.array(peer),
        detail: z.string().optional(),
        /** Whether this node is the odd one out on this variable (absent from older sync services). */
        oddOneOut: z.boolean().optional(),
      }),
    ),
  }),
  /** The database topology decided with the peers (absent from older sync services). */
  database: z.object({ problem: z.string().nullable(), thisNodeRefused: z.boolean() }).nullable().optional(),
  /** Replication's initial load (absent from older sync services and with replication off; odd shapes read as absent). */
  replication: z
    .object({ initialLoad: initialLoad.nullable().optional().catch(null) })
    .nullable()
    .optional()
    .catch(null),
});
export type SyncAgreement = z.output<typeof syncStatusResponse>['agreement'];

export type SyncDatabase = NonNullable<z.output<typeof syncStatusResponse>['database']>;

export type SyncInitialLoad = z.output<typeof initialLoad>;

export type SyncStatus =
  | {
      readonly reachable: true;
      readonly agreement: SyncAgreement;
      readonly database?: SyncDatabase | null;
      readonly initialLoad?: SyncInitialLoad | null;
    }
  | { readonly reachable: false; readonly reason: string };

/** Where the local sync service answers: its bind address, or loopback when it listens on every interface. */
export function syncStatusUrl(bindAddress: string, port: number): string {
  let host = bindAddress;
  if (host === '0.0.0.0' || host === '') host = '127.0.0.1';
  else if (host === '::' || host === '[::]') host = '[::1]';
  else if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  return `http://${host}:${port}/status`;
}

export async function fetchSyncStatus(url: string, timeoutMs = SYNC_STATUS_TIMEOUT_MS): Promise<SyncStatus> {
  let body: unknown;
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
    });
    if (!response.ok) return { reachable: false, reason: `GET ${url} answered HTTP ${response.status}` };
    body = await response.json();
  } catch (error) {
    const reason =
      error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : describe(error);
    return { reachable: false, reason: `GET ${url}: ${reason}` };
  }
  const parsed = syncStatusResponse.safeParse(body);
  if (!parsed.success) {
    return {
      reachable: false,
      reason: `GET ${url} answered JSON without a valid "agreement": ${parsed.error.issues[0]?.message}`,
    };
  }
  return {
    reachable: true,
    agreement: parsed.data.agreement,
    database: parsed.data.database ?? null,
    initialLoad: parsed.data.replication?.initialLoad ?? null,
  };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? `${error.message} (${code})` : error.message;
}
