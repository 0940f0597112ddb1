/**
 * The fault injector of the safety phase: crashes and restarts, quick bounces (a crash of a
 * follower restarted 1..3 ticks later, as a supervisor would, half the time timed just before
 * a Prepare reaches it: the case a restarted acceptor's lease wait exists for), pauses, and partitions of any shape, symmetric, one-way or bridge,
 * whose distinguished piece has exactly L, L - 1, P or P - 1 nodes (or a random size),
 * flaky networks where each directed link is cut at random, and on half the seeds the lease
 * nemesis (`tickNemesis`), which sets up the two-leases pattern on purpose.
 * Probabilities are integer ratios per tick.
 */
import type { SimCluster } from './cluster.js';
import { describePartition, type Partition, type PartitionKind } from './network.js';
import type { Prng, Ratio } from './prng.js';

/** Per-seed fault rates. */
export interface FaultConfig {
  readonly crash: Ratio;
  /** Quick crash-restart of a follower. */
  readonly bounce: Ratio;
  readonly pause: Ratio;
  readonly partition: Ratio;
  readonly maxDownTicks: number;
  readonly maxPauseTicks: number;
  readonly maxPartitionTicks: number;
  /**
   * Per-tick chance that an idle lease nemesis starts an attempt (see `FaultInjector`);
   * absent or never on most seeds.
   */
  readonly leaseNemesis?: Ratio | undefined;
}

/** Optional parts of a fault injector. */
export interface FaultInjectorExtras {
  /** Own PRNG of the lease nemesis, so it does not shift the other fault draws. */
  readonly nemesisRandom?: Prng | undefined;
  /** Told which node lease reads should go to during a nemesis window (undefined: anyone). */
  readonly onLeaseReadTarget?: ((id: number | undefined) => void) | undefined;
  /** Told which node writes should go to after a nemesis bounce (undefined: anyone). */
  readonly onWriteTarget?: ((id: number | undefined) => void) | undefined;
}

/** A running lease-nemesis attempt. */
interface NemesisAttempt {
  /** The leader holding a lease. */
  readonly x: number;
  /** X's side: cut from `cSide`, both ways. */
  readonly xSide: readonly number[];
  /** The candidates' side: cut from X, connected to the bridge. */
  readonly cSide: readonly number[];
  /** Bridge acceptors (granting X, seen by both sides), bounced before a Prepare. */
  readonly bridge: readonly number[];
  readonly bounced: Set<number>;
  /** Whether a bounce also cuts X -> bridge (else only the bridge's replies to X side). */
  readonly cutBoth: boolean;
  until: number;
}

/** Counters of injected faults. */
export interface FaultCounts {
  crashes: number;
  bounces: number;
  pauses: number;
  partitions: number;
  /** Lease-nemesis attempts started. */
  nemeses: number;
}

/**
 * Draws a partition of `members` whose first piece has a size among L, L-1, P, P-1 or random
 * (holding `leader` half the time, when given).
 */
export function drawPartition(
  members: readonly number[],
  election: number,
  replication: number,
  random: Prng,
  leader?: number,
): Partition | undefined {
  const n = members.length;
  if (n < 2) return undefined;
  const sizes = [election, election - 1, replication, replication - 1, random.between(1, n - 1)].filter(
    (k) => k >= 1 && k <= n - 1,
  );
  const k = random.pick(sizes);
  const shuffled = random.shuffle([...members]);
  // Half the time the distinguished piece holds the current leader.
  if (leader !== undefined && random.nextInt(2) === 0) {
    const at = shuffled.indexOf(leader);
    if (at >= 0) [shuffled[0], shuffled[at]] = [leader, shuffled[0] as number];
  }
  const first = shuffled.slice(0, k).sort((a, b) => a - b);
  const rest = shuffled.slice(k);
  const pieces: number[][] = [first];
  const kinds: PartitionKind[] = ['symmetric', 'symmetric', 'one-way-out', 'one-way-in', 'bridge', 'links'];
  const kind = random.pick(kinds);
  if (kind === 'links') return drawLinks(members, random);
  if (kind === 'bridge') {
    // Piece 0 and piece 1 cannot talk; piece 2 sees both (needs at least one node each).
    if (rest.length < 2) return { pieces: [first, rest.sort((a, b) => a - b)], kind: 'symmetric' };
    const cut = random.between(1, rest.length - 1);
    pieces.push(rest.slice(0, cut).sort((a, b) => a - b), rest.slice(cut).sort((a, b) => a - b));
    return { pieces, kind };
  }
  if (rest.length >= 2 && random.nextInt(3) === 0) {
    const cut = random.between(1, rest.length - 1);
    pieces.push(rest.slice(0, cut).sort((a, b) => a - b), rest.slice(cut).sort((a, b) => a - b));
  } else pieces.push(rest.sort((a, b) => a - b));
  return { pieces, kind };
}

/**
 * A flaky network: each directed link cut with probability 1/3 (at least one). The injector
 * draws a new cut set every 1..10 ticks while the partition lasts (links flap).
 */
export function drawLinks(members: readonly number[], random: Prng): Partition {
  const cut: [number, number][] = [];
  for (const a of members) for (const b of members) if (a !== b && random.nextInt(3) === 0) cut.push([a, b]);
  if (cut.length === 0) {
    const [a, b] = random.shuffle([...members]);
    cut.push([a as number, b as number]);
  }
  return { pieces: [[...members]], kind: 'links', cut };
}

/** Injects faults tick by tick and undoes them after random durations. */
export class FaultInjector {
  private readonly restartAt = new Map<number, number>();
  private readonly resumeAt = new Map<number, number>();
  private healAt = 0;
  private flapAt = 0;
  readonly counts: FaultCounts = { crashes: 0, bounces: 0, pauses: 0, partitions: 0, nemeses: 0 };
  private nemesis: NemesisAttempt | undefined;
  private nemesisNextAt = 0;
  private readonly extras: FaultInjectorExtras;
  readonly log: string[] = [];

  private readonly cluster: SimCluster;
  private readonly config: FaultConfig;
  private readonly random: Prng;
  private readonly verbose: boolean;

  constructor(cluster: SimCluster, config: FaultConfig, random: Prng, verbose: boolean, extras: FaultInjectorExtras = {}) {
    this.extras = extras;
    this.cluster = cluster;
    this.config = config;
    this.random = random;
    this.verbose = verbose;
  }

  /** One tick of the safety phase. */
  tick(now: number): void {
    const c = this.cluster;
    for (const [id, at] of this.restartAt) {
      if (at <= now) {
        this.restartAt.delete(id);
        c.restart(id);
      }
    }
    for (const [id, at] of this.resumeAt) {
      if (at <= now) {
        this.resumeAt.delete(id);
        c.resume(id);
      }
    }
    this.tickNemesis(now);
    if (this.nemesis === undefined && c.network.partition !== undefined && this.healAt <= now) c.network.setPartition(undefined);
    if (this.nemesis === undefined && c.network.partition?.kind === 'links' && this.flapAt <= now) {
      c.network.setPartition(drawLinks(c.members, this.random));
      this.flapAt = now + this.random.between(1, 10);
    }
    if (this.random.chance(this.config.crash)) {
      const up = c.nodes.filter((n) => n.up);
      if (up.length > 0) {
        // Half the crashes hit a leader, to force leader changes mid-flight.
        const leaders = this.random.nextInt(2) === 0 ? c.leaders() : [];
        const victim = leaders.length > 0 ? c.node(this.random.pick(leaders)) : this.random.pick(up);
        c.crash(victim.id);
        this.resumeAt.delete(victim.id);
        this.restartAt.set(victim.id, now + this.random.between(1, this.config.maxDownTicks));
        this.counts.crashes++;
        if (this.verbose) this.log.push(`t=${now} crash ${victim.id}`);
      }
    }
    if (this.random.chance(this.config.bounce)) {
      const leaders = new Set(c.leaders());
      const followers = c.nodes.filter((n) => n.up && !leaders.has(n.id));
      if (followers.length > 0) {
        // Targeted half the time: a follower with a Prepare on its way (due in 2..4 ticks) is
        // restarted just before it arrives. That is exactly when an acceptor that forgot the
        // lease it granted could promise a rival too early (the restart wait prevents it).
        const targeted = followers.filter((n) => c.network.upcoming('prepare', n.id, now + 2, now + 4).length > 0);
        const aim = targeted.length > 0 && this.random.nextInt(2) === 0;
        const victim = aim ? this.random.pick(targeted) : this.random.pick(followers);
        c.crash(victim.id);
        this.resumeAt.delete(victim.id);
        this.restartAt.set(victim.id, now + (aim ? 1 : this.random.between(1, 3)));
        // Composed with a GC pause of the leader half the time: a paused leader cannot hear
        // that its lease was undermined, so only the restart wait protects it.
        if (aim && this.random.nextInt(2) === 0) {
          for (const id of leaders) {
            if (c.node(id).paused) continue;
            c.pause(id);
            this.resumeAt.set(id, now + this.random.between(1, this.config.maxPauseTicks));
            this.counts.pauses++;
          }
        }
        this.counts.bounces++;
        if (this.verbose) this.log.push(`t=${now} bounce ${victim.id}`);
      }
    }
    if (this.random.chance(this.config.pause)) {
      const up = c.nodes.filter((n) => n.up && !n.paused);
      if (up.length > 0) {
        // Half the pauses hit a leader (a GC pause of the leader: the classic lease hazard).
        const leaders = this.random.nextInt(2) === 0 ? c.leaders().filter((id) => !c.node(id).paused) : [];
        const victim = leaders.length > 0 ? c.node(this.random.pick(leaders)) : this.random.pick(up);
        c.pause(victim.id);
        this.resumeAt.set(victim.id, now + this.random.between(1, this.config.maxPauseTicks));
        this.counts.pauses++;
      }
    }
    if (c.network.partition === undefined && this.random.chance(this.config.partition)) {
      const leaders = c.leaders();
      const p = drawPartition(c.members, c.config.election, c.config.replication, this.random, leaders[0]);
      if (p !== undefined) {
        c.network.setPartition(p);
        this.healAt = now + this.random.between(1, this.config.maxPartitionTicks);
        this.counts.partitions++;
        if (this.verbose) this.log.push(`t=${now} partition ${describePartition(p)}`);
      }
    }
  }

  /**
   * The lease nemesis: the failure pattern a leader lease must survive, aimed at on purpose.
   * When one leader X holds a lease (and no partition runs), it splits the others into X's side
   * (P - b nodes with X), a bridge of b acceptors granting X, and the candidates' side
   * (N - P nodes) and cuts X's side from the candidates' side both ways, so that X keeps its
   * lease through the bridge while the candidates' grants to X lapse and they campaign (the
   * candidates' side plus the bridge is an election and a replication quorum; X's side plus
   * the bridge a lease quorum). Each bridge acceptor is crashed and restarted just before a
   * candidate's Prepare reaches it, and from then on its replies no longer reach X's side
   * (half the time X's messages no longer reach it either). A restarted acceptor must wait out
   * the lease it may have granted; one that promises at once (`unsafeLease`) lets a candidate
   * win and take a lease while X still counts the bridge's grants from before the crash
   * (invariant 6), and serve lease reads from a stale state (invariant 5: lease reads go to X
   * during the attempt). The attempt ends an election timeout after the last bounce, or after
   * four election timeouts without one. Needs 2 <= P <= N - 1 and L >= 2.
   */
  private tickNemesis(now: number): void {
    const c = this.cluster;
    const random = this.extras.nemesisRandom;
    const rate = this.config.leaseNemesis;
    const timeout = c.config.electionTimeoutTicks + c.config.electionTimeoutJitterTicks;
    const n = this.nemesis;
    if (n !== undefined) {
      if (now >= n.until) {
        c.network.setPartition(undefined);
        this.nemesis = undefined;
        this.extras.onLeaseReadTarget?.(undefined);
        this.extras.onWriteTarget?.(undefined);
        if (random !== undefined) this.nemesisNextAt = now + random.between(timeout, 4 * timeout);
        if (this.verbose) this.log.push(`t=${now} lease nemesis ends`);
        return;
      }
      const cSide = new Set(n.cSide);
      let changed = false;
      for (const a of n.bridge) {
        if (n.bounced.has(a) || !c.node(a).up) continue;
        // Restarted now, the Prepare due next tick is the first thing it hears.
        const due = c.network.upcoming('prepare', a, now + 1, now + 1).filter((m) => cSide.has(m.from));
        if (due.length === 0) continue;
        c.crash(a);
        c.restart(a);
        this.restartAt.delete(a);
        this.resumeAt.delete(a);
        n.bounced.add(a);
        this.counts.bounces++;
        changed = true;
        n.until = now + timeout;
        // Writes go to the candidate, so one can commit under its lease while X serves reads.
        this.extras.onWriteTarget?.(due[0]?.from);
        if (this.verbose) this.log.push(`t=${now} lease nemesis bounces ${a} before a Prepare from ${due.map((m) => m.from).join(',')}`);
      }
      if (changed) c.network.setPartition(this.nemesisPartition(n));
      return;
    }
    if (random === undefined || rate === undefined || rate.num === 0 || now < this.nemesisNextAt) return;
    if (c.network.partition !== undefined || !random.chance(rate)) return;
    const { nodes, replication: p, election: l } = c.config;
    const leaders = c.leaders();
    const x = leaders[0];
    if (leaders.length !== 1 || x === undefined || c.node(x).paused || !c.holdsLease(x)) return;
    const bMin = Math.max(1, 2 * p - nodes, l - nodes + p);
    const bMax = p - 1;
    if (nodes - p < 1 || l < 2 || bMin > bMax) return;
    const b = random.between(bMin, bMax);
    const others = random.shuffle(c.members.filter((id) => id !== x));
    const bridge = others.slice(0, b).sort((u, v) => u - v);
    if (bridge.some((id) => !c.node(id).up || c.node(id).paused)) return;
    const xSide = [x, ...others.slice(b, p - 1)].sort((u, v) => u - v);
    const cSide = others.slice(p - 1).sort((u, v) => u - v);
    const attempt: NemesisAttempt = { x, xSide, cSide, bridge, bounced: new Set(), cutBoth: random.nextInt(2) === 0, until: now + 4 * timeout };
    this.nemesis = attempt;
    c.network.setPartition(this.nemesisPartition(attempt));
    this.extras.onLeaseReadTarget?.(x);
    this.counts.nemeses++;
    this.counts.partitions++;
    if (this.verbose) this.log.push(`t=${now} lease nemesis: leader ${x}, X side {${xSide.join(',')}}, bridge {${bridge.join(',')}}, candidates {${cSide.join(',')}}`);
  }

  private nemesisPartition(n: NemesisAttempt): Partition {
    const cut: [number, number][] = [];
    for (const u of n.xSide) {
      for (const v of n.cSide) cut.push([u, v], [v, u]);
      for (const a of n.bounced) {
        cut.push([a, u]);
        if (n.cutBoth) cut.push([u, a]);
      }
    }
    return { pieces: [[...this.cluster.members]], kind: 'links', cut };
  }

  /** Ends the safety phase: heals the network, resumes everyone, restarts all but `keepDown`. */
  stop(keepDown: ReadonlySet<number>): void {
    const c = this.cluster;
    this.nemesis = undefined;
    this.extras.onLeaseReadTarget?.(undefined);
    this.extras.onWriteTarget?.(undefined);
    c.network.setPartition(undefined);
    c.network.calm();
    for (const n of c.nodes) {
      if (keepDown.has(n.id)) c.crash(n.id);
      else if (!n.up) c.restart(n.id);
      else if (n.paused) c.resume(n.id);
    }
    this.restartAt.clear();
    this.resumeAt.clear();
  }
}
