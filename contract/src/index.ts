export * from './variables';
export * from './problem';
export * from './nodeConfig';
export { fingerprint, keyedFingerprint, displayValue } from './fingerprint';
export { publishedSource, GUIDE_EXAMPLE_NODE_IDS } from './published';
export { estimatedSecretBits, MIN_SECRET_BITS } from './checks';
export { deriveNodeId, NODE_ID_HEX_LENGTH, NODE_ID_PATTERN, NODE_ID_RULE } from './nodeIdentity';
export {
  CONFIGURATION_PAGE,
  configurationTable,
  withConfigurationTable,
  TABLE_BEGIN,
  TABLE_END,
} from './configurationTable';
export {
  clientAddressBehind,
  normalizeAddress,
  parseTrustedProxies,
  trustedProxiesProblem,
  type TrustedProxies,
} from './trustedProxies';
export { databaseTarget, isLoopbackDatabase } from './databaseTarget';
export { connectionStringWithPassword } from './connectionString';
export {
  REFERENCE_APP_REPLICATED_TABLES,
  TABLE_NAME_PATTERN,
  parseReplicatedTables,
  replicatedTablesProblem,
} from './replicatedTables';
