/** Next.js runs register() once at server start (Node.js runtime only), before any request is answered. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs') await (await import('./server/startup')).startDesk();
}
