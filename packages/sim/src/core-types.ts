/**
 * The slice of the Paxos core's contract the simulator relies on, stated structurally so that
 * the simulator treats messages as opaque `{ type, from, to }` values (see
 * `@flexpaxos/paxos` `messages.ts`) and can drive deliberately broken replicas in tests.
 * The real `Replica` is assignable to `SimReplica`.
 */

import type { ConfigState, Configuration } from '@flexpaxos/paxos';

/** A ballot `(round, nodeId)`. */
export interface SimBallot {
  readonly round: number;
  readonly nodeId: number;
}

/** A slot's value: a no-op or a batch of opaque client commands. */
export type SimSlotValue =
  | { readonly kind: 'noop' }
  | { readonly kind: 'commands'; readonly commands: readonly Uint8Array[] }
  /** A configuration entry (`ConfigState` of `@flexpaxos/paxos`); a no-op for the KV machine. */
  | { readonly kind: 'config'; readonly config: SimConfigState };

/** A cluster configuration in force (the core's `ConfigState`). */
export type SimConfigState = ConfigState;
/** One configuration (the core's `Configuration`). */
export type SimConfiguration = Configuration;

/** An accepted (slot, ballot, value) triple. */
export interface SimAcceptedEntry {
  readonly slot: number;
  readonly ballot: SimBallot;
  readonly value: SimSlotValue;
}

/** A chosen value handed to the state machine. */
export interface SimChosenEntry {
  readonly slot: number;
  readonly value: SimSlotValue;
}

/** Durable acceptor state besides the log. */
export interface SimHardState {
  readonly promised: SimBallot;
  readonly committed: number;
}

/** A snapshot: metadata plus the state machine's serialized state. */
export interface SimSnapshot {
  readonly meta: { readonly index: number };
  readonly data: Uint8Array;
}

/** What the host must make durable (see `PersistRequest` in the core). */
export interface SimPersistRequest {
  readonly hardState: SimHardState | undefined;
  readonly entries: readonly SimAcceptedEntry[];
  readonly snapshot: SimSnapshot | undefined;
  readonly truncateBelow: number | undefined;
  /** The configuration in force above the snapshot index, when it changed. */
  readonly baseConfig?: SimConfigState | undefined;
}

/** A peer message, opaque to the simulator except for its envelope. */
export interface SimMessage {
  readonly type: string;
  readonly from: number;
  readonly to: number;
}

/** The ready bundle (see `Ready` in the core for the handling order). */
export interface SimReady {
  readonly persist: SimPersistRequest | undefined;
  /**
   * The core's persist policy: false when `persist` need not be durable before the replies
   * leave (only the committed index moved). The host then writes it lazily and goes on; a crash
   * before the next synced write loses it.
   */
  readonly mustSync: boolean;
  readonly messages: readonly SimMessage[];
  readonly messagesAfterPersist: readonly SimMessage[];
  readonly committed: readonly SimChosenEntry[];
  /** Quorum reads confirmed: answer each once the host applied `index` (absent in old cores). */
  readonly reads?: readonly { readonly id: number; readonly index: number }[];
  /** Quorum reads that failed (the leader stepped down first). */
  readonly failedReads?: readonly { readonly id: number; readonly leaderHint: number | undefined }[];
}

/** What a replica is rebuilt from after a restart. */
export interface SimRecoveredState {
  readonly hardState: SimHardState;
  readonly snapshot: { readonly index: number } | undefined;
  readonly entries: readonly SimAcceptedEntry[];
  readonly applied: number;
  /** The stored base configuration (`PersistRequest.baseConfig`). */
  readonly baseConfig?: SimConfigState | undefined;
}

/** The outcome of a proposal. */
export type SimProposeResult =
  | { readonly kind: 'queued' }
  | { readonly kind: 'not-leader'; readonly leaderHint: number | undefined };

/** A read mode served by the core (`stale` reads are the host's). */
export type SimReadMode = 'lease' | 'quorum';

/** The outcome of `read` (see `ReadResult` in the core). */
export type SimReadResult =
  | { readonly kind: 'ready'; readonly index: number }
  | { readonly kind: 'pending' }
  | { readonly kind: 'not-leader'; readonly leaderHint: number | undefined }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** A monotonic clock in ms (the core's `MonotonicClock`). */
export interface SimMonotonicClock {
  nowMs(): number;
}

/** Lease settings handed to a replica (the core's `ReplicaLeaseConfig`). */
export interface SimLeaseOptions {
  readonly clock: SimMonotonicClock;
  readonly leaseDurationMs: number;
  readonly clockDriftBoundMs: number;
  readonly electionTimeoutMs: number;
  /** Fault injection: the leader ignores the drift bound, a restarted acceptor promises at once. */
  readonly unsafeLease: boolean;
}

/** The replica surface the simulator drives. */
export interface SimReplica {
  tick(): void;
  step(message: SimMessage): void;
  propose(command: Uint8Array): SimProposeResult;
  campaign(): void;
  hasReady(): boolean;
  ready(): SimReady;
  advance(ready: SimReady): void;
  compact(snapshot: SimSnapshot): void;
  status(): unknown;
  /** The role, cheaply (optional: deliberately broken replicas in tests need none). */
  readonly role?: string;
  /**
   * Membership changes and leadership transfer (optional, like `read`): the simulator's
   * reconfiguration faults drive them on the leader.
   */
  changeConfig?(target: SimConfiguration, reason?: string): { readonly kind: string };
  transferLeadership?(to: number): { readonly kind: string };
  /** The configuration in force above `index`, stored with a snapshot at `index` (optional). */
  configAt?(index: number): SimConfigState | undefined;
  /** Lease and quorum reads (optional, so deliberately broken replicas in tests need none). */
  read?(request: { readonly id: number; readonly mode: SimReadMode }): SimReadResult;
}

/** Cluster-wide settings handed to a replica factory. */
export interface SimReplicaOptions {
  readonly id: number;
  readonly members: readonly number[];
  /** Phase-1 quorum size L. */
  readonly election: number;
  /** Phase-2 quorum size P. */
  readonly replication: number;
  /** When true, build a deliberately non-intersecting quorum system (L + P <= N). */
  readonly unsafeQuorum: boolean;
  /** A node outside the bootstrap configuration: it waits to be added (no bootstrap). */
  readonly joiner?: boolean;
  /** Fault injection (`--unsafe-reconfig`): configuration changes without the joint step. */
  readonly unsafeReconfig?: boolean;
  /** Automatic subsetting (the core's `autoSubset.enabled`; default on). */
  readonly autoSubset?: boolean;
  /** Pre-vote before phase 1 (the core's `preVote`; default on). */
  readonly preVote?: boolean;
  readonly electionTimeoutTicks: number;
  readonly electionTimeoutJitterTicks: number;
  readonly heartbeatIntervalTicks: number;
  readonly thrifty: boolean;
  readonly batchCommandsMax: number;
  readonly batchBytesMax: number;
  readonly inflightSlotsMax: number;
  readonly random: { nextInt(maxExclusive: number): number };
  /** Leader leases; absent = no leases. */
  readonly lease?: SimLeaseOptions | undefined;
}

/** Builds a replica, fresh (`recovered` undefined) or from durable state. */
export type ReplicaFactory = (
  options: SimReplicaOptions,
  recovered: SimRecoveredState | undefined,
) => SimReplica;

/** Total order on ballots: negative, zero or positive. */
export function compareBallots(a: SimBallot, b: SimBallot): number {
  return a.round !== b.round ? a.round - b.round : a.nodeId - b.nodeId;
}

/** `round.nodeId`, for traces and reports. */
export function formatBallot(b: SimBallot): string {
  return `${b.round}.${b.nodeId}`;
}
