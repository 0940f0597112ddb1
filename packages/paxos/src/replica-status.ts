/** Public result and status types of `Replica`. */
import type { Ballot, NodeId, Slot } from './types.js';

/** A replica's role. */
export type Role = 'follower' | 'candidate' | 'leader';

/** Outcome of `Replica.propose`. */
export type ProposeResult =
  | { readonly kind: 'queued' }
  | { readonly kind: 'not-leader'; readonly leaderHint: NodeId | undefined };

/** Outcome of `Replica.transferLeadership`. */
export type TransferResult =
  | { readonly kind: 'started' }
  | { readonly kind: 'not-leader'; readonly leaderHint: NodeId | undefined }
  /** The target is this node or not a voter. */
  | { readonly kind: 'invalid-target' };

/** A snapshot of a replica's observable state (for status pages, tests and the simulator). */
export interface ReplicaStatus {
  readonly id: NodeId;
  readonly role: Role;
  /** The highest ballot this replica promised (its own ballot while candidate or leader). */
  readonly ballot: Ballot;
  /** The leader this replica currently follows (itself when leader), if known. */
  readonly leader: NodeId | undefined;
  /** Every slot up to here is chosen and known locally. */
  readonly committed: Slot;
  /** Every slot up to here was handed to the host and acknowledged with `advance`. */
  readonly applied: Slot;
  /** The highest slot with a log entry (or the snapshot index when the log is empty). */
  readonly lastSlot: Slot;
  /** Slots at or below this are folded into the latest snapshot. */
  readonly snapshotIndex: Slot;
  /** Commands queued at the leader and not yet put into a slot. */
  readonly pendingCommands: number;
  /** Slots the leader proposed that are not yet committed. */
  readonly inflightSlots: number;
  /**
   * Leader only: an entry proposed in the leader's own ballot is committed (so everything
   * chosen before the election is committed too). A new leader serves lease reads only after
   * this holds and `applied === committed`.
   */
  readonly ownBallotCommitted: boolean;
}
