/** Public result and status types of `Replica`. */
import type { AutoSubsetStatus } from './auto-subset.js';
import type { ConfigState } from './configuration.js';
import type { PeerProgress } from './membership.js';
import type { ChangeOutcome, PendingChange } from './reconfig.js';
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
  | { readonly kind: 'invalid-target' }
  /** The target is too far behind (its last reported committed index); try again later. */
  | { readonly kind: 'not-caught-up' };

/** Read modes served by the core (`stale` reads are the host's own business). */
export type ReadMode = 'lease' | 'quorum';

/** Why the leader cannot serve a read now (the host may retry or fall back to a quorum read). */
export type ReadUnavailableReason =
  /** No lease configured (`ReplicaConfig.lease` absent). */
  | 'no-lease'
  /** The lease does not hold now (not yet acquired, or not renewed in time). */
  | 'lease-not-held'
  /** No entry of the leader's own ballot is committed yet. */
  | 'own-ballot-not-committed'
  /** Some committed slot is not applied yet (`applied < committed`). */
  | 'not-applied'
  /** A leadership transfer began: lease reads ended for this ballot. */
  | 'transferring';

/** Outcome of `Replica.read`. */
export type ReadResult =
  /** Lease read granted now: answer from the state machine once applied >= index (usually at once). */
  | { readonly kind: 'ready'; readonly index: Slot }
  /** Quorum read accepted: the outcome arrives later in `Ready.reads` or `Ready.failedReads`. */
  | { readonly kind: 'pending' }
  | { readonly kind: 'not-leader'; readonly leaderHint: NodeId | undefined }
  | { readonly kind: 'unavailable'; readonly reason: ReadUnavailableReason };

/** Lease state of a replica (`ReplicaStatus.lease`). */
export interface LeaseStatus {
  /** This replica leads and holds a valid lease now (own clock). */
  readonly held: boolean;
  /** End of the lease on this replica's clock (exclusive), when it leads and has one. */
  readonly validUntilMs: number | undefined;
  /** A lease read would be served now. */
  readonly servesReads: boolean;
  /** Acceptor side: the ballot this acceptor currently grants a lease to (latest-ending). */
  readonly grantedTo: Ballot | undefined;
  /** Prepares (own campaigns included) dropped because of a running grant or restart wait. */
  readonly preparesRefused: number;
}

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
   * Leader only: an entry proposed in the leader's own ballot is committed and so is every slot
   * the leader proposed at its election (hence everything chosen before the election). A new
   * leader serves lease and quorum reads only after this holds (lease reads also need
   * `applied === committed`).
   */
  readonly ownBallotCommitted: boolean;
  /** Lease state (all false / undefined / 0 without `ReplicaConfig.lease`). */
  readonly lease: LeaseStatus;
  /** The cluster configuration as this replica knows it. */
  readonly config: ConfigStatus;
  /** Leader only: the progress of every other member (empty elsewhere). */
  readonly peers: readonly PeerProgress[];
}

/** `ReplicaStatus.config`. */
export interface ConfigStatus {
  /** The configuration in force above the committed index (undefined: not joined yet). */
  readonly state: ConfigState | undefined;
  /** Slot of the entry that put `state` in force (0: the bootstrap or snapshot base). */
  readonly index: Slot;
  /** The newest configuration in the log (the leader's newest proposed), maybe uncommitted. */
  readonly latest: ConfigState | undefined;
  /** Leader only: the membership change in progress. */
  readonly pending: PendingChange | undefined;
  /** Leader only: how the last change of this ballot ended. */
  readonly lastChange: ChangeOutcome | undefined;
  /** Leader only: what automatic subsetting is doing (`auto-subset.ts`). */
  readonly autoSubset: AutoSubsetStatus | undefined;
}
