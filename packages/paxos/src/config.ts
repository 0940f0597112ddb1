/**
 * Replica configuration and its validation. `validateReplicaConfig` returns every problem
 * (field and rule) instead of throwing on the first, in the spirit of raft-rs `validate()`.
 */
import { validateLeaseConfig } from '@flexpaxos/lease';
import type { AutoSubsetConfig } from './auto-subset.js';
import {
  configVoters,
  validateConfiguration,
  type Configuration,
  type QuorumFactory,
} from './configuration.js';
import type { NodeId, RandomSource } from './types.js';

/** Default of `ReplicaConfig.learnerCatchUpSlotsMax`. */
export const LEARNER_CATCH_UP_SLOTS_DEFAULT = 64;
/** Default of `ReplicaConfig.learnerCatchUpTimeoutTicks`, in election timeouts. */
export const LEARNER_CATCH_UP_TIMEOUT_ELECTIONS = 50;

/**
 * An injected monotonic clock (milliseconds, for example `performance.now()` in a host, a
 * simulated clock in the simulator). The core never reads a real clock; it reads this one only
 * when leases are configured. Readings must never decrease within one `Replica` object.
 */
export interface MonotonicClock {
  /** The current reading in milliseconds. */
  nowMs(): number;
}

/**
 * Leader leases (design brief, "Leader lease"; rules and safety argument in
 * `packages/lease/README.md`). Optional: without it the replica grants and holds no lease and
 * refuses lease reads with `'no-lease'`; everything else behaves exactly as without leases.
 */
export interface ReplicaLeaseConfig {
  /** This node's monotonic clock. */
  readonly clock: MonotonicClock;
  /** How long an acceptor's grant runs on its own clock after it acknowledges the leader. */
  readonly leaseDurationMs: number;
  /** The clock assumption's bound (see `@flexpaxos/lease` `LeaseConfig`). */
  readonly clockDriftBoundMs: number;
  /**
   * `electionTimeoutTicks` times the host's tick length in ms. Used for validation
   * (`leaseDurationMs + clockDriftBoundMs < electionTimeoutMs`).
   */
  readonly electionTimeoutMs: number;
  /**
   * UNSAFE, fault injection only (simulator `--unsafe-lease`): the leader ignores the drift
   * bound and a restarted acceptor promises at once.
   */
  readonly unsafeLease?: boolean;
}

/** Everything a `Replica` needs besides its recovered state. */
export interface ReplicaConfig {
  /** This node's id. */
  readonly id: NodeId;
  /**
   * The configuration a new cluster starts from (its voters and quorum sizes, its learners);
   * this node must be one of its voters or learners. Used only when the recovered state has no
   * configuration (the first start); the replica persists it with its first ready, so a
   * restart needs none. Absent for a node that joins a running cluster: it waits, voting for
   * nobody, until a leader adds it (as a learner) and sends it the log.
   */
  readonly bootstrap?: Configuration;
  /**
   * Builds quorum systems from the configurations' specs. Default `quorumFromSpec` of
   * `@flexpaxos/quorum`; the simulator injects a deliberately unsafe one to prove its checkers.
   */
  readonly quorumFactory?: QuorumFactory;
  /**
   * A learner is promoted to voter only once its committed index is within this many slots of
   * the leader's (so adding a node never stalls writes). Default 64.
   */
  readonly learnerCatchUpSlotsMax?: number;
  /**
   * A membership change still waiting for a learner to catch up after this many ticks is
   * abandoned (the learner stays a learner). Default 50 election timeouts.
   */
  readonly learnerCatchUpTimeoutTicks?: number;
  /**
   * UNSAFE, fault injection only (simulator `--unsafe-reconfig`): a membership change switches
   * from the old configuration to the new one directly, without the joint step, takes effect
   * for the slots after its entry at once (the leader keeps proposing past it), and a candidate
   * runs phase 1 against the newest configuration in its own log only, ignoring the chain. It
   * exists to prove that the simulator catches an unsafe reconfiguration.
   */
  readonly unsafeReconfig?: boolean;
  /** Automatic subsetting after a double fault (`auto-subset.ts`); on by default. */
  readonly autoSubset?: AutoSubsetConfig;
  /** Ticks without word from a leader before a follower campaigns (lower bound T). */
  readonly electionTimeoutTicks: number;
  /** The timeout is drawn uniformly from [T, T + J) for every election; 0 means exactly T. */
  readonly electionTimeoutJitterTicks: number;
  /** A leader sends heartbeats (and re-sends unacknowledged Accepts) this often. */
  readonly heartbeatIntervalTicks: number;
  /** At most this many client commands go into one slot. */
  readonly batchCommandsMax: number;
  /**
   * At most this many command bytes go into one slot (and into one Accept / Chosen message).
   * A single command larger than this still gets a slot of its own.
   */
  readonly batchBytesMax: number;
  /** At most this many slots proposed by the leader and not yet committed (pipelining window). */
  readonly inflightSlotsMax: number;
  /** Thrifty phase 2: send Accept only to a phase-2 quorum that includes the leader. */
  readonly thrifty: boolean;
  /** The only source of randomness (election timeouts, backoff). */
  readonly random: RandomSource;
  /**
   * Pipelined readies (etcd raft's asynchronous storage writes): `ready()` may be called again
   * before `advance()` of the previous ready, so new proposals leave while a persist is in
   * flight. The host must then make readies durable in the order it got them, send each
   * ready's `messagesAfterPersist` only once that ready (hence every earlier one) is durable,
   * apply `committed` in order and call `advance()` in order. The replica still counts its own
   * promise and acceptances only at `advance()` of the ready that carried them. Default false.
   */
  readonly pipelineReadies?: boolean;
  /**
   * Pre-vote before phase 1 (`pre-vote.ts`): a node whose election timer fires first asks the
   * voters whether they would promise a higher ballot, and raises its ballot only when a
   * phase-1 quorum would; a node cut off from the cluster then never inflates its ballot and
   * cannot depose the leader when it comes back. Default true.
   */
  readonly preVote?: boolean;
  /** Leader leases and lease reads; absent = no leases (see `ReplicaLeaseConfig`). */
  readonly lease?: ReplicaLeaseConfig;
}

/** One problem with a `ReplicaConfig`: the field and the rule it breaks. */
export interface ConfigProblem {
  readonly field: string;
  readonly rule: string;
}

/** Thrown by the `Replica` constructor when `validateReplicaConfig` finds problems. */
export class ReplicaConfigError extends Error {
  override readonly name = 'ReplicaConfigError';
  readonly code = 'REPLICA_CONFIG_INVALID';
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(`invalid replica config: ${problems.map((p) => `${p.field}: ${p.rule}`).join('; ')}`);
    this.problems = problems;
  }
}

function isPositiveInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;
}

/** Every problem with `config`; empty when it is valid. */
export function validateReplicaConfig(config: ReplicaConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (field: string, rule: string): void => {
    problems.push({ field, rule });
  };
  if (!isPositiveInt(config.id)) {
    add('id', `must be a positive safe integer (got ${String(config.id)})`);
  }
  const bootstrap = config.bootstrap;
  if (bootstrap !== undefined) {
    const bootstrapProblems = validateConfiguration(
      bootstrap,
      'bootstrap',
      config.quorumFactory === undefined,
    );
    problems.push(...bootstrapProblems);
    if (bootstrapProblems.length === 0 && isPositiveInt(config.id)) {
      const members = [...configVoters(bootstrap), ...bootstrap.learners];
      if (!members.includes(config.id)) {
        add('id', `must be one of the bootstrap voters or learners [${members.join(',')}]`);
      }
    }
  }
  if (config.unsafeReconfig !== undefined && typeof config.unsafeReconfig !== 'boolean') {
    add('unsafeReconfig', 'must be a boolean when set');
  }
  const subset = config.autoSubset;
  if (subset !== undefined) {
    if (subset.enabled !== undefined && typeof subset.enabled !== 'boolean') {
      add('autoSubset.enabled', 'must be a boolean when set');
    }
    for (const field of ['holdDownTicks', 'votersMin'] as const) {
      const v = subset[field];
      if (v !== undefined && !isPositiveInt(v)) {
        add(`autoSubset.${field}`, 'must be a positive integer when set');
      }
    }
    const f = subset.faultToleranceMin;
    if (f !== undefined && (typeof f !== 'number' || !Number.isSafeInteger(f) || f < 0)) {
      add('autoSubset.faultToleranceMin', 'must be a non-negative integer when set');
    }
  }
  if (
    config.learnerCatchUpSlotsMax !== undefined &&
    !isPositiveInt(config.learnerCatchUpSlotsMax)
  ) {
    add('learnerCatchUpSlotsMax', 'must be a positive integer when set');
  }
  if (
    config.learnerCatchUpTimeoutTicks !== undefined &&
    !isPositiveInt(config.learnerCatchUpTimeoutTicks)
  ) {
    add('learnerCatchUpTimeoutTicks', 'must be a positive integer when set');
  }
  if (!isPositiveInt(config.electionTimeoutTicks)) {
    add('electionTimeoutTicks', 'must be a positive integer');
  }
  if (
    typeof config.electionTimeoutJitterTicks !== 'number' ||
    !Number.isSafeInteger(config.electionTimeoutJitterTicks) ||
    config.electionTimeoutJitterTicks < 0
  ) {
    add('electionTimeoutJitterTicks', 'must be a non-negative integer');
  }
  if (!isPositiveInt(config.heartbeatIntervalTicks)) {
    add('heartbeatIntervalTicks', 'must be a positive integer');
  } else if (
    isPositiveInt(config.electionTimeoutTicks) &&
    config.heartbeatIntervalTicks >= config.electionTimeoutTicks
  ) {
    add(
      'heartbeatIntervalTicks',
      `must be less than electionTimeoutTicks (${config.heartbeatIntervalTicks} >= ${config.electionTimeoutTicks})`,
    );
  }
  if (!isPositiveInt(config.batchCommandsMax)) {
    add('batchCommandsMax', 'must be a positive integer');
  }
  if (!isPositiveInt(config.batchBytesMax)) {
    add('batchBytesMax', 'must be a positive integer');
  }
  if (!isPositiveInt(config.inflightSlotsMax)) {
    add('inflightSlotsMax', 'must be a positive integer');
  }
  if (typeof config.thrifty !== 'boolean') {
    add('thrifty', 'must be a boolean');
  }
  if (config.pipelineReadies !== undefined && typeof config.pipelineReadies !== 'boolean') {
    add('pipelineReadies', 'must be a boolean when set');
  }
  if (config.preVote !== undefined && typeof config.preVote !== 'boolean') {
    add('preVote', 'must be a boolean when set');
  }
  const lease = config.lease;
  if (lease !== undefined) {
    if (typeof lease.clock?.nowMs !== 'function') {
      add('lease.clock', 'must provide nowMs() (a monotonic clock in ms)');
    }
    for (const p of validateLeaseConfig(lease)) {
      add(`lease.${p.field}`, `${p.rule}: ${p.message}`);
    }
  }
  if (typeof config.random?.nextInt !== 'function') {
    add('random', 'must provide nextInt(maxExclusive)');
  }
  return problems;
}
