/**
 * How traffic reaches the nodes: a headless Service for peer discovery, a Service + Ingress on ONE host for
 * browsers (so the session cookie reaches every pod), and the NetworkPolicy that limits both.
 */
import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import type { AppReachableFrom, ResolvedPlatformConfig } from './platformConfigTypes';
import { APP_METRICS_PORT, APP_METRICS_PORT_NAME, SYNC_METRICS_PORT, SYNC_METRICS_PORT_NAME } from './metricsPorts';

export const SYNC_PORT_NAME = 'sync';
export const HTTP_PORT_NAME = 'http';
export const APP_SERVICE_PORT = 80;
export const COMPONENT_LABEL = 'app.kubernetes.io/component';
export const METRICS_COMPONENT = 'metrics';
/** kplus adds its own pod-address label to a StatefulSet's Service selector; we select by our labels only. */
const KPLUS_ADDRESS_SELECTOR_PATH = '/spec/selector/cdk8s.io~1metadata.addr';

export function peersServiceName(config: Pick<ResolvedPlatformConfig, 'name'>): string {
  return `${config.name}-peers`;
}

/** SYNC_DNS_NAME: the headless Service's fully qualified name (A records = every pod, ready or not). */
export function peersDnsName(config: Pick<ResolvedPlatformConfig, 'name' | 'namespace' | 'clusterDomain'>): string {
  return `${peersServiceName(config)}.${config.namespace}.svc.${config.clusterDomain}`;
}

/** NEXTAUTH_URL: the origin users open through the Ingress. */
export function publicUrl(config: Pick<ResolvedPlatformConfig, 'host' | 'tls'>): string {
  return `${config.tls ? 'https' : 'http'}://${config.host}`;
}

/** A Service that selects the pods by our labels only. */
function labelSelectedService(
  scope: Construct,
  id: string,
  labels: Readonly<Record<string, string>>,
  props: kplus.ServiceProps,
): kplus.Service {
  const service = new kplus.Service(scope, id, props);
  for (const [key, value] of Object.entries(labels)) service.selectLabel(key, value);
  return service;
}

function tcpPort(name: string, port: number, targetPort = port): kplus.ServicePort {
  return { name, port, targetPort, protocol: kplus.Protocol.TCP };
}

/** Headless, and listing pods before they are ready: peers must find each other to agree on configuration first. */
export function addPeersService(
  scope: Construct,
  config: ResolvedPlatformConfig,
  labels: Readonly<Record<string, string>>,
  syncPort: number,
): kplus.Service {
  const service = labelSelectedService(scope, 'peers', labels, {
    metadata: { name: peersServiceName(config) },
    clusterIP: 'None',
    ports: [tcpPort(SYNC_PORT_NAME, syncPort)],
  });
  ApiObject.of(service).addJsonPatch(JsonPatch.add('/spec/publishNotReadyAddresses', true));
  return service;
}

/** Called once the StatefulSet has added kplus's own selector label to the peers Service. */
export function removeKplusSelector(service: kplus.Service): void {
  ApiObject.of(service).addJsonPatch(JsonPatch.remove(KPLUS_ADDRESS_SELECTOR_PATH));
}

export function addAppService(
  scope: Construct,
  config: ResolvedPlatformConfig,
  labels: Readonly<Record<string, string>>,
  appPort: number,
): kplus.Service {
  return labelSelectedService(scope, 'app', labels, {
    metadata: { name: `${config.name}-app` },
    type: kplus.ServiceType.CLUSTER_IP,
    ports: [tcpPort(HTTP_PORT_NAME, APP_SERVICE_PORT, appPort)],
  });
}

/** Both metrics ports of every pod, for Prometheus (the ServiceMonitor of the Helm chart selects this Service). */
export function addMetricsService(
  scope: Construct,
  config: ResolvedPlatformConfig,
  labels: Readonly<Record<string, string>>,
): kplus.Service {
  return labelSelectedService(scope, 'metrics', labels, {
    // the component label lets a ServiceMonitor select this Service and not the others of the installation
    metadata: { name: `${config.name}-metrics`, labels: { [COMPONENT_LABEL]: METRICS_COMPONENT } },
    type: kplus.ServiceType.CLUSTER_IP,
    ports: [tcpPort(APP_METRICS_PORT_NAME, APP_METRICS_PORT), tcpPort(SYNC_METRICS_PORT_NAME, SYNC_METRICS_PORT)],
  });
}

export function addIngress(scope: Construct, config: ResolvedPlatformConfig, appService: kplus.Service): kplus.Ingress {
  const ingress = new kplus.Ingress(scope, 'ingress', {
    metadata: { name: config.name, annotations: { ...config.ingressAnnotations } },
    className: config.ingressClassName,
  });
  ingress.addHostRule(
    config.host,
    '/',
    kplus.IngressBackend.fromService(appService, { port: APP_SERVICE_PORT }),
    kplus.HttpIngressPathType.PREFIX,
  );
  if (config.tls) {
    ingress.addTls([
      { hosts: [config.host], secret: kplus.Secret.fromSecretName(scope, 'tls-secret', config.tls.secretName) },
    ]);
  }
  return ingress;
}

/**
 * Ingress: 8765 only from pods of this installation; the app's port from the Ingress controller's namespace (or anywhere);
 * the metrics ports from Prometheus's namespace (or anywhere).
 * Egress (restricted): DNS, the peers' 8765, with kubernetes discovery the API server (443/6443; an API server
 * is not a pod, so it cannot be selected by label), and with externalDatabase its port (at any address: a managed
 * database is outside the cluster).
 */
export function addNetworkPolicy(
  scope: Construct,
  config: ResolvedPlatformConfig,
  labels: Readonly<Record<string, string>>,
  ports: { appPort: number; syncPort: number },
): kplus.k8s.KubeNetworkPolicy {
  const ownPods = { podSelector: { matchLabels: { ...labels } } };
  const tcp = (port: number) => ({ protocol: 'TCP', port: kplus.k8s.IntOrString.fromNumber(port) });
  const udp = (port: number) => ({ protocol: 'UDP', port: kplus.k8s.IntOrString.fromNumber(port) });
  const rule = (from: AppReachableFrom, rulePorts: object[]) =>
    from === 'anywhere'
      ? { ports: rulePorts }
      : {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': from.namespace } } }],
          ports: rulePorts,
        };
  const appRule = rule(config.networkPolicy.appReachableFrom, [tcp(ports.appPort)]);
  const metricsRule = rule(config.networkPolicy.metricsReachableFrom, [tcp(APP_METRICS_PORT), tcp(SYNC_METRICS_PORT)]);
  const restricted = config.networkPolicy.egress === 'restricted';
  const egress = restricted
    ? [
        // DNS anywhere: kube-dns pods, or NodeLocal DNSCache on a link-local address that no pod selector matches
        { ports: [udp(53), tcp(53)] },
        { to: [ownPods], ports: [tcp(ports.syncPort)] },
        ...(config.discovery === 'kubernetes' ? [{ ports: [tcp(443), tcp(6443)] }] : []),
        ...(config.externalDatabase ? [{ ports: [tcp(config.externalDatabase.port)] }] : []),
      ]
    : [{}];
  return new kplus.k8s.KubeNetworkPolicy(scope, 'network-policy', {
    metadata: { name: config.name },
    spec: {
      podSelector: { matchLabels: { ...labels } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [ownPods], ports: [tcp(ports.syncPort)] }, appRule, metricsRule],
      egress,
    },
  });
}
