export * from './platformConfigSchema';
export { MultiServerKitChart, DATABASE_URL } from './platformChart';
export { planContainerEnvironment, referencedSecretKeys } from './environment';
export { synthesizeFiles, synthesizeObjects, MANIFESTS_FILE, CHART_DIR } from './synthOutputs';
export { checkManifests } from './manifestChecks';
