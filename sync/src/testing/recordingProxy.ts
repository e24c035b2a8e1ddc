/**
 * An HTTP proxy between two test nodes that records every exchange, as an on-path observer would see it.
 * It connects to the target from `sourceIp`, so the target sees the original node's address.
 */
import http from 'node:http';
import https from 'node:https';

export interface RecordedExchange {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly status: number;
  readonly responseBody: Buffer;
}

export interface StartedProxy {
  readonly exchanges: RecordedExchange[];
  close(): Promise<void>;
}

export async function startRecordingProxy(input: {
  listenIp: string;
  port: number;
  targetIp: string;
  targetPort: number;
  sourceIp: string;
  /** Terminate TLS with this certificate and talk TLS to the target (an intercepting proxy). */
  tls?: { cert: Buffer; key: Buffer };
}): Promise<StartedProxy> {
  const exchanges: RecordedExchange[] = [];
  const transport = input.tls ? https : http;
  const agent = input.tls
    ? new https.Agent({ keepAlive: true, localAddress: input.sourceIp, rejectUnauthorized: false })
    : new http.Agent({ keepAlive: true, localAddress: input.sourceIp });
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const forward = transport.request(
        {
          host: input.targetIp,
          port: input.targetPort,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent,
        },
        (answer) => {
          const answerChunks: Buffer[] = [];
          answer.on('data', (c: Buffer) => answerChunks.push(c));
          answer.on('end', () => {
            const responseBody = Buffer.concat(answerChunks);
            exchanges.push({
              method: req.method ?? '',
              path: req.url ?? '',
              headers: req.headers,
              body,
              status: answer.statusCode ?? 0,
              responseBody,
            });
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(responseBody);
          });
        },
      );
      forward.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      forward.end(body);
    });
  };
  const server = input.tls
    ? https.createServer({ cert: input.tls.cert, key: input.tls.key }, handler)
    : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(input.port, input.listenIp, resolve));
  return {
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
