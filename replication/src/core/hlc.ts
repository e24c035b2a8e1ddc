/**
 * Hybrid logical clock (HLC) stamps as fixed-width, order-preserving strings, so last-writer-wins is ONE string
 * comparison (`a > b`) in TypeScript and `COLLATE "C"` comparison in PostgreSQL.
 *
 * Layout (36 lowercase hex characters):
 *   [0..12)  wall-clock milliseconds since the epoch (48 bits, good until the year 10889)
 *   [12..20) counter (32 bits): orders stamps within one millisecond
 *   [20..36) node id (16 hex, SYNC_NODE_ID): breaks ties between nodes, so no two nodes make equal stamps
 *
 * Pure: no timers, no I/O. The time source and the node id are parameters.
 */
import { NODE_ID_HEX_LENGTH, NODE_ID_PATTERN } from '@msk/contract';

export type Hlc = string;

export const HLC_MS_DIGITS = 12;
export const HLC_COUNTER_DIGITS = 8;
export const NODE_ID_DIGITS = NODE_ID_HEX_LENGTH;
export const HLC_LENGTH = HLC_MS_DIGITS + HLC_COUNTER_DIGITS + NODE_ID_DIGITS;
export const MAX_HLC_COUNTER = 0xffff_ffff;
export const MAX_HLC_MS = 0xffff_ffff_ffff;
/** Stamps further than this ahead of our wall clock are refused (a peer with a broken clock would otherwise
 * win every conflict until real time caught up with it). */
export const MAX_FUTURE_DRIFT_MS = 60_000;

export const HLC_PATTERN = /^[0-9a-f]{36}$/;
export { NODE_ID_PATTERN };

export interface DecodedHlc {
  readonly wallMs: number;
  readonly counter: number;
  readonly nodeId: string;
}

export function isHlc(value: unknown): value is Hlc {
  return typeof value === 'string' && HLC_PATTERN.test(value);
}

export function encodeHlc({ wallMs, counter, nodeId }: DecodedHlc): Hlc {
  if (!Number.isInteger(wallMs) || wallMs < 0 || wallMs > MAX_HLC_MS) {
    throw new RangeError(`HLC wall time ${wallMs} is not an integer millisecond count in [0, ${MAX_HLC_MS}]`);
  }
  if (!Number.isInteger(counter) || counter < 0 || counter > MAX_HLC_COUNTER) {
    throw new RangeError(`HLC counter ${counter} is not an integer in [0, ${MAX_HLC_COUNTER}]`);
  }
  if (!NODE_ID_PATTERN.test(nodeId)) {
    throw new RangeError(`HLC node id "${nodeId}" is not 16 lowercase hex characters (SYNC_NODE_ID)`);
  }
  return (
    wallMs.toString(16).padStart(HLC_MS_DIGITS, '0') + counter.toString(16).padStart(HLC_COUNTER_DIGITS, '0') + nodeId
  );
}

export function decodeHlc(hlc: Hlc): DecodedHlc {
  if (!isHlc(hlc)) throw new RangeError(`"${String(hlc).slice(0, 60)}" is not an HLC (36 lowercase hex characters)`);
  return {
    wallMs: parseInt(hlc.slice(0, HLC_MS_DIGITS), 16),
    counter: parseInt(hlc.slice(HLC_MS_DIGITS, HLC_MS_DIGITS + HLC_COUNTER_DIGITS), 16),
    nodeId: hlc.slice(HLC_MS_DIGITS + HLC_COUNTER_DIGITS),
  };
}

export function hlcWallMs(hlc: Hlc): number {
  return parseInt(hlc.slice(0, HLC_MS_DIGITS), 16);
}

export function hlcNodeId(hlc: Hlc): string {
  return hlc.slice(HLC_MS_DIGITS + HLC_COUNTER_DIGITS);
}

/** The single comparison site of the merge: stamps order as strings. */
export function compareHlc(a: Hlc, b: Hlc): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function maxHlc(a: Hlc | null | undefined, b: Hlc | null | undefined): Hlc | null {
  if (a == null) return b ?? null;
  if (b == null) return a;
  return a >= b ? a : b;
}

/**
 * The smallest stamp of `nodeId` that is greater than `after` (counter + 1, carrying into the milliseconds).
 * Used where a new stamp must beat an existing one deterministically, e.g. a unique-conflict rename.
 */
export function hlcSuccessor(after: Hlc, nodeId: string): Hlc {
  const { wallMs, counter, nodeId: afterNode } = decodeHlc(after);
  if (nodeId > afterNode) return encodeHlc({ wallMs, counter, nodeId });
  return counter < MAX_HLC_COUNTER
    ? encodeHlc({ wallMs, counter: counter + 1, nodeId })
    : encodeHlc({ wallMs: wallMs + 1, counter: 0, nodeId });
}

export type RemoteHlcCheck =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: 'malformed' | 'too-far-in-future';
      readonly message: string;
      readonly driftMs?: number;
    };

/** Refuses a remote stamp that is malformed or more than `maxFutureDriftMs` ahead of `nowMs`. */
export function checkRemoteHlc(
  hlc: unknown,
  nowMs: number,
  maxFutureDriftMs: number = MAX_FUTURE_DRIFT_MS,
): RemoteHlcCheck {
  if (!isHlc(hlc)) {
    return {
      ok: false,
      reason: 'malformed',
      message: `stamp "${String(hlc).slice(0, 60)}" is not an HLC (36 lowercase hex characters)`,
    };
  }
  const driftMs = hlcWallMs(hlc) - nowMs;
  if (driftMs > maxFutureDriftMs) {
    return {
      ok: false,
      reason: 'too-far-in-future',
      driftMs,
      message:
        `stamp ${hlc} from node ${hlcNodeId(hlc)} is ${driftMs} ms ahead of this node's clock ` +
        `(limit ${maxFutureDriftMs} ms): fix that node's clock (NTP) — its changes are refused until then`,
    };
  }
  return { ok: true };
}

export interface HybridLogicalClockProps {
  readonly nodeId: string;
  /** @default Date.now */
  readonly getNowMs?: () => number;
  /** @default MAX_FUTURE_DRIFT_MS */
  readonly maxFutureDriftMs?: number;
}

export interface HybridLogicalClock {
  readonly nodeId: string;
  /** A new stamp, greater than every stamp this clock made or received before. */
  now(): Hlc;
  /** Moves the clock past a remote stamp; refuses (and does not move) when the stamp is malformed or too far ahead. */
  receive(remote: Hlc): RemoteHlcCheck;
  /** The last stamp made or received (null before the first). */
  last(): Hlc | null;
}

export function createHybridLogicalClock(props: HybridLogicalClockProps): HybridLogicalClock {
  if (!NODE_ID_PATTERN.test(props.nodeId)) {
    throw new RangeError(`node id "${props.nodeId}" is not 16 lowercase hex characters (SYNC_NODE_ID)`);
  }
  const getNowMs = props.getNowMs ?? Date.now;
  const maxFutureDriftMs = props.maxFutureDriftMs ?? MAX_FUTURE_DRIFT_MS;
  let logicalMs = 0;
  let counter = -1;
  let lastStamp: Hlc | null = null;

  const advance = (wallMs: number, remoteMs = -1, remoteCounter = -1) => {
    const nextMs = Math.max(logicalMs, wallMs, remoteMs);
    if (nextMs === logicalMs && nextMs === remoteMs) counter = Math.max(counter, remoteCounter);
    else if (nextMs === remoteMs) counter = remoteCounter;
    else if (nextMs !== logicalMs) counter = -1;
    logicalMs = nextMs;
  };

  return {
    nodeId: props.nodeId,
    now() {
      advance(Math.floor(getNowMs()));
      counter += 1;
      if (counter > MAX_HLC_COUNTER) {
        logicalMs += 1;
        counter = 0;
      }
      lastStamp = encodeHlc({ wallMs: logicalMs, counter, nodeId: props.nodeId });
      return lastStamp;
    },
    receive(remote) {
      const check = checkRemoteHlc(remote, getNowMs(), maxFutureDriftMs);
      if (!check.ok) return check;
      const decoded = decodeHlc(remote);
      advance(Math.floor(getNowMs()), decoded.wallMs, decoded.counter);
      if (lastStamp === null || remote > lastStamp) lastStamp = remote;
      return check;
    },
    last: () => lastStamp,
  };
}
