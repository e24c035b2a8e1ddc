/** The Helm expressions the chart's templates share (conditions and values read in more than one template). */
export const DISCOVERY_KUBERNETES = 'eq .Values.discovery "kubernetes"';
/** externalDatabase.host set: one PostgreSQL for every pod, no PostgreSQL container or claim in the pods. */
export const EXTERNAL_DATABASE = '.Values.externalDatabase.host';
export const BUNDLED_DATABASE = `not ${EXTERNAL_DATABASE}`;
export const SYNC_PORT = 8765;
export const APP_PORT_VALUE = '.Values.app.port';
/** The app's probes: HTTP on a path when the value is non-empty, else a TCP connect (liveness) or the liveness check (readiness). */
export const LIVENESS_PATH = '.Values.app.probes.livenessPath';
export const READINESS_PATH = '.Values.app.probes.readinessPath';
