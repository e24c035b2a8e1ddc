/**
 * Counts every HTTP request this process's servers answer (Next.js' own server included, which hands the app no
 * hook of its own), through Node's diagnostics channels: the arrival time is noted when a request starts, and the
 * labels and duration are counted when its answer is finished. Requests to the metrics endpoint are not counted.
 * A request whose client hangs up before the answer ends is not counted either.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { countRequest, countSafely } from './appMetrics';
import { methodLabel, routeGroup, statusClass } from './requestLabels';
import { processSingleton } from '../processSingleton';

const startedAt = new WeakMap<IncomingMessage, bigint>();

/** Idempotent; `ignore` adds servers whose requests are not counted (the metrics endpoint). */
export function installHttpRequestMetrics(ignore: readonly Server[] = []): void {
  const { ignored } = processSingleton('msk.app.httpRequestMetrics', () => {
    const ignored = new WeakSet<Server>();
    subscribe('http.server.request.start', (message) => {
      const { request, server } = message as { request: IncomingMessage; server: Server };
      if (!ignored.has(server)) startedAt.set(request, process.hrtime.bigint());
    });
    subscribe('http.server.response.finish', (message) => {
      const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
      const began = startedAt.get(request);
      if (began === undefined) return;
      startedAt.delete(request);
      const seconds = Number(process.hrtime.bigint() - began) / 1e9;
      countSafely((metrics) =>
        countRequest(
          metrics,
          {
            route: routeGroup(request.url),
            method: methodLabel(request.method),
            status: statusClass(response.statusCode),
          },
          seconds,
        ),
      );
    });
    return { ignored };
  });
  for (const server of ignore) ignored.add(server);
}
