/**
 * What every role of a replica shares: its identity and config, the log (with the
 * configurations in it), the outbox of the next ready, the logical clock (ticks), the injected
 * monotonic clock and the quorum systems of the configurations. One object per `Replica`; the
 * roles (`Acceptor`, `Learner`, `Candidate`, `Leader`) hold a reference to it instead of
 * reaching into each other.
 */
import type { QuorumSystem } from '@flexpaxos/quorum';
import { assert } from './assert.js';
import type { MonotonicClock, ReplicaConfig } from './config.js';
import { QuorumCache, isVoterIn, stateMembers, type ConfigState } from './configuration.js';
import type { ReplicaLog } from './log.js';
import type { AfterPersistMessage, Outbox } from './ready.js';
import type { Message } from './messages.js';
import type { NodeId } from './types.js';

/** The state shared by the roles of one replica. */
export class ReplicaContext {
  readonly config: ReplicaConfig;
  readonly id: NodeId;
  readonly log: ReplicaLog;
  readonly out: Outbox;
  /** Ticks since the replica was created (logical time). */
  ticks = 0;
  readonly #clock: MonotonicClock | undefined;
  readonly #quorums: QuorumCache;

  constructor(config: ReplicaConfig, log: ReplicaLog, out: Outbox) {
    this.config = config;
    this.id = config.id;
    this.log = log;
    this.out = out;
    this.#clock = config.lease?.clock;
    this.#quorums = new QuorumCache(config.quorumFactory);
  }

  /** The quorum system of a configuration state for phase 2 (joint during a joint step). */
  quorumOf(state: ConfigState): QuorumSystem {
    return this.#quorums.of(state);
  }

  /** The quorum systems a configuration state is made of (two during a joint step). */
  componentsOf(state: ConfigState): QuorumSystem[] {
    return this.#quorums.components(state);
  }

  /**
   * The configuration this node knows to be in force: the one governing the slot after its
   * committed index (undefined for a node that has not joined a cluster yet).
   */
  get committedConfig(): ConfigState | undefined {
    return this.log.configFor(this.log.committed + 1);
  }

  /**
   * Whether this node may campaign: it votes in the configuration it knows to be in force, or
   * in the newest one its log holds (a voter just added whose commit it has not learned yet;
   * campaigning is always safe, the chain rule decides which quorums the ballot needs).
   */
  get isVoter(): boolean {
    const committed = this.committedConfig;
    if (committed !== undefined && isVoterIn(committed, this.id)) {
      return true;
    }
    const newest = this.log.configFor(this.log.lastSlot + 1);
    return newest !== undefined && newest !== committed && isVoterIn(newest, this.id);
  }

  /** Every other node of `state` (voters and learners). */
  peersOf(state: ConfigState | undefined): NodeId[] {
    return state === undefined ? [] : stateMembers(state).filter((m) => m !== this.id);
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
