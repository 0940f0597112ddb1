/**
 * The node's HTTP endpoint for operators (node:http):
 *
 * | path | answer |
 * | --- | --- |
 * | `/health` | 200 `ok` while the node runs; 503 with the reason once it failed or stops |
 * | `/ready` | 200 once a leader is known and everything committed is applied; else 503 |
 * | `/status` | the status report as JSON (what `status` requests return) |
 * | `/metrics` | Prometheus text format (`metrics.ts`) |
 * | `/` | the status page (`status-page.ts`): HTML with inline script and style |
 * | `/overview` | what the status page shows of this node, JSON (`overview.ts`) |
 * | `/cluster` | every member with its HTTP address, from a status request over NATS, JSON |
 *
 * The JSON answers carry `Access-Control-Allow-Origin: *`: the status page served by one node
 * polls every other node's `/overview` directly. They are read-only, like `/metrics`.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';
import type { ClusterView, NodeOverview } from './overview.js';
import type { ServerStatusReport } from './reads.js';
import { STATUS_PAGE_HTML } from './status-page.js';

/** What the endpoint reads from the node, at request time. */
export interface HttpSource {
  /** `undefined` while healthy, else why not (the fatal error's message, or `stopping`). */
  unhealthy(): string | undefined;
  /** A leader is known and applied = committed, and the node has not failed. */
  ready(): boolean;
  status(): ServerStatusReport;
  overview(): Promise<NodeOverview>;
  cluster(): Promise<ClusterView>;
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
  const sendJson = (value: unknown): void => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'access-control-allow-origin': '*',
      'cache-control': 'no-store',
    });
    res.end(`${JSON.stringify(value)}\n`);
  };
  const sendAsync = (what: string, p: Promise<unknown>): void => {
    p.then(sendJson, (err: unknown) => {
      log.log('warn', `${what} failed`, { error: err });
      send(500, 'text/plain', `${what} failed: ${String(err)}\n`);
    });
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
      sendJson(source.status());
      return;
    case '/overview':
      sendAsync('overview', source.overview());
      return;
    case '/cluster':
      sendAsync('cluster', source.cluster());
      return;
    case '/':
    case '/index.html':
      send(200, 'text/html; charset=utf-8', STATUS_PAGE_HTML);
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
      send(
        404,
        'text/plain',
        'not found: try /, /health, /ready, /status, /overview, /cluster, /metrics\n',
      );
  }
}
