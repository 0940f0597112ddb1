/**
 * Automatic subsetting after a double fault, and re-expansion afterwards.
 *
 * Flexible quorums have a known price (Howard, Malkhi, Spiegelman, "Flexible Paxos", arXiv
 * 1608.06696, §5): with L above a majority, a partition can leave no side able to elect. The
 * leader keeps writing while it reaches a phase-2 quorum, but if it then fails the cluster locks
 * up. So the leader watches which voters it hears from; when for `holdDownTicks` it reaches a
 * phase-2 quorum but no phase-1 quorum of the configuration in force, it changes the
 * configuration to the voters it reaches (N_new of them), with P_new = min(P, N_new − F) and
 * L_new = N_new − P_new + 1 (F = `faultToleranceMin`), through the ordinary joint change
 * (`reconfig.ts`). The new configuration remembers the quorum it was cut from (`restore`); once
 * all of those voters are reachable and caught up again, the leader changes back.
 *
 * ## Why it is safe
 *
 * 1. It is an ordinary configuration change: the joint entry is chosen by a phase-2 quorum of
 *    the old configuration (the leader reaches one) in the leader's ballot, the final entry by
 *    phase-2 quorums of both, and every later ballot needs phase-1 quorums along the chain
 *    (`configuration.ts`). No value chosen before can be lost.
 * 2. The removed voters cannot form a phase-1 quorum of any configuration they know: they are
 *    fewer than L (the leader reaches a phase-2 quorum, and L + P > N), and the joint
 *    configuration needs a phase-1 quorum of the old one too.
 * 3. Leases stay exclusive: the lease counts every configuration in force (`LeaderLease
 *    .setQuorums`), the old one included until the change is committed.
 * 4. A removed node that comes back cannot disrupt: acceptors drop its Prepares (it is no member
 *    of their newest configuration and knows fewer chosen slots) and send it the chosen log, so
 *    it learns it was removed; the leader keeps sending it heartbeats, so it catches up, and it
 *    rejoins through the re-expansion change (learner first).
 * 5. The pipeline is drained before the joint entry (`reconfig.ts`), so no slot below it is left
 *    for the unreachable old configuration alone to decide.
 *
 * ## When it refuses
 *
 * - fewer than `votersMin` voters reachable, or the subset could not lose `faultToleranceMin`
 *   voters and keep both quorums (a subset that one more failure locks up buys nothing);
 * - a grid quorum system (no obvious subset keeps its shape);
 * - a change is in progress, or a joint configuration is in force;
 * - the leader still reaches a phase-1 quorum (nothing to fix), or has not seen the situation
 *   last for `holdDownTicks` (a short partition heals by itself).
 *
 * A removed node cannot hold the only copy of a chosen value the subset needs: every value
 * chosen so far is known to the leader (it recovered everything chosen before its election and
 * chose everything since), and the drain commits everything it proposed before the joint entry.
 */
import type { QuorumSpec } from '@flexpaxos/quorum';
import { LEARNER_CATCH_UP_SLOTS_DEFAULT } from './config.js';
import { configVoters, type Configuration } from './configuration.js';
import type { ReplicaContext } from './context.js';
import type { Inflight } from './inflight.js';
import type { LeaderMembership } from './membership.js';
import type { NodeId } from './types.js';

/** Settings of automatic subsetting (`ReplicaConfig.autoSubset`). */
export interface AutoSubsetConfig {
  /** Default true: on. */
  readonly enabled?: boolean;
  /** How long the leader must reach a phase-2 but no phase-1 quorum first (default 3 election timeouts). */
  readonly holdDownTicks?: number;
  /** The fewest voters a subset may have (default 3). */
  readonly votersMin?: number;
  /** Voter failures the subset must still survive with both quorums available (default 1). */
  readonly faultToleranceMin?: number;
}

/** Defaults of `AutoSubsetConfig`. */
export const AUTO_SUBSET_DEFAULTS = {
  enabled: true,
  holdDownElections: 3,
  votersMin: 3,
  faultToleranceMin: 1,
} as const;

/** What automatic subsetting is doing (`status().config.autoSubset`). */
export interface AutoSubsetStatus {
  readonly state: 'off' | 'idle' | 'holding-down' | 'refused';
  /** For `holding-down`: since which tick; for `refused`: why. */
  readonly detail: string | undefined;
}

/** The automatic subsetting of one leader ballot. */
export class AutoSubset {
  readonly #ctx: ReplicaContext;
  readonly #members: LeaderMembership;
  readonly #inflight: Inflight;
  #since: number | undefined;
  #status: AutoSubsetStatus;

  constructor(ctx: ReplicaContext, members: LeaderMembership, inflight: Inflight) {
    this.#ctx = ctx;
    this.#members = members;
    this.#inflight = inflight;
    this.#status = { state: this.#enabled ? 'idle' : 'off', detail: undefined };
  }

  /** What it is doing now. */
  get status(): AutoSubsetStatus {
    return this.#status;
  }

  get #enabled(): boolean {
    return this.#ctx.config.autoSubset?.enabled ?? AUTO_SUBSET_DEFAULTS.enabled;
  }

  /** One tick of the leader: re-expand, or watch for the double-fault situation. */
  tick(): void {
    if (!this.#enabled) {
      return;
    }
    const members = this.#members;
    const force = members.inForce();
    const latest = force[force.length - 1];
    if (
      force.length > 1 ||
      latest === undefined ||
      latest.outgoing !== undefined ||
      members.changer.pending !== undefined
    ) {
      this.#since = undefined;
      return;
    }
    const current = latest.incoming;
    if (current.restore !== undefined) {
      this.#maybeReexpand(current, current.restore);
    }
    const reachable = this.#reachable(current);
    const quorum = this.#ctx.quorumOf(latest);
    if (!quorum.isPhase2Quorum(reachable) || quorum.isPhase1Quorum(reachable)) {
      this.#since = undefined;
      if (this.#status.state === 'holding-down') {
        this.#status = { state: 'idle', detail: undefined };
      }
      return;
    }
    const ctx = this.#ctx;
    this.#since ??= ctx.ticks;
    const holdDown =
      ctx.config.autoSubset?.holdDownTicks ??
      AUTO_SUBSET_DEFAULTS.holdDownElections * ctx.config.electionTimeoutTicks;
    if (ctx.ticks - this.#since < holdDown) {
      this.#status = { state: 'holding-down', detail: `since tick ${this.#since}` };
      return;
    }
    this.#trySubset(current, reachable);
  }

  /** Voters of `c` heard within an election timeout, and this leader. */
  #reachable(c: Configuration): Set<number> {
    const ctx = this.#ctx;
    const recent = (v: number): boolean =>
      v === ctx.id || ctx.ticks - this.#inflight.lastAckTick(v) <= ctx.config.electionTimeoutTicks;
    return new Set(configVoters(c).filter(recent));
  }

  #trySubset(current: Configuration, reachable: Set<number>): void {
    const cfg = this.#ctx.config.autoSubset;
    const votersMin = cfg?.votersMin ?? AUTO_SUBSET_DEFAULTS.votersMin;
    const faultMin = cfg?.faultToleranceMin ?? AUTO_SUBSET_DEFAULTS.faultToleranceMin;
    const q = current.quorum;
    if (q.kind !== 'counting') {
      this.#refuse('grid quorum systems are not subset automatically');
      return;
    }
    const voters = [...reachable].sort((a, b) => a - b) as NodeId[];
    const n = voters.length;
    const replication = Math.min(q.replication, n - faultMin);
    const election = n - replication + 1;
    if (n < votersMin) {
      this.#refuse(`only ${n} voters reachable, fewer than votersMin ${votersMin}`);
      return;
    }
    if (replication < 1 || n - Math.max(replication, election) < faultMin) {
      this.#refuse(
        `a subset of ${n} voters could not survive ${faultMin} more failure(s) (faultToleranceMin)`,
      );
      return;
    }
    const unreachable = configVoters(current).filter((v) => !reachable.has(v));
    const target: Configuration = {
      quorum: { kind: 'counting', voters, replication, election },
      learners: current.learners.filter((l) => !reachable.has(l)),
      ...(current.preferredLeader !== undefined && reachable.has(current.preferredLeader)
        ? { preferredLeader: current.preferredLeader }
        : {}),
      restore: current.restore ?? q,
    };
    const reason =
      `auto-subset: reached a phase-2 but no phase-1 quorum of N=${q.voters.length} P=${q.replication} L=${q.election} ` +
      `for ${this.#ctx.ticks - (this.#since ?? this.#ctx.ticks)} ticks; unreachable [${unreachable.join(',')}]`;
    const r = this.#members.changer.start(target, reason);
    if (r.kind === 'started') {
      this.#since = undefined;
      this.#status = { state: 'idle', detail: undefined };
    } else {
      this.#refuse(`change refused: ${r.kind}`);
    }
  }

  /** All voters of `restore` reachable and caught up: change back to it. */
  #maybeReexpand(current: Configuration, restore: QuorumSpec): void {
    const ctx = this.#ctx;
    const slack = ctx.config.learnerCatchUpSlotsMax ?? LEARNER_CATCH_UP_SLOTS_DEFAULT;
    const peers = new Map(this.#members.peers().map((p) => [p.id as number, p]));
    const wanted = restore.kind === 'counting' ? restore.voters : [];
    const ready = wanted.every((v) => {
      if (v === ctx.id) {
        return true;
      }
      const p = peers.get(v);
      const recent =
        ctx.ticks - this.#inflight.lastAckTick(v) <= ctx.config.heartbeatIntervalTicks * 2;
      return recent && p?.committed !== undefined && p.committed >= ctx.log.committed - slack;
    });
    if (!ready) {
      return;
    }
    const target: Configuration = {
      quorum: restore,
      learners: current.learners.filter((l) => !wanted.includes(l)),
      ...(current.preferredLeader === undefined
        ? {}
        : { preferredLeader: current.preferredLeader }),
    };
    this.#members.changer.start(
      target,
      `auto re-expansion: voters [${wanted.join(',')}] reachable and caught up again`,
    );
  }

  #refuse(detail: string): void {
    this.#status = { state: 'refused', detail };
  }
}
