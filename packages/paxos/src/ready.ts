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
 * is true when `persist` carries log entries, a snapshot to install, a log truncation, a base
 * configuration or a higher promised ballot. A persist that only moves the committed index need not be durable
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
import { assert } from './assert.js';
import { ballotEquals } from './ballot.js';
import type { ReplicaLog } from './log.js';
import type {
  AcceptedMessage,
  HeartbeatReplyMessage,
  Message,
  PromiseMessage,
} from './messages.js';
import type { Ballot, ChosenEntry, HardState, NodeId, PersistRequest, Slot } from './types.js';

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

// ------------------------------------------------------------------ building readies

/** Pending output of a replica: what the next ready hands out. */
export class Outbox {
  /** Messages that may leave at once. */
  messages: Message[] = [];
  /** Messages that leave only after the ready's persist. */
  afterPersist: AfterPersistMessage[] = [];
  /** Confirmed quorum reads. */
  reads: CompletedRead[] = [];
  /** Quorum reads that failed (the leader stepped down). */
  failedReads: FailedRead[] = [];

  /** Queues a message that may leave at once. */
  send(m: Message): void {
    this.messages.push(m);
  }

  /** Queues a message that may leave only after the next ready's persist. */
  sendAfterPersist(m: AfterPersistMessage): void {
    this.afterPersist.push(m);
  }

  /** Whether anything is queued. */
  get isEmpty(): boolean {
    return (
      this.messages.length === 0 &&
      this.afterPersist.length === 0 &&
      this.reads.length === 0 &&
      this.failedReads.length === 0
    );
  }
}

/** What an outstanding ready promised to do at `advance`. */
export interface Outstanding {
  readonly ready: Ready;
  /** Highest slot handed out in `ready.committed` (or installed by its snapshot). */
  readonly appliedThrough: number;
  /** Candidate ballot whose self-promise this ready makes durable. */
  readonly selfPromise: Ballot | undefined;
  /** Slots of the leader's own ballot that this ready makes durable. */
  readonly selfAccepted: readonly { readonly slot: number; readonly ballot: Ballot }[];
}

/** The acceptor's promise as the next ready must persist it. */
export interface PromiseState {
  readonly promised: Ballot;
  /** The promised ballot rose since the last ready. */
  readonly promisedDirty: boolean;
}

/**
 * The readies handed out and not yet advanced (at most one unless pipelined), and the
 * bookkeeping that turns a replica's pending changes into the next `Ready`.
 */
export class ReadyQueue {
  readonly #outstanding: Outstanding[] = [];
  readonly #pipelined: boolean;
  /** Highest slot handed out for applying in any ready so far (>= applied). */
  #handedOutThrough: number;
  /** A candidate's own promise, counted at `advance` of the ready that persists it. */
  selfPromise: Ballot | undefined;

  /** Starts with nothing outstanding and everything through `applied` handed out. */
  constructor(applied: number, pipelined: boolean) {
    this.#handedOutThrough = applied;
    this.#pipelined = pipelined;
  }

  /** Whether `ready()` must wait for `advance()` (a ready is outstanding, not pipelined). */
  get blocked(): boolean {
    return this.#outstanding.length > 0 && !this.#pipelined;
  }

  /** Highest slot handed out for applying so far. */
  get handedOutThrough(): number {
    return this.#handedOutThrough;
  }

  /**
   * Builds the next ready from the log's changes, the promise and the outbox, and records it
   * as outstanding. `leaderBallot` is set while leading: the ready's entries of that ballot are
   * the leader's own acceptances, counted at `advance`.
   */
  take(
    log: ReplicaLog,
    promise: PromiseState,
    out: Outbox,
    leaderBallot: Ballot | undefined,
  ): Ready {
    assert(!this.blocked, 'ready() called twice without advance()');
    const changes = log.takeChanges();
    const selfAccepted: { slot: number; ballot: Ballot }[] = [];
    if (leaderBallot !== undefined) {
      for (const e of changes.entries) {
        if (ballotEquals(e.ballot, leaderBallot)) {
          selfAccepted.push({ slot: e.slot, ballot: leaderBallot });
        }
      }
    }
    const hardState: HardState | undefined =
      changes.committedDirty || promise.promisedDirty
        ? { promised: promise.promised, committed: log.committed as Slot }
        : undefined;
    const { entries, snapshot, truncateBelow, baseConfig } = changes;
    const persist: PersistRequest | undefined =
      hardState !== undefined ||
      entries.length > 0 ||
      snapshot !== undefined ||
      truncateBelow !== undefined ||
      baseConfig !== undefined
        ? {
            hardState,
            entries,
            snapshot,
            truncateBelow: truncateBelow === undefined ? undefined : (truncateBelow as Slot),
            ...(baseConfig === undefined ? {} : { baseConfig }),
          }
        : undefined;
    const mustSync =
      persist !== undefined &&
      (promise.promisedDirty ||
        entries.length > 0 ||
        snapshot !== undefined ||
        truncateBelow !== undefined ||
        baseConfig !== undefined);

    let from = this.#handedOutThrough;
    if (snapshot !== undefined) {
      from = Math.max(from, snapshot.meta.index);
    }
    const ready: Ready = {
      persist,
      mustSync,
      messages: out.messages,
      messagesAfterPersist: out.afterPersist,
      committed: log.committedEntriesAfter(from),
      reads: out.reads,
      failedReads: out.failedReads,
    };
    const appliedThrough = Math.max(from, log.committed);
    this.#outstanding.push({ ready, appliedThrough, selfPromise: this.selfPromise, selfAccepted });
    this.#handedOutThrough = appliedThrough;
    this.selfPromise = undefined;
    out.messages = [];
    out.afterPersist = [];
    out.reads = [];
    out.failedReads = [];
    return ready;
  }

  /** Removes `ready` (the oldest outstanding one) and returns what it promised. */
  advance(ready: Ready): Outstanding {
    const out = this.#outstanding[0];
    assert(out !== undefined, 'advance() without an outstanding ready()');
    assert(out.ready === ready, 'advance() with a ready that is not the oldest outstanding one');
    this.#outstanding.shift();
    return out;
  }
}
