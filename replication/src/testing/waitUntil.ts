/** Polls a condition (state of in-memory stores, counters, or a query) until it holds or the time is up. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 3_000, intervalMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
