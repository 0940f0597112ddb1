/**
 * The NATS side of a nemesis cluster: one `nats-server` per node, clustered by routes, every
 * route passing through a {@link TcpProxy} per ordered pair of servers, so that cutting proxies
 * partitions the servers (and the nodes and clients on them) for real.
 *
 * ```
 *   node 1 ── nats 1 ──proxy 1->2──> nats 2 ── node 2
 *               ^ └────proxy 1->3──> nats 3 ── node 3
 *               └──────proxy 2->1─── nats 2  (and so on, N x (N-1) proxies)
 * ```
 *
 * Why no route can bypass a proxy (nats-server 2.9, `server/route.go`):
 * - Explicit routes: each server lists only the proxies towards the others; it never learns
 *   another server's real route port from its configuration.
 * - Implicit routes (gossip): a server that accepts a route forwards the newcomer's route
 *   address to its other routes, which connect to it once (`connect_retries` 0) if they have no
 *   route to that server. The address is the newcomer's `cluster.advertise` when set, else
 *   its TCP peer address with its real route port, which would bypass the proxies. Every
 *   server therefore advertises {@link NOWHERE}, a loopback port nothing listens on: the
 *   gossiped connect is refused and, refused, never retried.
 * - Clients: `cluster.no_advertise` keeps the servers from telling clients (nodes included)
 *   the other servers' client URLs, so a client whose server dies waits for that server
 *   instead of moving to another side of a partition.
 *
 * `test/topology.integration.test.ts` checks that a cut isolates and a heal reconnects.
 */
import { join } from 'node:path';
import { canConnect, freePort, startNatsServer } from '@flexpaxos/transport-nats/testing';
import type { NatsServer } from '@flexpaxos/transport-nats/testing';
import { TcpProxy } from './proxy.js';

/** The route address every server advertises for gossip: nothing listens there. */
export const NOWHERE = '127.0.0.1:1';

/** Options of {@link NatsTopology.start}. */
export interface TopologyOptions {
  /** Server ids (the node ids: server i serves node i). */
  readonly ids: readonly number[];
  /** Where each server writes its log (`nats-<id>.log`). */
  readonly logDir: string;
  /** NATS cluster name. Default `nemesis`. */
  readonly clusterName?: string;
  /** How long to wait for the full mesh of routes at start. Default 20 000 ms. */
  readonly startTimeoutMs?: number;
}

/** An unordered pair of server ids, smaller first. */
export type Pair = readonly [number, number];

/** `[a, b]` with the smaller id first. */
export function pair(a: number, b: number): Pair {
  return a < b ? [a, b] : [b, a];
}

const pairKey = (a: number, b: number): string => {
  const [x, y] = pair(a, b);
  return `${x}-${y}`;
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Running servers and proxies. Create with {@link NatsTopology.start}. */
export class NatsTopology {
  /** Server ids. */
  readonly ids: readonly number[];
  readonly #servers: ReadonlyMap<number, NatsServer>;
  readonly #monitorPorts: ReadonlyMap<number, number>;
  /** Proxy of the route from server `from` to server `to`, keyed `from>to`. */
  readonly #proxies: ReadonlyMap<string, TcpProxy>;
  readonly #cut = new Set<string>();

  private constructor(
    ids: readonly number[],
    servers: ReadonlyMap<number, NatsServer>,
    monitorPorts: ReadonlyMap<number, number>,
    proxies: ReadonlyMap<string, TcpProxy>,
  ) {
    this.ids = ids;
    this.#servers = servers;
    this.#monitorPorts = monitorPorts;
    this.#proxies = proxies;
  }

  /**
   * Starts the proxies, then the servers (under the watchdog of
   * `@flexpaxos/transport-nats/testing`, so none outlives this process), and resolves once
   * every server has a route to every other.
   */
  static async start(options: TopologyOptions): Promise<NatsTopology> {
    // Ports are picked free and bound a moment later: another process (or a proxy of this one,
    // listening on an ephemeral port) may take one meanwhile. Start again on fresh ports then.
    for (let attempt = 1; ; attempt++) {
      try {
        return await NatsTopology.#startOnce(options);
      } catch (err) {
        const taken = err instanceof Error && /address already in use/i.test(err.message);
        if (!taken || attempt >= 4) throw err;
      }
    }
  }

  static async #startOnce(options: TopologyOptions): Promise<NatsTopology> {
    const { ids } = options;
    if (await canConnect(Number(NOWHERE.split(':')[1]))) {
      throw new Error(`something listens on ${NOWHERE}, which the topology advertises as nowhere`);
    }
    const name = options.clusterName ?? 'nemesis';
    // Every port picked up front and distinct (a proxy on an ephemeral port could otherwise
    // land on a port just picked for a server).
    const picked = new Set<number>();
    const pick = async (): Promise<number> => {
      for (;;) {
        const p = await freePort();
        if (!picked.has(p)) {
          picked.add(p);
          return p;
        }
      }
    };
    const clientPorts = new Map<number, number>();
    const routePorts = new Map<number, number>();
    const monitorPorts = new Map<number, number>();
    const proxyPorts = new Map<string, number>();
    for (const id of ids) {
      clientPorts.set(id, await pick());
      routePorts.set(id, await pick());
      monitorPorts.set(id, await pick());
      for (const to of ids) if (to !== id) proxyPorts.set(`${id}>${to}`, await pick());
    }
    const proxies = new Map<string, TcpProxy>();
    const servers = new Map<number, NatsServer>();
    const stopAll = async (): Promise<void> => {
      await Promise.all([...servers.values()].map((s) => s.stop({ kill: true })));
      await Promise.all([...proxies.values()].map((p) => p.close()));
    };
    try {
      for (const from of ids) {
        for (const to of ids) {
          if (from !== to) {
            const key = `${from}>${to}`;
            proxies.set(
              key,
              await TcpProxy.start(routePorts.get(to) as number, proxyPorts.get(key)),
            );
          }
        }
      }
      const started = await Promise.allSettled(
        ids.map((id) =>
          startNatsServer({
            port: clientPorts.get(id) as number,
            serverName: `${name}-${id}`,
            monitorPort: monitorPorts.get(id) as number,
            logFile: join(options.logDir, `nats-${id}.log`),
            watchdog: true,
            cluster: {
              name,
              port: routePorts.get(id) as number,
              routes: ids
                .filter((to) => to !== id)
                .map((to) => `nats-route://127.0.0.1:${proxies.get(`${id}>${to}`)?.port ?? 0}`),
              advertise: NOWHERE,
              noAdvertise: true,
            },
          }),
        ),
      );
      ids.forEach((id, i) => {
        const r = started[i];
        if (r?.status === 'fulfilled') servers.set(id, r.value);
      });
      const failed = started.find((r) => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      const topology = new NatsTopology(ids, servers, monitorPorts, proxies);
      // Each monitor port must be our own server's (not another process's).
      for (const id of ids) {
        const named = await topology.serverName(id);
        if (named !== `${name}-${id}`) {
          throw new Error(
            `nats-server ${id} is not the one answering on its ports (address already in use?): ${named ?? 'no answer'}`,
          );
        }
      }
      await topology.waitForRoutes(options.startTimeoutMs ?? 20_000);
      return topology;
    } catch (err) {
      await stopAll();
      throw err;
    }
  }

  /** Client URL of server `id`. */
  url(id: number): string {
    return this.server(id).url;
  }

  /** Server `id`. */
  server(id: number): NatsServer {
    const s = this.#servers.get(id);
    if (s === undefined) throw new Error(`no nats-server ${id}`);
    return s;
  }

  /** Whether the route between `a` and `b` is cut. */
  isCut(a: number, b: number): boolean {
    return this.#cut.has(pairKey(a, b));
  }

  /** The pairs cut now. */
  cutPairs(): Pair[] {
    return [...this.#cut].map((k) => {
      const [a, b] = k.split('-').map(Number);
      return [a as number, b as number] as const;
    });
  }

  /** Cuts exactly `pairs` (both proxies of each) and heals every other pair. */
  setCuts(pairs: Iterable<Pair>): void {
    const want = new Set<string>();
    for (const [a, b] of pairs) want.add(pairKey(a, b));
    for (const from of this.ids) {
      for (const to of this.ids) {
        if (from === to) continue;
        const proxy = this.#proxies.get(`${from}>${to}`);
        if (want.has(pairKey(from, to))) proxy?.cut();
        else proxy?.heal();
      }
    }
    this.#cut.clear();
    for (const k of want) this.#cut.add(k);
  }

  /** Heals every pair. */
  healAll(): void {
    this.setCuts([]);
  }

  /** Proxy connection counts, for tests. */
  proxyCounts(): { accepted: number; refused: number } {
    let accepted = 0;
    let refused = 0;
    for (const p of this.#proxies.values()) {
      accepted += p.counts.accepted;
      refused += p.counts.refused;
    }
    return { accepted, refused };
  }

  /**
   * The ids of the servers `id` has a route to, from its monitoring endpoint; undefined when
   * it does not answer.
   */
  async routedPeers(id: number): Promise<number[] | undefined> {
    const port = this.#monitorPorts.get(id);
    if (port === undefined || !this.server(id).running) return undefined;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/routez`, {
        signal: AbortSignal.timeout(1000),
      });
      const body = (await res.json()) as { routes?: { remote_id?: string }[] | null };
      const byServerId = await this.#serverIds();
      return (body.routes ?? [])
        .map((r) => byServerId.get(r.remote_id ?? ''))
        .filter((x): x is number => x !== undefined)
        .sort((a, b) => a - b);
    } catch {
      return undefined;
    }
  }

  /**
   * Resolves once every running server has a route to every running server it is not cut
   * from; throws after `timeoutMs`.
   */
  async waitForRoutes(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let missing = '';
    for (;;) {
      missing = '';
      for (const id of this.ids) {
        if (!this.server(id).running) continue;
        const want = this.ids.filter(
          (o) => o !== id && this.server(o).running && !this.isCut(id, o),
        );
        const have = (await this.routedPeers(id)) ?? [];
        const lack = want.filter((o) => !have.includes(o));
        if (lack.length > 0) missing += ` ${id}->{${lack.join(',')}}`;
      }
      if (missing === '') return;
      if (performance.now() > deadline) {
        throw new Error(`NATS routes not established within ${timeoutMs} ms:${missing}`);
      }
      await sleep(100);
    }
  }

  /** The `server_name` on server `id`'s monitoring port, or undefined when it does not answer. */
  async serverName(id: number): Promise<string | undefined> {
    const port = this.#monitorPorts.get(id);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/varz`, {
        signal: AbortSignal.timeout(2000),
      });
      return ((await res.json()) as { server_name?: string }).server_name;
    } catch {
      return undefined;
    }
  }

  /** Stops every server (SIGKILL) and closes every proxy. */
  async stop(): Promise<void> {
    await Promise.all([...this.#servers.values()].map((s) => s.stop({ kill: true })));
    await Promise.all([...this.#proxies.values()].map((p) => p.close()));
  }

  /** server_id (from `/varz`) -> our id, asked again each time: a restart changes the id. */
  async #serverIds(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    await Promise.all(
      this.ids.map(async (id) => {
        const port = this.#monitorPorts.get(id);
        if (port === undefined || !this.server(id).running) return;
        try {
          const res = await fetch(`http://127.0.0.1:${port}/varz`, {
            signal: AbortSignal.timeout(1000),
          });
          const body = (await res.json()) as { server_id?: string };
          if (body.server_id !== undefined) out.set(body.server_id, id);
        } catch {
          // not answering: no id
        }
      }),
    );
    return out;
  }
}
