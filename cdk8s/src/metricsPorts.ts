/**
 * The metrics endpoints every node serves (names fixed for the whole project): the app's Prometheus metrics on
 * APP_METRICS_PORT, the sync service's on SYNC_METRICS_PORT, each at /metrics over plain HTTP with nothing else
 * on that port. The container ports carry these names; the metrics Service, the ServiceMonitor and the
 * NetworkPolicy refer to them.
 */
export const APP_METRICS_PORT = 9464;
export const SYNC_METRICS_PORT = 9465;
export const APP_METRICS_PORT_NAME = 'app-metrics';
export const SYNC_METRICS_PORT_NAME = 'sync-metrics';
export const METRICS_PATH = '/metrics';
