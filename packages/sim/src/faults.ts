/**
 * The fault injector of the safety phase: crashes and restarts, quick bounces (a crash of a
 * follower restarted 1..3 ticks later, as a supervisor would, half the time timed just before
 * a Prepare reaches it: the case a restarted acceptor's lease wait exists for), pauses, and partitions of any shape, symmetric, one-way or bridge,
 * whose distinguished piece has exactly L, L - 1, P or P - 1 nodes (or a random size), and
 * flaky networks where each directed link is cut at random.
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
}

/** Counters of injected faults. */
export interface FaultCounts {
  crashes: number;
  bounces: number;
  pauses: number;
  partitions: number;
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
  readonly counts: FaultCounts = { crashes: 0, bounces: 0, pauses: 0, partitions: 0 };
  readonly log: string[] = [];

  private readonly cluster: SimCluster;
  private readonly config: FaultConfig;
  private readonly random: Prng;
  private readonly verbose: boolean;

  constructor(cluster: SimCluster, config: FaultConfig, random: Prng, verbose: boolean) {
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
    if (c.network.partition !== undefined && this.healAt <= now) c.network.setPartition(undefined);
    if (c.network.partition?.kind === 'links' && this.flapAt <= now) {
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

  /** Ends the safety phase: heals the network, resumes everyone, restarts all but `keepDown`. */
  stop(keepDown: ReadonlySet<number>): void {
    const c = this.cluster;
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
