/**
 * The app's one typed configuration, read from the environment through the env contract exactly once per
 * process. Next.js bundles route handlers, pages, the proxy and instrumentation into separate module graphs, so
 * the value is kept on globalThis (one process, one config) rather than in a module variable.
 *
 * Never called at module load: `next build` imports route modules without any of the runtime environment.
 */
import { loadNodeConfig, type NodeConfig, type Problem } from '@msk/contract';
import { processSingleton } from './processSingleton';

interface LoadedConfig {
  readonly config: NodeConfig;
  readonly warnings: readonly Problem[];
}

/** Validates the environment (throws ConfigurationError listing every problem) and keeps the result. */
export function loadAppConfig(): LoadedConfig {
  return processSingleton('msk.app.config', () => {
    const loaded = loadNodeConfig(process.env, 'app');
    // NextAuth v4 reads NEXTAUTH_URL from the environment itself (the origin of its redirects); the contract also
    // accepts Auth.js v5's AUTH_URL for it, so the library gets the validated origin under the name it knows.
    // The secret needs no such step: it is passed to NextAuth and getToken explicitly.
    process.env.NEXTAUTH_URL ??= loaded.config.nextAuthUrl;
    return loaded;
  });
}

export function appConfig(): NodeConfig {
  return loadAppConfig().config;
}

/** What the node badge and /api/health show. */
export function nodeIdentity(): { id: string; name: string } {
  const config = appConfig();
  return { id: config.syncNodeId, name: config.syncNodeName };
}
