import { appUrl, clusterLayout, syncAddress } from './clusterLayout';

describe('local cluster layout', () => {
  it("puts node N on 127.0.0.(N+1) with the setup guide's ports, behind 127.0.0.1:8080", () => {
    const layout = clusterLayout({ dataDir: '/data', nodes: 3, distinctAddresses: true });
    expect(`${layout.entryHost}:${layout.entryPort}`).toBe('127.0.0.1:8080');
    expect(layout.nodes.map(appUrl)).toEqual([
      'http://127.0.0.2:8080',
      'http://127.0.0.3:8080',
      'http://127.0.0.4:8080',
    ]);
    expect(layout.nodes.map(syncAddress)).toEqual(['127.0.0.2:8765', '127.0.0.3:8765', '127.0.0.4:8765']);
    expect(layout.nodes[1]?.postgresDataDir).toBe('/data/node-2/postgres');
    expect(layout.nodes.map((n) => [n.appMetricsPort, n.syncMetricsPort])).toEqual([
      [9464, 9465],
      [9464, 9465],
      [9464, 9465],
    ]);
  });

  it('falls back to distinct ports on 127.0.0.1 where only that address routes (macOS)', () => {
    const layout = clusterLayout({ dataDir: '/data', nodes: 2, distinctAddresses: false });
    expect(layout.entryHost).toBe('127.0.0.1');
    expect(layout.nodes.map(appUrl)).toEqual(['http://127.0.0.1:8081', 'http://127.0.0.1:8082']);
    expect(layout.nodes.map(syncAddress)).toEqual(['127.0.0.1:8766', '127.0.0.1:8767']);
    expect(new Set(layout.nodes.map((n) => n.postgresPort)).size).toBe(2);
    const ports = layout.nodes.flatMap((n) => [
      n.appPort,
      n.syncPort,
      n.appMetricsPort,
      n.syncMetricsPort,
      n.postgresPort,
    ]);
    expect(new Set([...ports, layout.entryPort]).size).toBe(ports.length + 1);
    expect(layout.nodes.map((n) => [n.appMetricsPort, n.syncMetricsPort])).toEqual([
      [9466, 9467],
      [9468, 9469],
    ]);
  });

  it('gives tests their own address block', () => {
    const layout = clusterLayout({
      dataDir: '/d',
      nodes: 2,
      distinctAddresses: true,
      addressBlock: 7,
      entryPort: 9000,
    });
    expect(`${layout.entryHost}:${layout.entryPort}`).toBe('127.0.7.1:9000');
    expect(layout.nodes.map((n) => n.host)).toEqual(['127.0.7.2', '127.0.7.3']);
  });

  it('refuses a node count it cannot lay out', () => {
    expect(() => clusterLayout({ dataDir: '/d', nodes: 0, distinctAddresses: true })).toThrow(
      /--nodes must be a whole number from 1 to 50, got 0/,
    );
  });
});
