import { type AgreementNode, computeAgreement, computePeerAgreement } from './agreement';
import type { AppBuildIdentity } from './appBuild';
import type { ConfigFingerprints } from './configFingerprints';

const fp = (secret: string, url = 'url-1', previous: string[] = []): ConfigFingerprints => ({
  fingerprints: { NEXTAUTH_SECRET: secret, NEXTAUTH_URL: url, SYNC_SERVICE_PORT: 'port' },
  previousSessionSecrets: previous,
  publicValues: { NEXTAUTH_URL: url.startsWith('http') ? url : 'https://platform.example.com' },
});

let counter = 0;
const node = (name: string, config: ConfigFingerprints, startedAt: number, id?: string): AgreementNode => ({
  id: id ?? (++counter).toString(16).padStart(16, '0'),
  name,
  address: `${name}:8765`,
  startedAt,
  config,
});

describe('computeAgreement', () => {
  it('is ok when every connected node has the same fingerprints', () => {
    expect(computeAgreement(node('a', fp('s1'), 1), [node('b', fp('s1'), 2)])).toEqual({
      ok: true,
      oddOneOut: false,
      mismatches: [],
    });
  });

  it('with two nodes, makes the one that started later the odd one out, and both report the mismatch', () => {
    const a = node('a', fp('s1'), 100);
    const b = node('b', fp('s2'), 200);
    const fromA = computeAgreement(a, [b]);
    const fromB = computeAgreement(b, [a]);
    expect(fromA).toEqual({
      ok: false,
      oddOneOut: false,
      mismatches: [
        { variable: 'NEXTAUTH_SECRET', peers: [{ id: b.id, name: 'b', address: 'b:8765' }], oddOneOut: false },
      ],
    });
    expect(fromB.oddOneOut).toBe(true);
    expect(fromB.mismatches[0]?.peers.map((p) => p.name)).toEqual(['a']);
  });

  it('breaks a tie between equal start times by node ID: the higher ID is the odd one out', () => {
    const low = node('low', fp('s1'), 100, '0000000000000001');
    const high = node('high', fp('s2'), 100, '0000000000000002');
    expect(computeAgreement(low, [high]).oddOneOut).toBe(false);
    expect(computeAgreement(high, [low]).oddOneOut).toBe(true);
  });

  it('makes the minority the odd one out even when it started first', () => {
    const early = node('early', fp('s2'), 1);
    const b = node('b', fp('s1'), 50);
    const c = node('c', fp('s1'), 60);
    expect(computeAgreement(early, [b, c]).oddOneOut).toBe(true);
    expect(computeAgreement(b, [early, c])).toMatchObject({ ok: false, oddOneOut: false });
    expect(computeAgreement(b, [early, c]).mismatches[0]?.peers.map((p) => p.name)).toEqual(['early']);
  });

  it('with three different values, only the earliest-started node is not the odd one out', () => {
    const [a, b, c] = [node('a', fp('s1'), 1), node('b', fp('s2'), 2), node('c', fp('s3'), 3)];
    expect(computeAgreement(a, [b, c]).oddOneOut).toBe(false);
    expect(computeAgreement(b, [a, c]).oddOneOut).toBe(true);
    expect(computeAgreement(c, [a, b]).oddOneOut).toBe(true);
  });

  it("accepts a correct two-phase secret rotation (each current secret is in the other's previous list)", () => {
    const updated = node('updated', fp('new', 'url-1', ['old']), 200);
    const waiting = node('waiting', fp('old', 'url-1', ['new']), 100);
    expect(computeAgreement(updated, [waiting]).ok).toBe(true);
  });

  it('refuses a rotation that skipped phase one (the other node cannot read new sessions)', () => {
    const updated = node('updated', fp('new', 'url-1', ['old']), 200);
    const stale = node('stale', fp('old'), 100);
    const result = computeAgreement(updated, [stale]);
    expect(result.mismatches.map((m) => m.variable)).toEqual(['NEXTAUTH_SECRET']);
    expect(result.oddOneOut).toBe(true);
  });

  it('says when the NEXTAUTH_URL scheme differs', () => {
    const https = node('a', fp('s1', 'https://platform.example.com'), 1);
    const http = node('b', fp('s1', 'http://platform.example.com'), 2);
    const detail = computeAgreement(http, [https]).mismatches[0]?.detail;
    expect(detail).toMatch(/^scheme differs: this node uses http, a uses https/);
  });

  it('says when only the NEXTAUTH_URL host differs', () => {
    const one = node('a', fp('s1', 'https://one.example.com'), 1);
    const two = node('b', fp('s1', 'https://two.example.com'), 2);
    expect(computeAgreement(one, [two]).mismatches[0]?.detail).toMatch(
      /^origin differs: this node has https:\/\/one.example.com, b has https:\/\/two.example.com/,
    );
  });
});

describe('computePeerAgreement', () => {
  it('lists the variables on which one peer differs', () => {
    expect(computePeerAgreement(fp('s1'), fp('s2', 'url-2'))).toEqual({
      ok: false,
      differing: ['NEXTAUTH_SECRET', 'NEXTAUTH_URL'],
    });
    expect(computePeerAgreement(fp('s1'), fp('s1'))).toEqual({ ok: true, differing: [] });
  });
});

describe('app build agreement', () => {
  const build = (buildId: string, key: string): AppBuildIdentity => ({
    buildId,
    deploymentId: 'msk-app-0-1-0',
    serverActionsKeyFingerprint: key.repeat(32).slice(0, 32),
  });
  const withBuild = (name: string, startedAt: number, b: AppBuildIdentity | null) => ({
    ...node(name, fp('s1'), startedAt),
    build: b,
  });

  it('agrees when every node runs the same build', () => {
    expect(computeAgreement(withBuild('a', 1, build('b1', 'a')), [withBuild('b', 2, build('b1', 'a'))]).ok).toBe(true);
  });

  it('makes the later node with another Server Actions key the odd one out, naming both builds and the fix', () => {
    const a = withBuild('a', 1, build('b1', 'a'));
    const b = withBuild('b', 2, build('b1', 'c'));
    const fromB = computeAgreement(b, [a]);
    expect(fromB.oddOneOut).toBe(true);
    expect(fromB.mismatches).toHaveLength(1);
    expect(fromB.mismatches[0]).toMatchObject({ variable: 'APP_BUILD', oddOneOut: true, peers: [{ name: 'a' }] });
    expect(fromB.mismatches[0]?.detail).toContain(
      '(Server Actions key): this node runs b1, key cccccccc, a runs b1, key aaaaaaaa',
    );
    expect(fromB.mismatches[0]?.detail).toContain('build once, run the same image');
    const fromA = computeAgreement(a, [b]);
    expect(fromA).toMatchObject({
      ok: false,
      oddOneOut: false,
      mismatches: [{ variable: 'APP_BUILD', oddOneOut: false, peers: [{ name: 'b' }] }],
    });
    expect(fromA.mismatches[0]?.detail).toMatch(
      /^b is the odd one out \(readiness fails there\): the app builds differ/,
    );
    expect(fromB.mismatches[0]?.detail).toMatch(/^the app builds differ/);
  });

  it('says the build ID differs when it does', () => {
    const fromB = computeAgreement(withBuild('b', 2, build('b2', 'a')), [withBuild('a', 1, build('b1', 'a'))]);
    expect(fromB.mismatches[0]?.detail).toContain(
      '(build ID): this node runs b2, key aaaaaaaa, a runs b1, key aaaaaaaa',
    );
  });

  it('does not compare a node whose app has not told its build yet', () => {
    expect(computeAgreement(withBuild('b', 2, null), [withBuild('a', 1, build('b1', 'a'))])).toEqual({
      ok: true,
      oddOneOut: false,
      mismatches: [],
    });
    expect(computeAgreement(node('b', fp('s1'), 2), [withBuild('a', 1, build('b1', 'a'))]).ok).toBe(true);
  });

  it('keeps the majority build: of three nodes, the one with another build is odd even if it started first', () => {
    const odd = withBuild('odd', 1, build('b1', 'c'));
    const x = withBuild('x', 2, build('b1', 'a'));
    const y = withBuild('y', 3, build('b1', 'a'));
    expect(computeAgreement(odd, [x, y]).oddOneOut).toBe(true);
    expect(computeAgreement(y, [odd, x]).oddOneOut).toBe(false);
  });

  it('lists APP_BUILD among what differs for one peer', () => {
    expect(computePeerAgreement(fp('s1'), fp('s1'), { self: build('b1', 'a'), peer: build('b1', 'c') })).toEqual({
      ok: false,
      differing: ['APP_BUILD'],
    });
    expect(computePeerAgreement(fp('s1'), fp('s1'), { self: build('b1', 'a'), peer: null })).toEqual({
      ok: true,
      differing: [],
    });
  });
});
