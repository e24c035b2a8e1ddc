/**
 * What an operator can configure about the Kubernetes deployment, with the defaults and the validation: the types
 * (platformConfigTypes.ts), the defaults (platformConfigDefaults.ts), the patterns the Helm chart shares
 * (platformConfigPatterns.ts) and the checks (platformConfigChecks.ts). The values themselves live in
 * `platform.config.ts` (the one file an operator edits).
 */
import { PlatformConfigError } from './configChecker';
import { DEFAULTS } from './platformConfigDefaults';
import { checkPlatformConfig } from './platformConfigChecks';
import type { ExternalDatabaseConfig, PlatformConfig, ResolvedPlatformConfig } from './platformConfigTypes';

export * from './platformConfigTypes';
export * from './platformConfigDefaults';
export * from './platformConfigPatterns';
export { type ConfigProblem, PlatformConfigError } from './configChecker';

/** Each field the operator set, else its default (`??`: an explicit undefined is the default too). */
function withDefaults<T extends object>(given: Partial<T> | undefined, defaults: T): T {
  const resolved = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof T)[]) resolved[key] = given?.[key] ?? defaults[key];
  return resolved;
}

/** Applies the defaults and checks every field; throws PlatformConfigError naming every bad field. */
export function resolvePlatformConfig(config: PlatformConfig): ResolvedPlatformConfig {
  const sharedSecretName = config.sharedSecretName ?? DEFAULTS.sharedSecretName;
  const resolved: ResolvedPlatformConfig = {
    name: config.name ?? DEFAULTS.name,
    namespace: config.namespace ?? DEFAULTS.namespace,
    replicas: config.replicas ?? DEFAULTS.replicas,
    host: config.host,
    tls: config.tls,
    ingressClassName: config.ingressClassName,
    ingressAnnotations: config.ingressAnnotations ?? {},
    sharedSecretName,
    images: withDefaults<ResolvedPlatformConfig['images']>(config.images, DEFAULTS.images),
    app: {
      ...withDefaults<Omit<ResolvedPlatformConfig['app'], 'probes'>>(config.app, DEFAULTS.app),
      probes: withDefaults<ResolvedPlatformConfig['app']['probes']>(config.app?.probes, DEFAULTS.app.probes),
    },
    sync: withDefaults<ResolvedPlatformConfig['sync']>(config.sync, DEFAULTS.sync),
    postgres: {
      ...withDefaults<Omit<ResolvedPlatformConfig['postgres'], 'storageClassName'>>(config.postgres, DEFAULTS.postgres),
      storageClassName: config.postgres?.storageClassName,
    },
    discovery: config.discovery ?? DEFAULTS.discovery,
    networkPolicy: withDefaults<ResolvedPlatformConfig['networkPolicy']>(config.networkPolicy, DEFAULTS.networkPolicy),
    clusterDomain: config.clusterDomain ?? DEFAULTS.clusterDomain,
    terminationGracePeriodSeconds: config.terminationGracePeriodSeconds ?? DEFAULTS.terminationGracePeriodSeconds,
    replicatedTables: config.replicatedTables ?? DEFAULTS.replicatedTables,
    settings: config.settings ?? {},
    externalDatabase: resolveExternalDatabase(config, sharedSecretName),
  };
  const problems = checkPlatformConfig(resolved);
  if (problems.length > 0) throw new PlatformConfigError(problems);
  return resolved;
}

function resolveExternalDatabase(
  config: PlatformConfig,
  sharedSecretName: string,
): Required<ExternalDatabaseConfig> | undefined {
  const external = config.externalDatabase;
  if (external === undefined) return undefined;
  const d = DEFAULTS.externalDatabase;
  return {
    host: external.host,
    port: external.port ?? d.port,
    database: external.database ?? d.database,
    user: external.user ?? d.user,
    syncUser: external.syncUser ?? d.syncUser,
    existingSecret: external.existingSecret ?? sharedSecretName,
    passwordKey: external.passwordKey ?? d.passwordKey,
    syncPasswordKey: external.syncPasswordKey ?? d.syncPasswordKey,
    sslMode: external.sslMode ?? d.sslMode,
  };
}

/** The connection URL of one role to the external database, without password (it comes from the Secret). */
export function externalDatabaseUrl(external: Required<ExternalDatabaseConfig>, role: string): string {
  const ssl = external.sslMode === '' ? '' : `?sslmode=${external.sslMode}`;
  return `postgresql://${role}@${external.host}:${external.port}/${external.database}${ssl}`;
}
