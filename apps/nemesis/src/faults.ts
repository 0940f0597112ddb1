/**
 * The nemesis: injects faults into a running cluster from one seeded PRNG and undoes each
 * after a drawn duration, several at once (up to `--concurrent-faults`).
 *
 * | kind | what |
 * | --- | --- |
 * | `kill` | kill -9 of the leader or a random node, restarted after 0.2-3 s; one time in six every node at once, at the instant a write is acknowledged (one whose loss would show: no other write of its key in flight or of unknown outcome), the leader of the moment restarted last |
 * | `power` | power loss (`power-loss.ts`): kill -9 and the writes not yet durable dropped; three times in four of every node at once at such an acknowledgement (the leader of the moment restarted last), else of the leader or a random node |
 * | `pause` | SIGSTOP of the leader or a random node for longer than the lease (lease + 0.2-3 s), then SIGCONT: it wakes believing it still leads |
 * | `partition` | a shape of `partitions.ts` (isolate one node or the leader, majority/minority, pieces of L, L-1, P, P-1, bridge, flaky links), healed after 1-6 s |
 * | `nats` | kill -9 (or SIGTERM) of one nats-server, restarted after 0.5-4 s: its node and clients are cut off meanwhile |
 * | `skew` | restart of one node with a fast or slow clock, within the drift bound (2/3) or beyond it (1/3), for 4-10 s |
 * | `lease` | the lease nemesis of `lease-nemesis.ts` (needs the whole cluster; may run over a skewed clock) |
 *
 * Every iteration makes the same draws whatever the kind (a child PRNG per fault for the
 * details), so a seed always gives the same sequence of kinds, targets by role and durations.
 * Which node is "the leader" is found at run time, so a replay repeats the schedule, not the
 * interleaving.
 */
import type { Prng } from '@flexpaxos/sim';
import type { FaultKind, NemesisOptions } from './args.js';
import type { NemesisCluster } from './cluster.js';
import type { History, HistoryOp } from './history.js';
import { effectiveWrite, formatOp } from './checks/report.js';
import { runLeaseNemesis } from './lease-nemesis.js';
import type { NemesisNode, NodeClock } from './node-process.js';
import { drawLinks, drawPartition } from './partitions.js';
import { dropUnsyncedWal } from './power-loss.js';
import type { Workload } from './workload.js';

/** Faults injected, by kind. */
export type FaultCounts = Record<FaultKind, number>;

/** A period during which one node ran with a skewed clock. */
export interface SkewWindow {
  readonly node: number;
  readonly rate: number;
  /** Whether the rate breaks the drift bound (see {@link clockRateBounds}). */
  readonly beyond: boolean;
  readonly startMs: number;
  endMs: number | undefined;
}

/** What the nemesis works on. */
export interface NemesisContext {
  readonly cluster: NemesisCluster;
  readonly history: History;
  readonly workload: Workload;
  readonly options: NemesisOptions;
  /** A progress line (printed when verbose). */
  readonly log: (line: string) => void;
}

/**
 * The clock rates a node may run at against true time within the drift bound: over a lease
 * duration D, a clock at rate r differs from a true one by |r - 1| D (fast) or D (1/r - 1)
 * (slow), at most the bound d. (The others run true, and one node at a time is skewed.)
 */
export function clockRateBounds(leaseMs: number, driftMs: number): { slow: number; fast: number } {
  return { slow: leaseMs / (leaseMs + driftMs), fast: 1 + driftMs / leaseMs };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Active {
  readonly kind: FaultKind;
  /** Ends the fault now (idempotent). */
  readonly end: () => Promise<void>;
  readonly done: Promise<void>;
}

/** The fault scheduler. */
export class Nemesis {
  readonly counts: FaultCounts = {
    kill: 0,
    power: 0,
    pause: 0,
    partition: 0,
    nats: 0,
    skew: 0,
    lease: 0,
  };
  readonly skewWindows: SkewWindow[] = [];
  readonly #ctx: NemesisContext;
  readonly #random: Prng;
  readonly #active = new Set<Active>();
  /** Per-node serialization of start/stop/kill, so two faults never race on one process. */
  readonly #nodeLocks = new Map<number, Promise<unknown>>();
  #stopping = false;
  #wake: (() => void) | undefined;
  #armedKillAll: ((op?: HistoryOp) => void) | undefined;

  constructor(ctx: NemesisContext, random: Prng) {
    this.#ctx = ctx;
    this.#random = random;
    ctx.workload.onWriteAck((op, clean) => {
      if (clean && effectiveWrite(op) !== undefined) this.#armedKillAll?.(op);
    });
  }

  /** Total faults injected. */
  get total(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }

  /** Injects faults until `untilMs` (history time), then ends every active fault. */
  async run(untilMs: number): Promise<void> {
    const { options, history } = this.#ctx;
    const kinds = options.faults;
    for (let draw = 0; !this.#stopping && history.now() < untilMs; draw++) {
      const gap = Math.round(options.faultGapMs * (0.5 + this.#random.nextInt(1001) / 1000));
      const kind = kinds.length > 0 ? this.#random.pick(kinds) : undefined;
      const child = this.#random.child(`fault-${draw}`);
      await this.#sleep(Math.min(gap, Math.max(0, untilMs - history.now())));
      if (this.#stopping || history.now() >= untilMs || kind === undefined) continue;
      if (this.#active.size >= options.concurrentFaults) continue;
      await this.#inject(kind, child);
    }
    await this.stop();
  }

  /** Ends every active fault now. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await Promise.all([...this.#active].map((a) => a.end()));
    await Promise.all([...this.#active].map((a) => a.done));
  }

  async #sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
    this.#wake = undefined;
  }

  #say(kind: FaultKind, event: 'start' | 'end' | 'info', detail: string): void {
    this.#ctx.history.event(event, kind, detail);
    const t = (this.#ctx.history.now() / 1000).toFixed(1).padStart(6);
    this.#ctx.log(`[${t}s] ${event === 'end' ? 'heal ' : ''}${kind}: ${detail}`);
  }

  /** Runs `fn` on node `id` after every earlier operation on it. */
  #withNode<T>(id: number, fn: () => Promise<T>): Promise<T> {
    const prev = this.#nodeLocks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.#nodeLocks.set(
      id,
      next.catch(() => undefined),
    );
    return next;
  }

  /**
   * Registers a fault that lasts `durationMs` (or until the nemesis stops), ending it with
   * `undo`, which runs once. Returns the function that ends it early.
   */
  #hold(kind: FaultKind, durationMs: number, undo: () => Promise<void>): () => Promise<void> {
    let ended = false;
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((r) => (resolveDone = r));
    const end = async (): Promise<void> => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      try {
        await undo();
      } catch (err) {
        this.#say(kind, 'info', `undo failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      this.#active.delete(active);
      resolveDone();
    };
    const active: Active = { kind, end, done };
    this.#active.add(active);
    const timer = setTimeout(() => void end(), durationMs);
    return end;
  }

  #activeKinds(): Set<FaultKind> {
    return new Set([...this.#active].map((a) => a.kind));
  }

  async #inject(kind: FaultKind, r: Prng): Promise<void> {
    const c = this.#ctx.cluster;
    const o = this.#ctx.options;
    // The lease nemesis needs the cluster to itself.
    if (this.#activeKinds().has('lease')) return;
    const leader = await c.leader();
    const up = c.nodes.filter((n) => n.state === 'up');
    const pickNode = (
      preferLeader: boolean,
      among: readonly NemesisNode[],
    ): NemesisNode | undefined => {
      const l = among.find((n) => n.id === leader);
      if (preferLeader && l !== undefined) return l;
      return among.length === 0 ? undefined : r.pick(among);
    };
    const preferLeader = r.nextInt(2) === 0;
    switch (kind) {
      case 'kill':
      case 'power': {
        const power = kind === 'power';
        if (power ? r.nextInt(4) !== 0 : r.nextInt(6) === 0) {
          await this.#killAll(kind, r, leader);
          return;
        }
        const victim = pickNode(preferLeader, up);
        if (victim === undefined) return;
        const downMs = r.between(200, 3000);
        this.counts[kind]++;
        const role = victim.id === leader ? ' (leader)' : '';
        this.#say(
          kind,
          'start',
          `${power ? 'power loss of' : 'kill -9'} node ${victim.id}${role}, restart in ${downMs} ms`,
        );
        await this.#withNode(victim.id, async () => {
          await victim.kill();
          if (power) this.#powerLoss(victim);
        });
        this.#hold(kind, downMs, () => this.#restart(kind, victim));
        return;
      }
      case 'pause': {
        const victim = pickNode(preferLeader, up);
        if (victim === undefined) return;
        const ms = o.leaseMs + r.between(200, 3000);
        if (!victim.pause()) return;
        this.counts.pause++;
        const role = victim.id === leader ? ' (leader)' : '';
        this.#say(kind, 'start', `SIGSTOP node ${victim.id}${role} for ${ms} ms`);
        this.#hold(kind, ms, () => {
          if (victim.resume()) this.#say(kind, 'end', `SIGCONT node ${victim.id}`);
          return Promise.resolve();
        });
        return;
      }
      case 'partition': {
        const active = this.#activeKinds();
        if (active.has('partition') || active.has('lease')) return;
        const plan = drawPartition(c.ids, o.election, o.replication, r, leader);
        const ms = r.between(1000, 6000);
        this.counts.partition++;
        c.topology.setCuts(plan.cuts);
        this.#say(
          kind,
          'start',
          `${plan.description}${leader === undefined ? '' : ` (leader ${leader})`} for ${ms} ms`,
        );
        let flapping = plan.shape === 'links';
        const flap = async (): Promise<void> => {
          while (flapping) {
            await sleep(r.between(1000, 3000));
            if (!flapping) return;
            const links = drawLinks(c.ids, r);
            c.topology.setCuts(links.cuts);
            this.#say(kind, 'info', links.description);
          }
        };
        const flapped = flap();
        this.#hold(kind, ms, async () => {
          flapping = false;
          c.topology.healAll();
          await flapped;
          this.#say(kind, 'end', 'every route healed');
        });
        return;
      }
      case 'nats': {
        const running = c.ids.filter((id) => c.topology.server(id).running);
        if (running.length === 0) return;
        const id = r.pick(running);
        const kill = r.nextInt(2) === 0;
        const downMs = r.between(500, 4000);
        this.counts.nats++;
        this.#say(
          kind,
          'start',
          `${kill ? 'kill -9' : 'SIGTERM'} nats-server ${id}, restart in ${downMs} ms`,
        );
        await c.topology.server(id).stop({ kill, restartable: true });
        this.#hold(kind, downMs, async () => {
          await c.topology.server(id).restart();
          this.#say(kind, 'end', `nats-server ${id} restarted`);
        });
        return;
      }
      case 'skew': {
        if (this.#activeKinds().has('skew') || this.#activeKinds().has('lease')) return;
        const victim = pickNode(preferLeader, up);
        if (victim === undefined) return;
        const beyond = r.nextInt(3) === 0;
        const fast = r.nextInt(2) === 0;
        const { slow: slowest, fast: fastest } = clockRateBounds(o.leaseMs, o.driftMs);
        const f = 0.2 + r.nextInt(701) / 1000; // 0.2 .. 0.9 of the allowed deviation
        const rate = beyond
          ? fast
            ? 1.5 + r.nextInt(1501) / 1000
            : 0.3 + r.nextInt(301) / 1000
          : fast
            ? 1 + (fastest - 1) * f
            : 1 - (1 - slowest) * f;
        const clock: NodeClock = {
          rate: Math.round(rate * 10_000) / 10_000,
          offsetMs: r.between(0, 1_000_000_000),
        };
        const ms = r.between(4000, 10_000);
        this.counts.skew++;
        const window: SkewWindow = {
          node: victim.id,
          rate: clock.rate,
          beyond,
          startMs: this.#ctx.history.now(),
          endMs: undefined,
        };
        this.skewWindows.push(window);
        this.#say(
          kind,
          'start',
          `node ${victim.id}${victim.id === leader ? ' (leader)' : ''} restarted with clock rate ${clock.rate} (${beyond ? 'beyond' : 'within'} the drift bound: ${slowest.toFixed(3)}..${fastest.toFixed(3)}), offset ${clock.offsetMs} ms, for ${ms} ms`,
        );
        await this.#withNode(victim.id, async () => {
          await victim.stop();
          await victim.start(clock);
        }).catch((err: unknown) => this.#say(kind, 'info', `restart failed: ${String(err)}`));
        this.#hold(kind, ms, async () => {
          await this.#withNode(victim.id, async () => {
            await victim.stop();
            await victim.start();
          });
          window.endMs = this.#ctx.history.now();
          this.#say(kind, 'end', `node ${victim.id} restarted with the real clock`);
        });
        return;
      }
      case 'lease': {
        // Alone, but over a skewed clock (a running skew is a state, not an intervention).
        if ([...this.#active].some((a) => a.kind !== 'skew')) return;
        const attempt = runLeaseNemesis({
          onStart: () => this.counts.lease++,
          cluster: c,
          workload: this.#ctx.workload,
          options: o,
          random: r,
          say: (event, detail) => this.#say('lease', event, detail),
          withNode: (id, fn) => this.#withNode(id, fn),
        });
        const end = this.#hold('lease', 10 * 60_000, async () => {
          attempt.abort();
          await attempt.done;
        });
        void attempt.done.then(end);
        return;
      }
    }
  }

  /** Drops the writes node `node` had not made durable (it is down). */
  #powerLoss(node: NemesisNode): void {
    const report = dropUnsyncedWal(node.settings.dataDir);
    this.#say(
      'power',
      'info',
      `node ${node.id} lost ${report.droppedBatches} WAL records not yet durable (watermark ${report.watermark ?? 'none'})`,
    );
  }

  /**
   * kill -9 (or a power loss) of every node at the instant the next write is acknowledged
   * whose loss would show (no other write of its key in flight or of unknown outcome), or
   * after 2 s without one. The leader of the moment restarts last.
   */
  async #killAll(kind: 'kill' | 'power', r: Prng, leader: number | undefined): Promise<void> {
    const c = this.#ctx.cluster;
    const downMs = r.between(200, 2000);
    const powerLoss = kind === 'power';
    this.counts[kind]++;
    const trigger = await new Promise<HistoryOp | undefined>((resolve) => {
      const fire = (op?: HistoryOp): void => {
        this.#armedKillAll = undefined;
        clearTimeout(timer);
        for (const n of c.nodes) n.killNow();
        resolve(op);
      };
      const timer = setTimeout(fire, 2000);
      this.#armedKillAll = fire;
    });
    this.#say(
      kind,
      'start',
      `${powerLoss ? 'power loss of' : 'kill -9 of'} every node ${trigger === undefined ? '(no clean acknowledgement within 2 s)' : `at the acknowledgement of ${formatOp(trigger)}`}, restart in ${downMs} ms`,
    );
    await Promise.all(
      c.nodes.map((n) =>
        this.#withNode(n.id, async () => {
          await n.exited();
          if (powerLoss && n.state === 'down') this.#powerLoss(n);
        }),
      ),
    );
    // The old leader comes back last, after the others had time to elect a leader among
    // themselves: a new leader whose phase-1 quorum misses the old leader's log.
    this.#hold(kind, downMs, async () => {
      await Promise.all(c.nodes.filter((n) => n.id !== leader).map((n) => this.#restart(kind, n)));
      if (leader === undefined) return;
      if (!this.#stopping)
        await sleep(2 * this.#ctx.options.electionTimeoutMs + this.#ctx.options.leaseMs);
      await this.#restart(kind, c.node(leader));
    });
  }

  async #restart(kind: FaultKind, node: NemesisNode): Promise<void> {
    await this.#withNode(node.id, async () => {
      if (node.state !== 'down') return;
      const t0 = performance.now();
      await node.start(node.clock);
      this.#say(
        kind,
        'end',
        `node ${node.id} restarted (${Math.round(performance.now() - t0)} ms)`,
      );
    });
  }

  /**
   * After {@link stop}: heals every route, resumes paused nodes, restarts stopped
   * nats-servers and nodes (skewed ones with the real clock), and waits for every route.
   */
  async healAll(): Promise<void> {
    const c = this.#ctx.cluster;
    c.topology.healAll();
    for (const id of c.ids) {
      if (!c.topology.server(id).running) await c.topology.server(id).restart();
    }
    await Promise.all(
      c.nodes.map((n) =>
        this.#withNode(n.id, async () => {
          if (n.state === 'paused') n.resume();
          if (n.clock !== undefined) await n.stop();
          if (n.state === 'down') await n.start();
        }),
      ),
    );
    for (const w of this.skewWindows) w.endMs ??= this.#ctx.history.now();
    await c.topology.waitForRoutes(30_000);
  }
}
