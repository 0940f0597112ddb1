/**
 * The double-fault scenario (`pnpm sim --scenario double-fault`): the known price of flexible
 * quorums, staged on purpose.
 *
 * 1. Warm-up: clients write against a stable leader.
 * 2. First fault: a partition that leaves no side a phase-1 quorum. The leader's side holds s
 *    voters with P <= s < L (the leader still writes) and the other side N - s < L.
 * 3. The partition holds: with automatic subsetting the leader changes the configuration to its
 *    side after the hold-down (`auto-subset.ts` of `@flexpaxos/paxos`).
 * 4. Second fault: the leader crashes, within an election timeout after its subset change is
 *    done, or `maxHoldTicks` after the partition when none happens (subsetting off or
 *    refused). Its side (s - 1 voters) can elect only if the configuration was subset;
 *    otherwise the cluster locks up until the partition heals. (A crash while the change is
 *    still under way can lock up too: the joint step needs the old configuration's phase-2
 *    quorum, which the survivors no longer have.)
 * 5. Variants (drawn per seed): none; `restart-removed`: a node of the other side crashes and
 *    restarts meanwhile (it must not disrupt); `second-partition`: after the crash the other
 *    side is cut in two as well.
 *
 * The scenario measures the ticks from the crash to the first acknowledged write; the normal
 * liveness phase (everything healed and restarted) and every invariant run as for any seed.
 */
import type { SimCluster } from './cluster.js';
import type { Prng } from './prng.js';
import type { Shape } from './simulation.js';

/** Variants of the scenario. */
export type DoubleFaultVariant = 'none' | 'restart-removed' | 'second-partition';

/** What the scenario did and saw in one seed. */
export interface DoubleFaultReport {
  readonly variant: DoubleFaultVariant;
  /** Voters on the leader's side of the partition. */
  readonly sideSize: number;
  /** Tick of the partition, of the leader's crash (undefined: no leader to crash). */
  readonly partitionAt: number | undefined;
  /** Tick the leader's subset change was seen done (undefined: none happened). */
  readonly subsetDoneAt: number | undefined;
  readonly crashAt: number | undefined;
  /** The crashed leader. */
  readonly leader: number | undefined;
  /** Ticks from the crash to the first acknowledged write, or undefined: locked up. */
  readonly recoveredAfterTicks: number | undefined;
}

/**
 * Shapes for the scenario: N=5 P=2 L=4 and N=6 P=3 L=4 half the time, else random with
 * 2 <= P, L + P > N and a side size s with max(P, N - L + 1) <= s <= L - 1 and s >= 3 (so a
 * subset of s voters survives one more failure).
 */
export function drawDoubleFaultShape(random: Prng): Shape {
  const fixed: Shape[] = [
    { nodes: 5, replication: 2, election: 4 },
    { nodes: 6, replication: 3, election: 4 },
  ];
  if (random.nextInt(2) === 0) return random.pick(fixed);
  for (;;) {
    const n = random.between(5, 9);
    const p = random.between(2, n - 2);
    const l = random.between(n - p + 1, n);
    if (sideSize(n, p, l) !== undefined) return { nodes: n, replication: p, election: l };
  }
}

/** The leader's side: the largest s with max(P, N - L + 1, 3) <= s <= L - 1, if any. */
export function sideSize(n: number, p: number, l: number): number | undefined {
  const s = l - 1;
  return s >= Math.max(p, n - l + 1, 3) ? s : undefined;
}

/** Drives the scenario over the safety phase of one seed. */
export class DoubleFaultScenario {
  readonly #c: SimCluster;
  readonly #random: Prng;
  readonly #shape: Shape;
  readonly #warmupTicks: number;
  readonly #holdTicks: number;
  readonly #variant: DoubleFaultVariant;
  #partitionAt: number | undefined;
  #crashAt: number | undefined;
  #leader: number | undefined;
  #side: number[] = [];
  #other: number[] = [];
  #restartAt: number | undefined;
  /** When the leader is to crash (set once its subset change is done, or at the latest hold). */
  #crashDue: number | undefined;
  #subsetDoneAt: number | undefined;

  readonly #electionTimeoutTicks: number;

  /**
   * `maxHoldTicks`: how long the partition holds before the crash when no subset change is
   * done; `electionTimeoutTicks`: the crash comes within one after a subset change is done.
   */
  constructor(c: SimCluster, shape: Shape, random: Prng, maxHoldTicks: number, electionTimeoutTicks: number) {
    this.#c = c;
    this.#shape = shape;
    this.#random = random;
    this.#warmupTicks = 100;
    this.#holdTicks = maxHoldTicks;
    this.#electionTimeoutTicks = electionTimeoutTicks;
    this.#variant = random.pick(['none', 'restart-removed', 'second-partition'] as const);
  }

  /** One tick of the safety phase. */
  tick(now: number): void {
    const c = this.#c;
    if (this.#partitionAt === undefined) {
      const leader = c.leaders()[0];
      if (now < this.#warmupTicks || leader === undefined) return;
      const s = sideSize(this.#shape.nodes, this.#shape.replication, this.#shape.election) ?? 0;
      const others = this.#random.shuffle(c.bootstrapVoters.filter((v) => v !== leader));
      this.#leader = leader;
      this.#side = [leader, ...others.slice(0, s - 1)];
      this.#other = others.slice(s - 1);
      c.network.setPartition({ pieces: [this.#side, this.#other], kind: 'symmetric' });
      this.#partitionAt = now;
      if (this.#variant === 'restart-removed') this.#restartAt = now + Math.floor(this.#holdTicks / 2);
      return;
    }
    if (this.#restartAt === now && this.#other[0] !== undefined) {
      c.crash(this.#other[0]);
      c.restart(this.#other[0]);
    }
    if (this.#crashAt === undefined && this.#crashDue === undefined) {
      const leader = this.#leader;
      const last = leader === undefined ? undefined : leaderLastChange(c, leader);
      if (last?.result === 'done' && last.reason.startsWith('auto-subset')) {
        this.#subsetDoneAt = now;
        this.#crashDue = now + this.#random.nextInt(this.#electionTimeoutTicks + 1);
      } else if (now >= this.#partitionAt + this.#holdTicks) {
        this.#crashDue = now;
      }
    }
    if (this.#crashAt === undefined && this.#crashDue !== undefined && now >= this.#crashDue) {
      const leader = this.#leader;
      if (leader !== undefined) c.crash(leader);
      this.#crashAt = now;
      if (this.#variant === 'second-partition' && this.#other.length >= 2) {
        const half = Math.ceil(this.#other.length / 2);
        c.network.setPartition({
          pieces: [this.#side, this.#other.slice(0, half), this.#other.slice(half)],
          kind: 'symmetric',
        });
      }
    }
  }

  /** The report at the end of the safety phase (`now`), from the acknowledgement times. */
  report(now: number): DoubleFaultReport {
    const crashAt = this.#crashAt;
    let first: number | undefined;
    if (crashAt !== undefined) {
      // Only writes first proposed after the crash: an older write answered late proves nothing.
      const checker = this.#c.checker;
      for (const [id, tick] of checker.acked) {
        const proposed = checker.proposedAt.get(id);
        if (proposed === undefined || proposed <= crashAt || tick > now) continue;
        if (first === undefined || tick < first) first = tick;
      }
    }
    return {
      variant: this.#variant,
      sideSize: this.#side.length,
      partitionAt: this.#partitionAt,
      subsetDoneAt: this.#subsetDoneAt,
      crashAt,
      leader: this.#leader,
      recoveredAfterTicks: crashAt === undefined || first === undefined ? undefined : first - crashAt,
    };
  }
}

/** How the last membership change of `leader`'s ballot ended, if it leads and one did. */
function leaderLastChange(c: SimCluster, leader: number): { result: string; reason: string } | undefined {
  const st = c.node(leader).replica?.status() as
    | { role?: string; config?: { lastChange?: { result: string; reason: string } } }
    | undefined;
  return st?.role === 'leader' ? st.config?.lastChange : undefined;
}
