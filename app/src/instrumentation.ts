/**
 * Next.js calls register() once when the server starts, before it handles requests (never during `next build`).
 * Node runtime only: the imports below use pg, bcrypt and the file system.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    // First, so every request is stamped with its connection's address (see requestOrigin).
    const { installPeerAddressHeaders } = await import('./server/http/requestOrigin');
    installPeerAddressHeaders();
    const { startNode } = await import('./server/startup');
    await startNode();
    // After the configuration is known to be valid (startNode exits on an invalid one).
    const { startAppMetrics } = await import('./server/metrics/metricsServer');
    await startAppMetrics();
  }
}
