/**
 * What every role of a replica shares: its identity and config, the quorum system, the log,
 * the outbox of the next ready, the logical clock (ticks) and the injected monotonic clock.
 * One object per `Replica`; the roles (`Acceptor`, `Learner`, `Candidate`, `Leader`) hold a
 * reference to it instead of reaching into each other.
 */
import type { QuorumSystem } from '@flexpaxos/quorum';
import { assert } from './assert.js';
import type { MonotonicClock, ReplicaConfig } from './config.js';
import type { ReplicaLog } from './log.js';
import type { AfterPersistMessage, Outbox } from './ready.js';
import type { Message } from './messages.js';
import type { NodeId } from './types.js';

/** The state shared by the roles of one replica. */
export class ReplicaContext {
  readonly config: ReplicaConfig;
  readonly id: NodeId;
  readonly quorum: QuorumSystem;
  /** Every member but this node. */
  readonly peers: readonly NodeId[];
  /** This node votes (it is one of the quorum system's voters). */
  readonly isVoter: boolean;
  readonly log: ReplicaLog;
  readonly out: Outbox;
  /** Ticks since the replica was created (logical time). */
  ticks = 0;
  readonly #clock: MonotonicClock | undefined;

  constructor(config: ReplicaConfig, log: ReplicaLog, out: Outbox) {
    this.config = config;
    this.id = config.id;
    this.quorum = config.quorum;
    this.peers = config.members.filter((m) => m !== config.id);
    this.isVoter = config.quorum.voters.includes(config.id);
    this.log = log;
    this.out = out;
    this.#clock = config.lease?.clock;
  }

  /** A reading of the injected monotonic clock (leases only). */
  nowMs(): number {
    const clock = this.#clock;
    assert(clock !== undefined, 'clock read without a lease config');
    return clock.nowMs();
  }

  /** Queues a message that may leave at once. */
  send(m: Message): void {
    this.out.send(m);
  }

  /** Queues a message that may leave only once the next ready's persist is done. */
  sendAfterPersist(m: AfterPersistMessage): void {
    this.out.sendAfterPersist(m);
  }
}
