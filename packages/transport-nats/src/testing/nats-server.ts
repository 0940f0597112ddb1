/**
 * Real `nats-server` processes for tests, benchmarks and the local cluster: each listens on
 * 127.0.0.1 on free ports and is killed when the test process exits, whatever happens.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { killProcessGroup, spawnWithWatchdog } from './watchdog.js';

/** `nats-server` is not installed (or not executable). The message says how to install it. */
export class NatsServerNotFoundError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'NATS_SERVER_NOT_FOUND' as const;
  override readonly name = 'NatsServerNotFoundError' as const;

  constructor(searched: readonly string[]) {
    super(
      `nats-server not found (tried ${searched.length > 0 ? searched.join(', ') : 'nothing'}); ` +
        'install it with `apt-get install -y nats-server` (Debian/Ubuntu) or put it on PATH',
    );
  }
}

/** `nats-server` did not start (exited early or never accepted connections). */
export class NatsServerStartError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'NATS_SERVER_START_FAILED' as const;
  override readonly name = 'NatsServerStartError' as const;
}

/** Where {@link findNatsServer} looks; defaults come from the environment. */
export interface FindNatsServerOptions {
  /** An explicit binary path, tried first. Default: `$NATS_SERVER_BIN`. */
  readonly bin?: string | undefined;
  /** Directories to search. Default: `$PATH`, then `/usr/sbin`, `/usr/local/bin`, `/usr/bin`. */
  readonly dirs?: readonly string[];
}

/**
 * Path of the `nats-server` binary: `$NATS_SERVER_BIN`, else the first on `PATH`, else
 * `/usr/sbin`, `/usr/local/bin` and `/usr/bin` (Debian installs it in `/usr/sbin`, often not on
 * a user's PATH). Throws {@link NatsServerNotFoundError}, whose message says
 * `apt-get install -y nats-server`, when there is none.
 */
export function findNatsServer(options: FindNatsServerOptions = {}): string {
  const bin = 'bin' in options ? options.bin : process.env['NATS_SERVER_BIN'];
  const dirs = options.dirs ?? [
    ...(process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== ''),
    '/usr/sbin',
    '/usr/local/bin',
    '/usr/bin',
  ];
  const candidates = [
    ...(bin !== undefined && bin !== '' ? [bin] : []),
    ...dirs.map((d) => join(d, 'nats-server')),
  ];
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // try the next one
    }
  }
  throw new NatsServerNotFoundError(candidates);
}

/** A free TCP port on 127.0.0.1 (free when asked: another process may take it before use). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => {
        resolve(port);
      });
    });
  });
}

// Every server child still running, and every temporary directory not yet removed: killed
// and removed synchronously when this process exits (normally, by process.exit() or after an
// uncaught exception). A process killed by a signal runs no exit hook; Ctrl-C reaches the
// servers anyway (same process group), and a SIGTERM handler should call process.exit().
const live = new Set<ChildProcess>();
/** The children started under a watchdog (killed as a process group). */
const grouped = new WeakSet<ChildProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of live) {
        if (grouped.has(c)) killProcessGroup(c);
        else c.kill('SIGKILL');
      }
      for (const d of tempDirs) {
        rmSync(d, { recursive: true, force: true });
      }
    });
  }
}
function track(child: ChildProcess): void {
  installExitHook();
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** The last 4 000 characters of a file, or '' when it cannot be read. */
function readTail(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-4000);
  } catch {
    return '';
  }
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** Whether a TCP connection to 127.0.0.1:`port` succeeds now (a server is listening). */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => {
      sock.destroy();
      resolve(false);
    });
  });
}

/** Options of {@link startNatsServer}. */
export interface NatsServerOptions {
  /** Client port. Default: a free port (retried with another one if it is taken meanwhile). */
  readonly port?: number;
  /** The server's `max_payload` in bytes. Default: nats-server's default (1 MiB). */
  readonly maxPayloadBytes?: number;
  /** Server name (shows in logs and `INFO`). */
  readonly serverName?: string;
  /** Join a NATS cluster: the route listener and the routes to solicit. */
  readonly cluster?: {
    readonly name: string;
    /** Route port. Default: a free port. */
    readonly port?: number;
    /** Route URLs of the other servers, e.g. `nats-route://127.0.0.1:6222`. */
    readonly routes?: readonly string[];
    /**
     * `cluster.advertise`: the `host:port` this server tells the others to reach its route
     * listener at. Servers learn each other's routes by gossip (implicit routes: when a
     * server accepts a route it forwards the new server's address to its other routes, which
     * then connect to it once, in nats-server 2.9 without retries); without `advertise` the
     * address is the route's TCP peer address and the real route port. Default: none.
     */
    readonly advertise?: string;
    /**
     * `cluster.no_advertise`: do not tell clients the client URLs of the other servers, so a
     * client reconnects only to the URLs it was given. Default false (nats-server's default).
     */
    readonly noAdvertise?: boolean;
  };
  /** Write the server's log to this file (`log_file`); otherwise it goes to stderr. */
  readonly logFile?: string;
  /**
   * Run under a watchdog in a process group of its own ({@link spawnWithWatchdog}): the server
   * is SIGKILLed even when this process is killed -9, which exit hooks cannot cover. `pid` is
   * then the watchdog shell's (the group id). Default false.
   */
  readonly watchdog?: boolean;
  /** HTTP monitoring port (`/varz`, `/routez`, ...). Default: none. */
  readonly monitorPort?: number;
  /** How long to wait for the server to accept connections. Default 10 000 ms. */
  readonly startTimeoutMs?: number;
}

/** A running `nats-server` started by {@link startNatsServer}. */
export interface NatsServer {
  /** Client URL, `nats://127.0.0.1:<port>`. */
  readonly url: string;
  /** Client port. */
  readonly port: number;
  /** Route URL (`nats-route://127.0.0.1:<port>`) when clustered. */
  readonly routeUrl: string | undefined;
  /** HTTP monitoring URL when a monitor port was set. */
  readonly monitorUrl: string | undefined;
  /** OS process id of the current server process (changes on restart). */
  readonly pid: number | undefined;
  /** Whether the server process is running. */
  readonly running: boolean;
  /**
   * Stops the server and waits for it to exit. `kill: true` sends SIGKILL (a crash) instead
   * of SIGTERM. Idempotent. Removes the server's temporary directory, unless `restartable`:
   * then {@link restart} can start it again later on the same ports (a server that is down
   * for a while).
   */
  stop(options?: { readonly kill?: boolean; readonly restartable?: boolean }): Promise<void>;
  /**
   * Stops the server (like {@link stop}, SIGKILL when `kill`), waits `downMs` (default 0) and
   * starts it again on the same ports with the same configuration.
   */
  restart(options?: { readonly kill?: boolean; readonly downMs?: number }): Promise<void>;
}

function configText(
  port: number,
  options: NatsServerOptions,
  clusterPort: number | undefined,
): string {
  const lines = [`listen: "127.0.0.1:${port}"`];
  if (options.serverName !== undefined) {
    lines.push(`server_name: ${JSON.stringify(options.serverName)}`);
  }
  if (options.maxPayloadBytes !== undefined) {
    lines.push(`max_payload: ${options.maxPayloadBytes}`);
  }
  if (options.monitorPort !== undefined) {
    lines.push(`http: "127.0.0.1:${options.monitorPort}"`);
  }
  if (options.logFile !== undefined) {
    lines.push(`log_file: ${JSON.stringify(options.logFile)}`);
  }
  if (options.cluster !== undefined && clusterPort !== undefined) {
    const routes = (options.cluster.routes ?? []).map((r) => JSON.stringify(r)).join(', ');
    lines.push(
      'cluster {',
      `  name: ${JSON.stringify(options.cluster.name)}`,
      `  listen: "127.0.0.1:${clusterPort}"`,
      `  routes: [${routes}]`,
    );
    if (options.cluster.advertise !== undefined) {
      lines.push(`  advertise: ${JSON.stringify(options.cluster.advertise)}`);
    }
    if (options.cluster.noAdvertise === true) {
      lines.push('  no_advertise: true');
    }
    lines.push('}');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Starts a real `nats-server` on 127.0.0.1 and resolves once it accepts client connections.
 *
 * Cleanup is guaranteed: call `stop()` in an `afterAll`/`afterEach`, and in any case every
 * server still running is SIGKILLed when the Node process exits. Throws
 * {@link NatsServerNotFoundError} (saying `apt-get install -y nats-server`) when the binary is
 * missing, {@link NatsServerStartError} when it does not start.
 *
 * ```ts
 * const nats = await startNatsServer();
 * const t = await NatsPeerTransport.connect({ servers: [nats.url], clusterName: 'c', nodeId: 1 });
 * // ...
 * await t.close();
 * await nats.stop();
 * ```
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const bin = findNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'flexpaxos-nats-'));
  installExitHook();
  tempDirs.add(dir);
  const configPath = join(dir, 'nats.conf');
  const fixedPort = options.port;
  let port = fixedPort ?? (await freePort());
  const clusterPort =
    options.cluster === undefined ? undefined : (options.cluster.port ?? (await freePort()));
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  let child: ChildProcess | undefined;
  let removed = false;

  const launch = async (): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      writeFileSync(configPath, configText(port, options, clusterPort));
      const proc =
        options.watchdog === true
          ? spawnWithWatchdog(bin, ['-c', configPath])
          : spawn(bin, ['-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
      if (options.watchdog === true) grouped.add(proc);
      track(proc);
      let stderr = '';
      proc.stderr?.setEncoding('utf8');
      proc.stderr?.on('data', (d: string) => {
        if (stderr.length < 20_000) {
          stderr += d;
        }
      });
      let exited = false;
      proc.once('exit', () => {
        exited = true;
      });
      const deadline = Date.now() + startTimeoutMs;
      while (!exited && Date.now() < deadline) {
        if (await canConnect(port)) {
          // Another process may hold the port (it was free when picked): then this server
          // fails to bind and exits at once. Give it the moment to do so.
          await sleep(100);
          break;
        }
        await sleep(20);
      }
      if (!exited && Date.now() < deadline) {
        child = proc;
        return;
      }
      if (options.watchdog === true) killProcessGroup(proc);
      else proc.kill('SIGKILL');
      // With a log file the server reports why it stopped there, not on stderr.
      if (options.logFile !== undefined) stderr += readTail(options.logFile);
      const portTaken = /address already in use/i.test(stderr);
      if (portTaken && fixedPort === undefined && attempt < 3) {
        port = await freePort();
        continue;
      }
      throw new NatsServerStartError(
        `nats-server on 127.0.0.1:${port} did not start${exited ? ' (it exited)' : ` within ${startTimeoutMs} ms`}: ${stderr.trim().slice(-2000)}`,
      );
    }
  };

  const stopProcess = async (kill: boolean): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) {
      return;
    }
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const hardKill = (): void => {
      if (options.watchdog === true) killProcessGroup(proc);
      else proc.kill('SIGKILL');
    };
    if (kill) hardKill();
    else proc.kill('SIGTERM'); // the watchdog forwards it and exits after the server
    const timer = setTimeout(hardKill, 5_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await launch();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
    throw e;
  }

  return {
    get url() {
      return `nats://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    routeUrl: clusterPort === undefined ? undefined : `nats-route://127.0.0.1:${clusterPort}`,
    monitorUrl:
      options.monitorPort === undefined ? undefined : `http://127.0.0.1:${options.monitorPort}`,
    get pid() {
      return child?.pid;
    },
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    async stop(stopOptions) {
      await stopProcess(stopOptions?.kill ?? false);
      if (!removed && stopOptions?.restartable !== true) {
        removed = true;
        rmSync(dir, { recursive: true, force: true });
        tempDirs.delete(dir);
      }
    },
    async restart(restartOptions) {
      if (removed) {
        throw new NatsServerStartError('cannot restart a nats-server after stop()');
      }
      await stopProcess(restartOptions?.kill ?? false);
      if ((restartOptions?.downMs ?? 0) > 0) {
        await sleep(restartOptions?.downMs ?? 0);
      }
      await launch();
    },
  };
}

/** A cluster of `nats-server`s started by {@link startNatsCluster}. */
export interface NatsCluster {
  /** The servers, in start order. */
  readonly servers: readonly NatsServer[];
  /** Every server's client URL (what a client lists to fail over between them). */
  readonly urls: readonly string[];
  /** Stops every server. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts `n` `nats-server`s on 127.0.0.1 joined into one NATS cluster (full mesh of routes)
 * and resolves once every server has a route to every other, so a message published on any
 * server reaches subscribers on all of them (subscription interest still takes a moment to
 * propagate after a subscribe). Same cleanup guarantee as {@link startNatsServer}.
 */
export async function startNatsCluster(
  n: number,
  options: {
    readonly clusterName?: string;
    readonly maxPayloadBytes?: number;
    readonly startTimeoutMs?: number;
  } = {},
): Promise<NatsCluster> {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RangeError(`a NATS cluster needs at least 1 server (got ${n})`);
  }
  const name = options.clusterName ?? 'flexpaxos-test';
  const routePorts: number[] = [];
  const monitorPorts: number[] = [];
  for (let i = 0; i < n; i++) {
    routePorts.push(await freePort());
    monitorPorts.push(await freePort());
  }
  const routeUrls = routePorts.map((p) => `nats-route://127.0.0.1:${p}`);
  const servers: NatsServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    for (let i = 0; i < n; i++) {
      servers.push(
        await startNatsServer({
          serverName: `${name}-${i + 1}`,
          monitorPort: monitorPorts[i] as number,
          cluster: {
            name,
            port: routePorts[i] as number,
            routes: routeUrls.filter((_, j) => j !== i),
          },
          ...(options.maxPayloadBytes === undefined
            ? {}
            : { maxPayloadBytes: options.maxPayloadBytes }),
          ...(options.startTimeoutMs === undefined
            ? {}
            : { startTimeoutMs: options.startTimeoutMs }),
        }),
      );
    }
    const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
    for (const s of servers) {
      for (;;) {
        let routes = 0;
        try {
          const res = await fetch(`${s.monitorUrl}/routez`);
          const body = (await res.json()) as { num_routes?: number };
          routes = body.num_routes ?? 0;
        } catch {
          routes = 0;
        }
        if (routes >= n - 1) {
          break;
        }
        if (Date.now() > deadline) {
          throw new NatsServerStartError(
            `NATS cluster routes not established: ${s.url} has ${routes} of ${n - 1}`,
          );
        }
        await sleep(25);
      }
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { servers, urls: servers.map((s) => s.url), stop };
}
