/**
 * One value per process. Next.js loads a server module once per module graph it builds (route handlers, the
 * proxy, instrumentation), so a module-level variable would exist several times in one server; the value lives on
 * globalThis instead, under `Symbol.for(key)`, which every graph sees.
 */
type Holder = Record<symbol, unknown>;

/** The value kept under `key`, made by `create()` on first use; a `create()` that throws keeps nothing. */
export function processSingleton<T>(key: string, create: () => T): T {
  const holder = globalThis as unknown as Holder;
  const symbol = Symbol.for(key);
  if (holder[symbol] === undefined) holder[symbol] = create();
  return holder[symbol] as T;
}

/** Drops the value kept under `key`: the next `processSingleton(key, …)` makes a new one. */
export function forgetProcessSingleton(key: string): void {
  delete (globalThis as unknown as Holder)[Symbol.for(key)];
}
