/**
 * The lease nemesis: the failure pattern a leader lease must survive, aimed at on purpose with
 * real processes (the simulator's `tickNemesis`, `packages/sim/src/faults.ts`).
 *
 * 1. With one leader X holding its lease and every node up, split the others into X's side
 *    (P - b nodes with X), a bridge of b acceptors and the candidates' side (N - P nodes), and
 *    cut X's side from the candidates' side. X keeps its lease through the bridge; the
 *    candidates stop hearing X, and once their own grants to X run out they campaign. The
 *    bridge acceptors still grant X, so they refuse the candidates' Prepares.
 * 2. Watch the candidates' ballots (over HTTP) for a campaign. A refused candidate campaigns
 *    again one randomized election timeout later; the bridge acceptors are killed -9 so that
 *    X's old grants outlast that campaign and the bridge is back up for it (a node start ahead),
 *    X's side is cut from everyone, and the bridge is restarted at once. X still counts the grants the bridge gave before the crash,
 *    for up to one lease.
 * 3. A correct acceptor that restarts waits one lease duration before it promises anything
 *    (it forgot what it granted), so the candidates win only after X's lease has run out. An
 *    acceptor that promises at once (`--unsafe-lease-no-drift`, the core's `unsafeLease`) lets
 *    a candidate win, commit writes and serve them while X still answers lease reads from its
 *    old state: stale reads, which the checks report.
 *
 * Meanwhile clients on X's side read only (lease reads with a short deadline) and the others
 * keep writing, so that a stale read, if the lease breaks, is observed. The attempt ends a
 * lease and an election timeout after the bounce (X's old grants have run out by then), or
 * after four election timeouts without a campaign. Needs 2 <= P <= N - 1 and L >= 2. With the default timings
 * (lease 300 ms) a node restarts more slowly than a lease runs out and the attempt cannot
 * break even an unsafe lease; `--lease-ms 3000 --drift-ms 100 --election-timeout-ms 3200
 * --election-jitter-ms 200` gives it room (a lease longer than a restart, and a candidate that
 * campaigns again at a predictable time; see the README).
 */
import type { Prng } from '@flexpaxos/sim';
import type { NemesisOptions } from './args.js';
import type { NemesisCluster } from './cluster.js';
import { cutsBetween } from './partitions.js';
import type { Workload } from './workload.js';

/** What the lease nemesis needs from the scheduler. */
export interface LeaseNemesisContext {
  readonly cluster: NemesisCluster;
  readonly workload: Workload;
  readonly options: NemesisOptions;
  readonly random: Prng;
  readonly say: (event: 'start' | 'end' | 'info', detail: string) => void;
  /** Called when an attempt starts (it is not skipped). */
  readonly onStart: () => void;
  readonly withNode: <T>(id: number, fn: () => Promise<T>) => Promise<T>;
}

/** A running attempt. */
export interface LeaseNemesisRun {
  /** Resolves once the attempt is over and the network healed. */
  readonly done: Promise<void>;
  /** Ends the attempt early (heals at once). */
  abort(): void;
}

/** Starts one lease-nemesis attempt. */
export function runLeaseNemesis(ctx: LeaseNemesisContext): LeaseNemesisRun {
  let aborted = false;
  let wake: () => void = () => undefined;
  const sleep = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      if (aborted) {
        resolve();
        return;
      }
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  const done = attempt(ctx, sleep, () => aborted);
  return {
    done,
    abort() {
      aborted = true;
      wake();
    },
  };
}

async function attempt(
  ctx: LeaseNemesisContext,
  sleep: (ms: number) => Promise<void>,
  aborted: () => boolean,
): Promise<void> {
  const { cluster: c, options: o, random } = ctx;
  const n = o.nodes;
  const p = o.replication;
  const l = o.election;
  const bMin = Math.max(1, 2 * p - n, l - n + p);
  const bMax = p - 1;
  // The same draws whatever happens next.
  const b = bMin <= bMax ? random.between(bMin, bMax) : 0;
  const order = random.shuffle([...c.ids]);
  if (n - p < 1 || l < 2 || bMin > bMax) {
    ctx.say('info', `skipped: needs 2 <= P <= N - 1, L >= 2 (N=${n} P=${p} L=${l})`);
    return;
  }
  const statuses = await c.statuses();
  const leaders = [...statuses.values()].filter((s) => s.role === 'leader');
  const x = leaders[0];
  if (
    leaders.length !== 1 ||
    x === undefined ||
    x.leaseState?.servesReads !== true ||
    c.nodes.some((node) => node.state !== 'up')
  ) {
    ctx.say('info', 'skipped: needs every node up and one leader serving lease reads');
    return;
  }
  const others = order.filter((id) => id !== x.id);
  const bridge = others.slice(0, b).sort((u, v) => u - v);
  const xSide = [x.id, ...others.slice(b, p - 1)].sort((u, v) => u - v);
  const cSide = others.slice(p - 1).sort((u, v) => u - v);
  const electionMs = o.electionTimeoutMs;
  ctx.onStart();
  c.topology.setCuts(cutsBetween([xSide, cSide]));
  ctx.workload.setReadOnlyServers(new Set(xSide));
  ctx.say(
    'start',
    `leader ${x.id}: X side {${xSide.join(',')}}, bridge {${bridge.join(',')}}, candidates {${cSide.join(',')}}; X side cut from the candidates`,
  );
  try {
    // 2. Watch for a campaign of a candidate: its promised ballot becomes one of its own.
    const initial = new Map([...statuses].map(([id, s]) => [id, s.ballot]));
    const deadline = performance.now() + 4 * 2 * electionMs + o.leaseMs;
    let campaignAt: number | undefined;
    while (!aborted() && performance.now() < deadline && campaignAt === undefined) {
      await sleep(50);
      for (const id of cSide) {
        const s = await c.node(id).status(200);
        if (s === undefined) continue;
        const owner = Number(s.ballot.split('.')[1]);
        if (s.ballot !== initial.get(id) && owner === id) campaignAt = performance.now();
      }
    }
    if (aborted()) return;
    if (campaignAt === undefined) {
      ctx.say('info', 'no campaign seen: giving up');
      return;
    }
    ctx.say('info', 'a candidate campaigned (refused by the bridge while it grants X)');
    // The next campaign comes one randomized election timeout later (electionMs plus up to the
    // jitter). Bounce late enough that X's old grants outlast that campaign by some margin
    // (they run one lease from the bounce), and early enough that the bridge is back up for it.
    const startMs = Math.max(...bridge.map((id) => c.node(id).typicalStartMs ?? 500));
    const early = electionMs - o.leaseMs + o.electionJitterMs + 400;
    const late = electionMs - startMs - 100;
    const bounceAt = campaignAt + Math.max(0, Math.min(early, late));
    await sleep(Math.max(0, bounceAt - performance.now()));
    if (aborted()) return;
    for (const id of bridge) c.node(id).killNow();
    c.topology.setCuts(cutsBetween([xSide, [...bridge, ...cSide]]));
    ctx.say(
      'info',
      `bounce bridge {${bridge.join(',')}}: kill -9 and restart; X side now cut from everyone`,
    );
    await Promise.all(
      bridge.map((id) =>
        ctx.withNode(id, async () => {
          await c.node(id).exited();
          await c.node(id).start(c.node(id).clock);
        }),
      ),
    );
    // X's lease (from the bridge's grants before the crash) runs out within one lease.
    await sleep(o.leaseMs + electionMs);
  } finally {
    ctx.workload.setReadOnlyServers(new Set());
    c.topology.healAll();
    ctx.say('end', 'every route healed');
  }
}
