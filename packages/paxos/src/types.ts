/**
 * Public data types of the sans-IO Multi-Paxos core.
 *
 * Everything here is plain data (numbers, strings, arrays, plain objects, Uint8Array): no
 * classes, Maps, bigints or functions, so a transport can encode a message generically (for
 * example with msgpackr) and a storage adapter can persist entries without knowing the core.
 */

import type { ConfigState } from './configuration.js';

declare const brand: unique symbol;
/** A nominal brand on a primitive. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A node (acceptor / proposer / learner) id: a positive safe integer. */
export type NodeId = Brand<number, 'NodeId'>;
/** A log position. Slot 0 is "before the log"; the first real slot is 1. */
export type Slot = Brand<number, 'Slot'>;
/** The round part of a ballot. Round 0 with node 0 is the zero ballot nobody owns. */
export type Round = Brand<number, 'Round'>;

/**
 * A ballot `(round, nodeId)`, totally ordered by round then node id, so two proposers never
 * share a ballot (Lamport, "Paxos Made Simple", §2.2).
 */
export interface Ballot {
  readonly round: Round;
  readonly nodeId: NodeId;
}

/** What a slot holds once proposed. */
export type SlotValue =
  | { readonly kind: 'noop' }
  /** A batch of opaque client commands, applied in order. */
  | { readonly kind: 'commands'; readonly commands: readonly Uint8Array[] }
  /**
   * A configuration change: the configuration in force for every slot above this one
   * (`configuration.ts`). Hosts apply it as a no-op of their state machine.
   */
  | { readonly kind: 'config'; readonly config: ConfigState };

/** An accepted (slot, ballot, value) triple: what an acceptor stores per slot. */
export interface AcceptedEntry {
  readonly slot: Slot;
  readonly ballot: Ballot;
  readonly value: SlotValue;
}

/** A value known to be chosen at a slot, handed to the state machine in slot order. */
export interface ChosenEntry {
  readonly slot: Slot;
  readonly value: SlotValue;
}

/**
 * Durable acceptor state besides the log.
 *
 * Invariant: `promised` never decreases, across crashes too (simulator invariant 7).
 */
export interface HardState {
  /** Highest ballot this acceptor promised (phase 1b). */
  readonly promised: Ballot;
  /** Highest slot this node knows to be committed (every slot up to it chosen and known). */
  readonly committed: Slot;
}

/** Metadata of a state-machine snapshot: every slot up to `index` is folded into it. */
export interface SnapshotMeta {
  readonly index: Slot;
}

/** A snapshot: its metadata and the state machine's opaque serialized state. */
export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

/**
 * What the host must make durable. Entries overwrite any entry at the same slot. A snapshot,
 * when present, is installed first (replacing the state machine and every entry at or below
 * its index), then `truncateBelow` drops log entries below that slot.
 *
 * `snapshot` is set only for a snapshot received from a peer, which the host must install
 * (its index is always above the host's applied index). Compaction of the host's own state
 * (`Replica.compact`) only sets `truncateBelow`: the host stored that snapshot itself.
 * Every entry in `entries` lies at or above `truncateBelow`.
 */
export interface PersistRequest {
  readonly hardState: HardState | undefined;
  /**
   * The configuration in force just above the snapshot index (the base the log's own
   * configuration entries build on), when it changed: at the first start (the bootstrap
   * configuration), after `compact` and after a snapshot install. Store it with the
   * truncation (and a snapshot to install with it, atomically); hand it back in
   * `RecoveredState.baseConfig`. A host that stores its own snapshot stores
   * `Replica.configAt(index)` with it in the same write.
   */
  readonly baseConfig?: ConfigState | undefined;
  readonly entries: readonly AcceptedEntry[];
  readonly snapshot: Snapshot | undefined;
  readonly truncateBelow: Slot | undefined;
}

/** Everything a replica needs at start, rebuilt from durable storage. */
export interface RecoveredState {
  readonly hardState: HardState;
  /** The latest snapshot, if any; the host has already restored its state machine from it. */
  readonly snapshot: SnapshotMeta | undefined;
  /** Accepted entries above the snapshot, ascending by slot. */
  readonly entries: readonly AcceptedEntry[];
  /** The highest slot already applied to the state machine (>= snapshot index). */
  readonly applied: Slot;
  /**
   * The last `PersistRequest.baseConfig` stored. Absent for a store written before
   * configurations were persisted, or a node that has not joined a cluster yet: the replica
   * then starts from `ReplicaConfig.bootstrap`.
   */
  readonly baseConfig?: ConfigState | undefined;
}

/** An injected source of randomness (the core never touches `Math.random`). */
export interface RandomSource {
  /** A uniformly random integer in [0, maxExclusive). */
  nextInt(maxExclusive: number): number;
}
