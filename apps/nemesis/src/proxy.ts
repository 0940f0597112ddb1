/**
 * A TCP proxy the harness controls, one per ordered pair of nats-servers: server A's route to
 * server B goes to A->B's proxy, which forwards to B's real route port. Cutting the proxy
 * destroys its live connections and refuses new ones (it accepts and closes them at once), so
 * the two servers lose their route for real; healing accepts again, and nats-server's explicit
 * route retries (every second in 2.9) bring the route back.
 */
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

/** A running proxy. Create with {@link TcpProxy.start}. */
export class TcpProxy {
  /** Where it forwards to. */
  readonly targetPort: number;
  readonly #server: Server;
  #port = 0;
  readonly #pairs = new Set<readonly [Socket, Socket]>();
  #cut = false;
  #accepted = 0;
  #refused = 0;

  private constructor(targetPort: number) {
    this.targetPort = targetPort;
    this.#server = createServer((socket) => this.onConnection(socket));
  }

  /** Listens on 127.0.0.1 (a free port unless `listenPort`) and forwards to `targetPort`. */
  static async start(targetPort: number, listenPort = 0): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort);
    const server = proxy.#server;
    proxy.#port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listenPort, '127.0.0.1', () => {
        const addr = server.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : 0);
      });
    });
    return proxy;
  }

  /** The port it listens on (127.0.0.1). */
  get port(): number {
    return this.#port;
  }

  /** Whether the proxy is cut. */
  get isCut(): boolean {
    return this.#cut;
  }

  /** Connections forwarded now. */
  get liveConnections(): number {
    return this.#pairs.size;
  }

  /** Connections accepted and forwarded, and connections refused while cut, so far. */
  get counts(): { readonly accepted: number; readonly refused: number } {
    return { accepted: this.#accepted, refused: this.#refused };
  }

  /** Destroys every live connection and refuses new ones until {@link heal}. Idempotent. */
  cut(): void {
    this.#cut = true;
    for (const [a, b] of this.#pairs) {
      a.destroy();
      b.destroy();
    }
    this.#pairs.clear();
  }

  /** Accepts and forwards connections again. Idempotent. */
  heal(): void {
    this.#cut = false;
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  private onConnection(down: Socket): void {
    down.on('error', () => undefined);
    if (this.#cut) {
      this.#refused++;
      down.destroy();
      return;
    }
    this.#accepted++;
    down.setNoDelay(true);
    const up = connect({ host: '127.0.0.1', port: this.targetPort });
    up.setNoDelay(true);
    up.on('error', () => undefined);
    const pair = [down, up] as const;
    this.#pairs.add(pair);
    const close = (): void => {
      this.#pairs.delete(pair);
      down.destroy();
      up.destroy();
    };
    down.once('close', close);
    up.once('close', close);
    down.pipe(up);
    up.pipe(down);
  }
}
