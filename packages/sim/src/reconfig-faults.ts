/**
 * Reconfiguration as a fault (`pnpm sim --reconfig`, and a share of the default mix): during the
 * safety phase, at random ticks, the current leader is asked to add a node (a spare that never
 * joined, or one removed earlier), remove a voter, change P and L, set or clear a preferred
 * leader, or transfer leadership, all while crashes, partitions, pauses and message loss go on.
 * Most requests are refused (a change in progress, a leader that just lost its lease); that is
 * part of the test. The invariants are checked as for every seed, plus invariant 9.
 */
import type { ConfigState, Configuration, NodeId } from '@flexpaxos/paxos';
import type { SimCluster } from './cluster.js';
import type { Prng, Ratio } from './prng.js';

/** What the reconfiguration faults did in one seed. */
export interface ReconfigCounts {
  /** Membership or quorum changes the leader started. */
  started: number;
  /** Requests refused (busy, invalid, not leader, unchanged). */
  refused: number;
  /** Leadership transfers started. */
  transfers: number;
}

/** Per-tick chance of a request, and the cap on voters. */
export interface ReconfigFaultConfig {
  readonly rate: Ratio;
  readonly votersMax: number;
}

type Op = 'add' | 'remove' | 'quorum' | 'prefer' | 'transfer';
const OPS: readonly Op[] = ['add', 'add', 'add', 'remove', 'remove', 'remove', 'quorum', 'quorum', 'prefer', 'transfer', 'transfer'];

/** Drives random configuration changes at the leader of a simulated cluster. */
export class ReconfigFaults {
  readonly counts: ReconfigCounts = { started: 0, refused: 0, transfers: 0 };
  readonly log: string[] = [];
  readonly #cluster: SimCluster;
  readonly #random: Prng;
  readonly #config: ReconfigFaultConfig;
  readonly #verbose: boolean;

  constructor(cluster: SimCluster, config: ReconfigFaultConfig, random: Prng, verbose: boolean) {
    this.#cluster = cluster;
    this.#config = config;
    this.#random = random;
    this.#verbose = verbose;
  }

  /** One tick: maybe one request to the leader. */
  tick(now: number): void {
    if (!this.#random.chance(this.#config.rate)) return;
    const c = this.#cluster;
    const leader = c.leaders()[0];
    if (leader === undefined) return;
    const replica = c.node(leader).replica;
    if (replica?.changeConfig === undefined || replica.transferLeadership === undefined) return;
    const st = replica.status() as { config?: { latest?: ConfigState } };
    const latest = st.config?.latest;
    if (latest === undefined || latest.outgoing !== undefined || latest.incoming.quorum.kind !== 'counting') return;
    const current = latest.incoming;
    const op = this.#random.pick(OPS);
    if (op === 'transfer') {
      const voters = (current.quorum.kind === 'counting' ? current.quorum.voters : []).filter((v) => v !== leader);
      if (voters.length === 0) return;
      const to = this.#random.pick(voters);
      const r = replica.transferLeadership(to);
      if (r.kind === 'started') this.counts.transfers++;
      else this.counts.refused++;
      this.#note(now, `transfer ${leader} -> ${to}: ${r.kind}`);
      c.pump(c.node(leader));
      return;
    }
    const target = this.#target(op, current);
    if (target === undefined) return;
    const r = replica.changeConfig(target, `sim ${op}`);
    if (r.kind === 'started') this.counts.started++;
    else this.counts.refused++;
    this.#note(now, `${op} at leader ${leader} -> ${describe(target)}: ${r.kind}`);
    c.pump(c.node(leader));
  }

  /** The target configuration of `op`, or undefined when it makes no sense now. */
  #target(op: Exclude<Op, 'transfer'>, current: Configuration): Configuration | undefined {
    if (current.quorum.kind !== 'counting') return undefined;
    const voters = [...current.quorum.voters] as NodeId[];
    const p = current.quorum.replication;
    const members = this.#cluster.members as NodeId[];
    let next: NodeId[] = voters;
    switch (op) {
      case 'add': {
        const outside = members.filter((m) => !voters.includes(m));
        if (outside.length === 0 || voters.length >= this.#config.votersMax) return undefined;
        next = [...voters, this.#random.pick(outside)];
        break;
      }
      case 'remove': {
        if (voters.length <= 1) return undefined;
        const out = this.#random.pick(voters);
        next = voters.filter((v) => v !== out);
        break;
      }
      case 'quorum':
      case 'prefer':
        break;
    }
    next.sort((a, b) => a - b);
    const n = next.length;
    const replication =
      op === 'quorum' ? this.#random.between(1, n) : Math.min(p, n);
    const election =
      op === 'quorum' ? this.#random.between(n - replication + 1, n) : n - replication + 1;
    const learners = current.learners.filter((l) => !next.includes(l));
    const preferred: NodeId | undefined =
      op === 'prefer' ? (this.#random.nextInt(3) === 0 ? undefined : this.#random.pick(next)) : current.preferredLeader;
    return {
      quorum: { kind: 'counting', voters: next, replication, election },
      learners,
      ...(preferred === undefined || !next.includes(preferred) ? {} : { preferredLeader: preferred }),
    };
  }

  #note(now: number, line: string): void {
    if (this.#verbose) this.log.push(`t=${now} ${line}`);
  }
}

function describe(c: Configuration): string {
  const q = c.quorum;
  const base =
    q.kind === 'counting'
      ? `N=${q.voters.length} P=${q.replication} L=${q.election} [${q.voters.join(',')}]`
      : 'grid';
  return `${base}${c.learners.length > 0 ? ` learners [${c.learners.join(',')}]` : ''}${c.preferredLeader === undefined ? '' : ` preferred ${c.preferredLeader}`}`;
}
