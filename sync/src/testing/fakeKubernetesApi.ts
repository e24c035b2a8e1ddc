/**
 * A small local stand-in for the Kubernetes API: list and watch of discovery.k8s.io/v1 EndpointSlices in one
 * namespace, behind a bearer token, plus the kubeconfig that points at it. Enough for @kubernetes/client-node's
 * informer (list, then a streaming watch from the list's resourceVersion).
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

export interface FakeEndpoint {
  readonly ip: string;
  readonly podName: string;
  readonly ready?: boolean;
  readonly terminating?: boolean;
}

export interface StartedFakeKubernetesApi {
  readonly url: string;
  readonly namespace: string;
  readonly token: string;
  /** Requests seen (method and path with query). */
  readonly requests: string[];
  /** Replaces the endpoints of a Service (one slice per Service) and notifies watchers. */
  setEndpoints(service: string, endpoints: readonly FakeEndpoint[], port: number): void;
  removeService(service: string): void;
  writeKubeconfig(dir: string): string;
  close(): Promise<void>;
}

export async function startFakeKubernetesApi(
  ip: string,
  port: number,
  namespace = 'msk',
): Promise<StartedFakeKubernetesApi> {
  const token = 'test-token-' + Math.random().toString(16).slice(2);
  let resourceVersion = 100;
  const slices = new Map<string, Record<string, unknown>>();
  const watchers = new Set<{ service: string | undefined; res: http.ServerResponse }>();
  const requests: string[] = [];
  const basePath = `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`;

  const serviceOf = (selector: string | null) => /kubernetes\.io\/service-name=([a-z0-9-]+)/.exec(selector ?? '')?.[1];
  const notify = (type: 'ADDED' | 'MODIFIED' | 'DELETED', service: string, object: Record<string, unknown>) => {
    for (const w of watchers)
      if (w.service === undefined || w.service === service) w.res.write(`${JSON.stringify({ type, object })}\n`);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401 }),
      );
      return;
    }
    if (url.pathname !== basePath) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
      return;
    }
    const service = serviceOf(url.searchParams.get('labelSelector'));
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      const watcher = { service, res };
      watchers.add(watcher);
      req.on('close', () => watchers.delete(watcher));
      return;
    }
    const items = [...slices.entries()]
      .filter(([s]) => service === undefined || s === service)
      .map(([, slice]) => slice);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSliceList',
        metadata: { resourceVersion: String(resourceVersion) },
        items,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, ip, resolve));

  return {
    url: `http://${ip}:${port}`,
    namespace,
    token,
    requests,
    setEndpoints(service, endpoints, servicePort) {
      resourceVersion += 1;
      const existed = slices.has(service);
      const slice = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: `${service}-x7k2p`,
          namespace,
          resourceVersion: String(resourceVersion),
          labels: { 'kubernetes.io/service-name': service },
        },
        addressType: 'IPv4',
        endpoints: endpoints.map((e) => ({
          addresses: [e.ip],
          conditions: { ready: e.ready ?? true, serving: e.ready ?? true, terminating: e.terminating ?? false },
          targetRef: { kind: 'Pod', name: e.podName, namespace },
        })),
        ports: [{ name: 'sync', port: servicePort, protocol: 'TCP' }],
      };
      slices.set(service, slice);
      notify(existed ? 'MODIFIED' : 'ADDED', service, slice);
    },
    removeService(service) {
      const slice = slices.get(service);
      if (!slice) return;
      resourceVersion += 1;
      slices.delete(service);
      notify('DELETED', service, {
        ...slice,
        metadata: { ...(slice.metadata as object), resourceVersion: String(resourceVersion) },
      });
    },
    writeKubeconfig(dir) {
      const file = path.join(dir, 'kubeconfig.json');
      const config = {
        apiVersion: 'v1',
        kind: 'Config',
        // client-node refuses plain HTTP unless TLS verification is declared off (there is no TLS to verify here).
        clusters: [{ name: 'fake', cluster: { server: `http://${ip}:${port}`, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'tester', user: { token } }],
        contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'tester', namespace } }],
        'current-context': 'fake',
      };
      writeFileSync(file, JSON.stringify(config, null, 2));
      return file;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const w of watchers) w.res.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
