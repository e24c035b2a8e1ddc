/** Polls until a check passes or a deadline passes; the last failure becomes the error, with what was awaited. */
export interface EventuallyOptions {
  readonly what: string;
  /** @default 30000 */
  readonly timeoutMs?: number;
  /** @default 250 */
  readonly intervalMs?: number;
  /** Appended to the error on timeout, e.g. the last lines of a container's log. */
  readonly context?: () => string | Promise<string>;
}

export async function eventually<T>(check: () => Promise<T>, options: EventuallyOptions): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  const context = options.context ? `\n${await options.context()}` : '';
  throw new Error(`${options.what}: not within ${timeoutMs} ms. Last failure: ${reason}${context}`);
}
