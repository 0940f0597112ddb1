/**
 * Cluster configurations as replicated state: who votes, who only learns, the quorum sizes and
 * an optional preferred leader. A configuration lives in the log as a slot value of kind
 * `config`; the first one bootstraps the cluster.
 *
 * ## Which configuration governs which slot
 *
 * Rule: the configuration in force for slot s is the one in the highest `config` entry at a
 * slot below s (the bootstrap configuration when there is none). A leader proposes at most one
 * configuration entry that is not yet committed, and proposes nothing above it until it is
 * committed. So a pipelined window never mixes configurations it cannot know: every slot above a
 * configuration entry is proposed after that entry is chosen.
 *
 * ## Why phase 1 of a later ballot meets every phase-2 quorum that could have chosen a value
 *
 * A candidate that knows every slot up to c chosen starts from the configuration in force for
 * c + 1 and needs a phase-1 quorum of it. The promises report, for every slot above c, the
 * accepted value of the highest ballot; where that value is a configuration, the slots above it
 * are governed by it, so the candidate also needs a phase-1 quorum of that configuration, and so
 * on along the chain (`Candidate`, "chain rule"). By induction over the slots: the value in
 * force for slot s was chosen (it sits below s and nothing is proposed above a configuration
 * entry before it is chosen), the candidate holds a phase-1 quorum of the configuration that
 * governed s, which meets the phase-2 quorum of that configuration that chose anything at s
 * (Flexible Paxos, Howard, Malkhi, Spiegelman, arXiv 1608.06696, §3), so the highest reported
 * value at s is the chosen one (Lamport, "Paxos Made Simple", §2.2) and the chain the candidate
 * computes is the true one. This is the per-slot configuration of Lamport, Malkhi and Zhou,
 * "Vertical Paxos and Primary-Backup Replication" (PODC 2009), applied inside Multi-Paxos.
 *
 * ## The joint step
 *
 * A change from C_old to C_new passes through a joint configuration (`outgoing` C_old,
 * `incoming` C_new) in which a phase-1 and a phase-2 quorum must each be a quorum of both (Raft's
 * joint consensus, Ongaro's thesis §4.3; `jointQuorum` of `@flexpaxos/quorum`), and then C_new
 * alone. Adding a voter first adds it as a learner and promotes it only once it has caught up,
 * so the joint step never waits for a node that is far behind.
 *
 * ## Leases across a change
 *
 * A new ballot must win phase 1 in the configuration committed at the leader or in the one the
 * leader proposed last (whichever its chain reaches first), so a lease, and a quorum read, count
 * only when the grants meet every phase-1 quorum of both (`LeaderLease.setQuorums`).
 */
import {
  describeQuorumSpec,
  jointQuorum,
  quorumFromSpec,
  quorumSpecsEqual,
  specVoters,
  validateQuorumSpec,
  type QuorumSpec,
  type QuorumSystem,
} from '@flexpaxos/quorum';
import type { NodeId } from './types.js';

/** One configuration: voters and quorum sizes (a `QuorumSpec`), learners, a preferred leader. */
export interface Configuration {
  /** The voters and the quorum system over them. */
  readonly quorum: QuorumSpec;
  /** Nodes that receive the log and apply it but do not vote; disjoint from the voters. */
  readonly learners: readonly NodeId[];
  /** A voter the cluster moves leadership to when it is healthy and caught up. */
  readonly preferredLeader?: NodeId;
  /**
   * Set by automatic subsetting (`auto-subset.ts`): the quorum this configuration was cut down
   * from. Once all of its voters are reachable and caught up again, the leader changes back to
   * it. An operator's change clears it (unless the target keeps it).
   */
  readonly restore?: QuorumSpec;
}

/**
 * The configuration in force for a slot: `incoming` alone, or, during the joint step of a
 * change, `outgoing` and `incoming` together (every quorum must be a quorum of both).
 */
export interface ConfigState {
  readonly incoming: Configuration;
  readonly outgoing?: Configuration;
}

/** One problem with a configuration: the field and the rule it breaks. */
export interface ConfigurationProblem {
  readonly field: string;
  readonly rule: string;
}

/** The voters of `c`, ascending. */
export function configVoters(c: Configuration): NodeId[] {
  return specVoters(c.quorum) as NodeId[];
}

/** Every voter of `s` (both configurations during a joint step), ascending. */
export function stateVoters(s: ConfigState): NodeId[] {
  const ids = new Set<number>(configVoters(s.incoming));
  if (s.outgoing !== undefined) {
    for (const v of configVoters(s.outgoing)) ids.add(v);
  }
  return [...ids].sort((a, b) => a - b) as NodeId[];
}

/** Every node `s` sends the log to: its voters and learners, ascending. */
export function stateMembers(s: ConfigState): NodeId[] {
  const ids = new Set<number>(stateVoters(s));
  for (const l of s.incoming.learners) ids.add(l);
  for (const l of s.outgoing?.learners ?? []) ids.add(l);
  return [...ids].sort((a, b) => a - b) as NodeId[];
}

/** Whether `id` votes in `s`. */
export function isVoterIn(s: ConfigState, id: number): boolean {
  return stateVoters(s).includes(id as NodeId);
}

/**
 * Every problem with `c` (empty when valid): the quorum spec's own problems (for counting
 * quorums the same messages as at start-up, e.g. `P=2 and L=3 do not intersect for N=5: need
 * L + P > N`), learners that are not positive safe integers, repeated or also voters, and a
 * preferred leader that is not a voter. `field` prefixes every field name. `checkQuorum: false`
 * skips the quorum rules (a host that injects its own `QuorumFactory` answers for them).
 */
export function validateConfiguration(
  c: Configuration,
  field = 'config',
  checkQuorum = true,
): ConfigurationProblem[] {
  const problems: ConfigurationProblem[] = [];
  if (typeof c !== 'object' || c === null || typeof c.quorum !== 'object' || c.quorum === null) {
    return [{ field, rule: 'must be an object with a quorum spec' }];
  }
  const quorumProblems = checkQuorum ? validateQuorumSpec(c.quorum) : [];
  for (const p of quorumProblems) {
    problems.push({ field: `${field}.quorum.${p.field}`, rule: p.message });
  }
  const voters = new Set<number>(quorumProblems.length === 0 ? specVoters(c.quorum) : []);
  if (!Array.isArray(c.learners)) {
    problems.push({ field: `${field}.learners`, rule: 'must be an array of node ids' });
  } else {
    const seen = new Set<number>();
    for (const l of c.learners as readonly unknown[]) {
      if (typeof l !== 'number' || !Number.isSafeInteger(l) || l < 1) {
        problems.push({
          field: `${field}.learners`,
          rule: `every learner must be a positive safe integer (got ${String(l)})`,
        });
      } else if (seen.has(l)) {
        problems.push({ field: `${field}.learners`, rule: `must not repeat ${l}` });
      } else if (voters.has(l)) {
        problems.push({ field: `${field}.learners`, rule: `node ${l} is a voter, not a learner` });
      } else {
        seen.add(l);
      }
    }
  }
  if (c.restore !== undefined) {
    for (const p of checkQuorum ? validateQuorumSpec(c.restore) : []) {
      problems.push({ field: `${field}.restore.${p.field}`, rule: p.message });
    }
  }
  const preferred = c.preferredLeader;
  if (preferred !== undefined && !voters.has(preferred)) {
    problems.push({
      field: `${field}.preferredLeader`,
      rule: `node ${String(preferred)} is not a voter of the configuration`,
    });
  }
  return problems;
}

/** Whether two configurations are the same (quorum, learners as sets, preferred leader). */
export function configurationsEqual(a: Configuration, b: Configuration): boolean {
  const la = [...a.learners].sort((x, y) => x - y);
  const lb = [...b.learners].sort((x, y) => x - y);
  const restoreEqual =
    a.restore === undefined || b.restore === undefined
      ? a.restore === b.restore
      : quorumSpecsEqual(a.restore, b.restore);
  return (
    quorumSpecsEqual(a.quorum, b.quorum) &&
    la.length === lb.length &&
    la.every((v, i) => v === lb[i]) &&
    a.preferredLeader === b.preferredLeader &&
    restoreEqual
  );
}

/** A short description: `N=3 P=2 L=2 [1,2,3] learners [4]`, or `joint(old | new)`. */
export function describeConfigState(s: ConfigState): string {
  const one = (c: Configuration): string =>
    `${describeQuorumSpec(c.quorum)}${c.learners.length > 0 ? ` learners [${[...c.learners].sort((x, y) => x - y).join(',')}]` : ''}${c.preferredLeader === undefined ? '' : ` preferred ${c.preferredLeader}`}${c.restore === undefined ? '' : ` subset of ${describeQuorumSpec(c.restore)}`}`;
  return s.outgoing === undefined
    ? one(s.incoming)
    : `joint(${one(s.outgoing)} | ${one(s.incoming)})`;
}

/** Builds a quorum system from a spec (injectable: the simulator's `--unsafe-quorum`). */
export type QuorumFactory = (spec: QuorumSpec) => QuorumSystem;

/** The quorum systems of configurations, built once per configuration object. */
export class QuorumCache {
  readonly #factory: QuorumFactory;
  readonly #single = new WeakMap<Configuration, QuorumSystem>();
  readonly #joint = new WeakMap<ConfigState, QuorumSystem>();

  constructor(factory: QuorumFactory = quorumFromSpec) {
    this.#factory = factory;
  }

  /** The quorum system of one configuration. */
  ofConfig(c: Configuration): QuorumSystem {
    let q = this.#single.get(c);
    if (q === undefined) {
      q = this.#factory(c.quorum);
      this.#single.set(c, q);
    }
    return q;
  }

  /**
   * The quorum system of `s` for phase 2: during a joint step a quorum of both configurations
   * (`jointQuorum`), else the one configuration's.
   */
  of(s: ConfigState): QuorumSystem {
    if (s.outgoing === undefined) {
      return this.ofConfig(s.incoming);
    }
    let q = this.#joint.get(s);
    if (q === undefined) {
      q = jointQuorum(this.ofConfig(s.outgoing), this.ofConfig(s.incoming));
      this.#joint.set(s, q);
    }
    return q;
  }

  /** The quorum systems `s` is made of: the outgoing one first during a joint step. */
  components(s: ConfigState): QuorumSystem[] {
    return s.outgoing === undefined
      ? [this.ofConfig(s.incoming)]
      : [this.ofConfig(s.outgoing), this.ofConfig(s.incoming)];
  }
}
