export * from './metricsEndpoint';
