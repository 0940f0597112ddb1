/**
 * The node's HTTP endpoint for operators (node:http):
 *
 * | path | answer |
 * | --- | --- |
 * | `/health` | 200 `ok` while the node runs; 503 with the reason once it failed or stops |
 * | `/ready` | 200 once a leader is known and everything committed is applied; else 503 |
 * | `/status` | the status report as JSON (what `status` requests return) |
 * | `/metrics` | Prometheus text format (`metrics.ts`) |
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';
import type { ServerStatusReport } from './reads.js';

/** What the endpoint reads from the node, at request time. */
export interface HttpSource {
  /** `undefined` while healthy, else why not (the fatal error's message, or `stopping`). */
  unhealthy(): string | undefined;
  /** A leader is known and applied = committed, and the node has not failed. */
  ready(): boolean;
  status(): ServerStatusReport;
  /** The Prometheus text of `/metrics`. */
  metrics(): Promise<string>;
  /** Its `Content-Type`. */
  readonly metricsContentType: string;
}

/** A listening endpoint. */
export interface HttpEndpoint {
  /** `http://host:port`. */
  readonly address: string;
  /** Closes every connection and the listener. */
  close(): Promise<void>;
}

/** Listens on `host:port` (0: a free port) and serves `source`. */
export async function startHttp(
  port: number,
  host: string,
  log: Logger,
  source: HttpSource,
): Promise<HttpEndpoint> {
  const server: Server = createServer((req, res) => onRequest(source, log, req, res));
  server.on('clientError', (error, socket) => {
    log.log('debug', 'bad http request', { error });
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    address: `http://${addr.address}:${addr.port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function onRequest(
  source: HttpSource,
  log: Logger,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const send = (code: number, type: string, body: string): void => {
    res.writeHead(code, { 'content-type': type });
    res.end(body);
  };
  switch (path) {
    case '/health': {
      const reason = source.unhealthy();
      if (reason === undefined) send(200, 'text/plain', 'ok\n');
      else send(503, 'text/plain', `unhealthy: ${reason}\n`);
      return;
    }
    case '/ready': {
      const ready = source.ready();
      send(
        ready ? 200 : 503,
        'text/plain',
        ready ? 'ready\n' : 'not ready: no leader or not caught up\n',
      );
      return;
    }
    case '/status':
      send(200, 'application/json', `${JSON.stringify(source.status())}\n`);
      return;
    case '/metrics':
      source.metrics().then(
        (text) => send(200, source.metricsContentType, text),
        (err: unknown) => {
          log.log('warn', 'metrics failed', { error: err });
          send(500, 'text/plain', `metrics failed: ${String(err)}\n`);
        },
      );
      return;
    default:
      send(404, 'text/plain', 'not found: try /health, /ready, /status, /metrics\n');
  }
}
