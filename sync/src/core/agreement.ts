/**
 * Configuration agreement between this node and its connected peers, from the fingerprints exchanged in the
 * handshake. Pure: the caller passes every node's fingerprints.
 *
 * Who is the odd one out (fails readiness): for each variable in disagreement, every node's "side" is the set of
 * nodes that agree with it. The bigger side wins; between equal sides the side whose earliest member started
 * first wins (equal start times: the lower node ID). A node whose side loses to some other side is the odd one out.
 * With two nodes this means the one that started later.
 */
import { APP_BUILD_VARIABLE, type AppBuildIdentity, appBuildDifference, appBuildsAgree } from './appBuild';
import type { ConfigFingerprints } from './configFingerprints';
import { PREVIOUS_SESSION_SECRETS_VARIABLE, PUBLIC_URL_VARIABLE, SESSION_SECRET_VARIABLE } from './configFingerprints';
import { groupBeats } from './groupRank';

export interface AgreementNode {
  readonly id: string;
  readonly name: string;
  readonly address: string;
  readonly startedAt: number;
  readonly config: ConfigFingerprints;
  /** The app's build beside this node's sync service; null or absent while unknown (not compared then). */
  readonly build?: AppBuildIdentity | null;
}

export interface PeerRef {
  readonly id: string;
  readonly name: string;
  readonly address: string;
}

export interface Mismatch {
  readonly variable: string;
  /** The peers whose value differs from this node's. */
  readonly peers: readonly PeerRef[];
  /** What differs, when it can be said without a secret (e.g. the URL scheme). */
  readonly detail?: string;
  /** Whether this node is the odd one out on this variable (its readiness fails because of it). */
  readonly oddOneOut: boolean;
}

export interface Agreement {
  readonly ok: boolean;
  readonly oddOneOut: boolean;
  readonly mismatches: readonly Mismatch[];
}

export interface PeerAgreement {
  readonly ok: boolean;
  readonly differing: readonly string[];
}

/** Whether two nodes can read each other's session cookies: each one's current secret is in the other's set. */
function sessionSecretsCompatible(a: ConfigFingerprints, b: ConfigFingerprints): boolean {
  const aCurrent = a.fingerprints[SESSION_SECRET_VARIABLE];
  const bCurrent = b.fingerprints[SESSION_SECRET_VARIABLE];
  if (aCurrent === undefined || bCurrent === undefined) return aCurrent === bCurrent;
  if (aCurrent === bCurrent) return true;
  return b.previousSessionSecrets.includes(aCurrent) && a.previousSessionSecrets.includes(bCurrent);
}

/**
 * Whether two nodes agree on one variable. NEXTAUTH_SECRET agrees during a correct two-phase rotation;
 * NEXTAUTH_SECRET_PREVIOUS is judged through NEXTAUTH_SECRET only (it differs while a rotation rolls out).
 */
export function agreeOn(variable: string, a: ConfigFingerprints, b: ConfigFingerprints): boolean {
  if (variable === SESSION_SECRET_VARIABLE) return sessionSecretsCompatible(a, b);
  if (variable === PREVIOUS_SESSION_SECRETS_VARIABLE) return true;
  return a.fingerprints[variable] === b.fingerprints[variable];
}

/** Whether two nodes agree on a variable of the contract or on the app build (APP_BUILD_VARIABLE). */
function nodesAgreeOn(variable: string, a: AgreementNode, b: AgreementNode): boolean {
  if (variable === APP_BUILD_VARIABLE) return appBuildsAgree(a.build, b.build);
  return agreeOn(variable, a.config, b.config);
}

function comparedVariables(nodes: readonly AgreementNode[]): string[] {
  const names = new Set<string>();
  for (const node of nodes) for (const name of Object.keys(node.config.fingerprints)) names.add(name);
  if (nodes.some((node) => node.build)) names.add(APP_BUILD_VARIABLE);
  return [...names].sort();
}

function schemeOf(origin: string | undefined): string | undefined {
  if (origin === undefined) return undefined;
  try {
    return new URL(origin).protocol.replace(/:$/, '');
  } catch {
    return undefined;
  }
}

function urlDetail(self: AgreementNode, others: readonly AgreementNode[]): string {
  const mine = self.config.publicValues[PUBLIC_URL_VARIABLE];
  const myScheme = schemeOf(mine);
  const schemeDiffers = others.filter((o) => schemeOf(o.config.publicValues[PUBLIC_URL_VARIABLE]) !== myScheme);
  if (schemeDiffers.length > 0) {
    const theirs = schemeDiffers.map(
      (o) => `${o.name} uses ${schemeOf(o.config.publicValues[PUBLIC_URL_VARIABLE]) ?? '?'}`,
    );
    return (
      `scheme differs: this node uses ${myScheme ?? '?'}, ${theirs.join(', ')}; ` +
      'https cookies (__Secure-/__Host-) are silently ignored by nodes configured with http'
    );
  }
  const theirs = others.map((o) => `${o.name} has ${o.config.publicValues[PUBLIC_URL_VARIABLE] ?? '?'}`);
  return `origin differs: this node has ${mine ?? '?'}, ${theirs.join(', ')}; every node behind one entry point needs the same public URL`;
}

function buildDetail(
  self: AgreementNode,
  others: readonly AgreementNode[],
  oddPeers: readonly AgreementNode[],
): string {
  // Only nodes with a known build can differ on it, so both builds are known here.
  const mine = self.build as AppBuildIdentity;
  const difference = appBuildDifference(
    mine,
    others.map((o) => ({ name: o.name, build: o.build as AppBuildIdentity })),
  );
  if (oddPeers.length === 0) return difference;
  return `${oddPeers.map((p) => p.name).join(', ')} ${oddPeers.length === 1 ? 'is' : 'are'} the odd one out (readiness fails there): ${difference}`;
}

export function computeAgreement(self: AgreementNode, peers: readonly AgreementNode[]): Agreement {
  const everyone = [self, ...peers];
  const mismatches: Mismatch[] = [];
  let oddOneOut = false;
  for (const variable of comparedVariables(everyone)) {
    const differing = peers.filter((p) => !nodesAgreeOn(variable, self, p));
    if (differing.length === 0) continue;
    const sideOf = (node: AgreementNode) => everyone.filter((other) => nodesAgreeOn(variable, node, other));
    const mySide = sideOf(self);
    const oddOnThis = differing.some((other) => groupBeats(sideOf(other), mySide));
    if (oddOnThis) oddOneOut = true;
    const mismatch: Mismatch = {
      variable,
      peers: differing.map((p) => ({ id: p.id, name: p.name, address: p.address })),
      ...(variable === PUBLIC_URL_VARIABLE ? { detail: urlDetail(self, differing) } : {}),
      ...(variable === APP_BUILD_VARIABLE
        ? {
            detail: buildDetail(
              self,
              differing,
              oddOnThis ? [] : differing.filter((p) => groupBeats(mySide, sideOf(p))),
            ),
          }
        : {}),
      oddOneOut: oddOnThis,
    };
    mismatches.push(mismatch);
  }
  return { ok: mismatches.length === 0, oddOneOut, mismatches };
}

export function computePeerAgreement(
  self: ConfigFingerprints,
  peer: ConfigFingerprints,
  builds: { self?: AppBuildIdentity | null; peer?: AppBuildIdentity | null } = {},
): PeerAgreement {
  const variables = new Set([...Object.keys(self.fingerprints), ...Object.keys(peer.fingerprints)]);
  const differing = [...variables].filter((v) => !agreeOn(v, self, peer));
  if (!appBuildsAgree(builds.self, builds.peer)) differing.push(APP_BUILD_VARIABLE);
  differing.sort();
  return { ok: differing.length === 0, differing };
}
