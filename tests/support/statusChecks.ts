/** What `service:status` (text) says about a cluster, checked alike wherever a test reads it. */

/** Two nodes on one database (DATABASE_TOPOLOGY=shared): both connected, each naming the other as sharing it. */
export function expectTwoNodesSharingOneDatabase(statusText: string): void {
  expect(statusText.match(/^Peers Connected: 1$/gm)).toHaveLength(2);
  for (const other of ['node-2', 'node-1'])
    expect(statusText).toContain(
      `Database: shared with ${other} (DATABASE_TOPOLOGY=shared, capture and replication off`,
    );
}
