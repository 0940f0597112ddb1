/**
 * Peer messages of the Multi-Paxos core. Plain data only (see `types.ts`), tagged by `type`,
 * so a transport encodes them generically. Every message names its sender and receiver.
 *
 * NOTE (contract for other packages): transports and the simulator treat messages as opaque
 * values with `type`, `from` and `to`; only the core looks inside.
 */
import type { ConfigState } from './configuration.js';
import type { AcceptedEntry, Ballot, ChosenEntry, NodeId, Slot, Snapshot } from './types.js';

interface Envelope<T extends string> {
  readonly type: T;
  readonly from: NodeId;
  readonly to: NodeId;
}

/** Phase 1a: a candidate asks for a promise covering every slot from `fromSlot` on. */
export interface PrepareMessage extends Envelope<'prepare'> {
  readonly ballot: Ballot;
  readonly fromSlot: Slot;
}

/**
 * Phase 1b: the acceptor promised `ballot` and reports every entry it accepted at or above the
 * candidate's `fromSlot` (those at or below its snapshot are summarized by `snapshotIndex`).
 * Sent only after the promise is durable.
 */
export interface PromiseMessage extends Envelope<'promise'> {
  readonly ballot: Ballot;
  readonly fromSlot: Slot;
  readonly accepted: readonly AcceptedEntry[];
  readonly committed: Slot;
  readonly snapshotIndex: Slot;
  /**
   * The configuration in force just above `committed` at the acceptor (absent at a node that
   * has not joined a cluster): the start of the candidate's configuration chain when this
   * promise knows the most chosen slots.
   */
  readonly config?: ConfigState;
}

/** Phase 2a: the leader asks acceptors to accept entries of its ballot. */
export interface AcceptMessage extends Envelope<'accept'> {
  readonly ballot: Ballot;
  readonly entries: readonly AcceptedEntry[];
  /** The leader's committed index, piggybacked for learning. */
  readonly committed: Slot;
  /**
   * Lease round (`LeaderLease.beginRound` at the creation of the message) when the leader has
   * leases configured; the acknowledgement echoes it so the leader can look up its send time.
   */
  readonly leaseRound?: number;
  /**
   * Leadership transfer: the leader has ended its lease reads and asks the receiver to release
   * its lease grant to this ballot (and to grant none for this message).
   */
  readonly leaseRelease?: boolean;
}

/** Phase 2b: the acceptor accepted (and made durable) these slots in `ballot`. */
export interface AcceptedMessage extends Envelope<'accepted'> {
  readonly ballot: Ballot;
  readonly slots: readonly Slot[];
  /** Echo of the Accept's `leaseRound`, when it carried one. */
  readonly leaseRound?: number;
}

/**
 * A refusal: the acceptor has promised `promised`, higher than the ballot it was asked for.
 * The proposer steps down and backs off.
 */
export interface RejectMessage extends Envelope<'reject'> {
  /** The ballot that was refused. */
  readonly ballot: Ballot;
  readonly promised: Ballot;
}

/** Leader heartbeat: keeps followers from campaigning and carries the committed index. */
export interface HeartbeatMessage extends Envelope<'heartbeat'> {
  readonly ballot: Ballot;
  readonly committed: Slot;
  /**
   * Leadership transfer: the leader asks the receiver to start phase 1 at once. Optional and
   * absent on ordinary heartbeats; a transport that drops it only makes transfers not happen.
   */
  readonly campaignNow?: boolean;
  /**
   * Lease round (`LeaderLease.beginRound` at the creation of the message) when the leader has
   * leases configured; the acknowledgement echoes it so the leader can look up its send time.
   */
  readonly leaseRound?: number;
  /**
   * Leadership transfer: the leader has ended its lease reads and asks the receiver to release
   * its lease grant to this ballot (and to grant none for this message).
   */
  readonly leaseRelease?: boolean;
  /**
   * Quorum reads (ReadIndex): the leader's read-confirmation round, echoed by the reply. Absent
   * when no quorum read is waiting.
   */
  readonly readRound?: number;
}

/** Answer to a heartbeat, telling the leader how far the follower has chosen values. */
export interface HeartbeatReplyMessage extends Envelope<'heartbeat-reply'> {
  readonly ballot: Ballot;
  /** Every slot up to here is known chosen at the follower. */
  readonly committed: Slot;
  /** Echo of the heartbeat's `leaseRound`, when it carried one. */
  readonly leaseRound?: number;
  /** Echo of the heartbeat's `readRound`, when it carried one. */
  readonly readRound?: number;
}

/** A learner asks for chosen values it lacks, in [fromSlot, toSlot]. */
export interface FetchMessage extends Envelope<'fetch'> {
  readonly fromSlot: Slot;
  readonly toSlot: Slot;
}

/** Chosen values in answer to a fetch (or streamed to non-quorum acceptors in thrifty mode). */
export interface ChosenMessage extends Envelope<'chosen'> {
  readonly entries: readonly ChosenEntry[];
  readonly committed: Slot;
}

/** A snapshot for a replica whose log is below the sender's compaction point. */
export interface SnapshotMessage extends Envelope<'snapshot'> {
  readonly snapshot: Snapshot;
  /** The configuration in force just above the snapshot's index. */
  readonly config: ConfigState;
}

/**
 * Pre-vote (phase 0): a follower whose election timer fired asks whether the receiver would
 * promise `ballot` now, before it raises any promise (`pre-vote.ts`). Changes no state.
 */
export interface PrePrepareMessage extends Envelope<'pre-prepare'> {
  readonly ballot: Ballot;
  /** The sender's committed index + 1 (a removed node is sent the chosen log from here). */
  readonly fromSlot: Slot;
}

/**
 * The answer to a pre-prepare: whether the receiver would promise a new ballot of the sender
 * now, and its promise (the sender's phase 1 then starts above every round it heard of).
 */
export interface PrePromiseMessage extends Envelope<'pre-promise'> {
  readonly ballot: Ballot;
  readonly granted: boolean;
  readonly promised: Ballot;
}

/** Every peer message. */
export type Message =
  | PrePrepareMessage
  | PrePromiseMessage
  | PrepareMessage
  | PromiseMessage
  | AcceptMessage
  | AcceptedMessage
  | RejectMessage
  | HeartbeatMessage
  | HeartbeatReplyMessage
  | FetchMessage
  | ChosenMessage
  | SnapshotMessage;

/** The `type` tags of every message. */
export type MessageType = Message['type'];
