/**
 * Replica configuration and its validation. `validateReplicaConfig` returns every problem
 * (field and rule) instead of throwing on the first, in the spirit of raft-rs `validate()`.
 */
import { validateLeaseConfig } from '@flexpaxos/lease';
import type { QuorumSystem } from '@flexpaxos/quorum';
import type { NodeId, RandomSource } from './types.js';

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
  /** This node's id; must be one of `members`. */
  readonly id: NodeId;
  /** Every node of the cluster (acceptors and learners), this one included. */
  readonly members: readonly NodeId[];
  /** Phase-1 / phase-2 quorums over the acceptors (a subset of `members`). */
  readonly quorum: QuorumSystem;
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
  const members = config.members;
  if (!Array.isArray(members) || members.length === 0) {
    add('members', 'must list at least one node');
  } else {
    const seen = new Set<number>();
    for (const m of members as readonly unknown[]) {
      if (!isPositiveInt(m)) {
        add('members', `every member must be a positive safe integer (got ${String(m)})`);
      } else if (seen.has(m)) {
        add('members', `must not contain duplicates (${m} twice)`);
      }
      seen.add(Number(m));
    }
    if (isPositiveInt(config.id) && !seen.has(config.id)) {
      add('id', `must be one of members [${members.join(',')}]`);
    }
    for (const v of config.quorum.voters) {
      if (!seen.has(v)) {
        add('quorum', `voter ${v} is not one of members [${members.join(',')}]`);
      }
    }
  }
  if (config.quorum.voters.length === 0) {
    add('quorum', 'must have at least one voter');
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
