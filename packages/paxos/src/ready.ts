/**
 * The ready bundle: everything a replica asks its host to do after a step.
 *
 * ## Persist before send (the contract)
 *
 * The host handles a `Ready` in this order:
 *
 * 1. send `messages` (they may go at once, even while step 2 runs: for example the leader's
 *    Accept to peers goes out while the leader writes its own copy);
 * 2. write `persist`; when `mustSync` is true, make it durable (fsync) and wait for that;
 * 3. only then send `messagesAfterPersist` (Promise, Accepted, heartbeat reply);
 * 4. apply `committed` to the state machine, in order;
 * 5. answer `reads` once applied through their index, redirect `failedReads`;
 * 6. call `replica.advance(ready)`.
 *
 * Why a promise must be durable before its reply leaves (failure scenario):
 *   1. acceptor A promises ballot 5 to candidate X and replies at once;
 *   2. A crashes before the promise reaches disk and restarts having promised only ballot 3;
 *   3. A now accepts an Accept of ballot 4 from old leader Y, while X, counting A's promise,
 *      believes no ballot below 5 can be chosen without it knowing: two values get chosen.
 * The same holds for Accepted: a value counted toward a quorum must survive the crash.
 *
 * `mustSync` is the persist policy (etcd raft's `MustSync`), decided here and nowhere else: it
 * is true when `persist` carries log entries, a snapshot to install, a log truncation or a
 * higher promised ballot. A persist that only moves the committed index need not be durable
 * before anything goes on (a restarted node re-learns its committed index from its peers): the
 * host may write it without an fsync of its own, in call order with its other writes, and send
 * `messagesAfterPersist` at once.
 *
 * The replica's own votes obey the same rule: a candidate counts its own promise, and a leader
 * its own acceptance of a slot, only at `advance()` of the ready whose `persist` carried them.
 *
 * Calling `ready()` again before `advance()` is an assertion failure, unless
 * `ReplicaConfig.pipelineReadies` is set: then several readies may be outstanding; the host
 * makes them durable in order, sends each one's `messagesAfterPersist` only once it is durable,
 * applies in order and calls `advance()` in order (etcd raft's asynchronous storage writes).
 */
import type {
  AcceptedMessage,
  HeartbeatReplyMessage,
  Message,
  PromiseMessage,
} from './messages.js';
import type { ChosenEntry, NodeId, PersistRequest, Slot } from './types.js';

/** What the host must do after a step; see the module comment for the order. */
export interface Ready {
  /** State to make durable; `undefined` when nothing changed. */
  readonly persist: PersistRequest | undefined;
  /** Messages that may be sent immediately, before `persist` is durable. */
  readonly messages: readonly Message[];
  /**
   * Whether `persist` must be durable (fsynced) before `messagesAfterPersist` leave and
   * before `advance()`; false when there is nothing to persist or only the committed index
   * moved. See the module comment.
   */
  readonly mustSync: boolean;
  /** Replies that may be sent only once `persist` is durable (written, when not `mustSync`). */
  readonly messagesAfterPersist: readonly AfterPersistMessage[];
  /** Chosen entries to apply to the state machine, in slot order, after `persist`. */
  readonly committed: readonly ChosenEntry[];
  /**
   * Quorum reads confirmed since the last ready (`Replica.read` with mode `'quorum'`): answer
   * each from the state machine once the host has applied through `index`.
   */
  readonly reads: readonly CompletedRead[];
  /** Quorum reads that can no longer complete (the leader stepped down): redirect the client. */
  readonly failedReads: readonly FailedRead[];
}

/**
 * The messages that vouch for durable acceptor state and so may leave only after the persist
 * of their ready: a Promise (the promised ballot and what was accepted), an Accepted (the
 * accepted entries) and a heartbeat reply (it acknowledges the leader's ballot, which the
 * acceptor may have just promised).
 */
export type AfterPersistMessage = PromiseMessage | AcceptedMessage | HeartbeatReplyMessage;

/** A confirmed quorum read: answer it once the state machine applied through `index`. */
export interface CompletedRead {
  /** The id the host passed to `Replica.read`. */
  readonly id: number;
  /** The committed index at the time of the read. */
  readonly index: Slot;
}

/** A quorum read that failed because this replica stopped leading. */
export interface FailedRead {
  /** The id the host passed to `Replica.read`. */
  readonly id: number;
  /** The leader this replica follows now, if known. */
  readonly leaderHint: NodeId | undefined;
}
