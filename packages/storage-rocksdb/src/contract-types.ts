/**
 * The core's persistence contract, as this adapter sees it.
 *
 * `@flexpaxos/paxos` currently exports only `Ballot` from its index; the rest of its
 * `types.ts` (HardState, AcceptedEntry, Snapshot, PersistRequest, RecoveredState) is mirrored
 * here structurally, field for field, so this package compiles today. When the core exports
 * them, this file becomes a list of `export type { ... } from '@flexpaxos/paxos'` lines and
 * nothing else changes. `StateWrite` mirrors the KV state machine's write (`@flexpaxos/kv`).
 */
import type { Ballot } from '@flexpaxos/paxos';

export type { Ballot };

/** A node id, taken from the core's `Ballot` so the brand is the core's own. */
export type NodeId = Ballot['nodeId'];
/** A ballot round, taken from the core's `Ballot`. */
export type Round = Ballot['round'];

declare const slotBrand: unique symbol;
/** A log position (mirror of the core's `Slot`). Slot 0 is "before the log". */
export type Slot = number & { readonly [slotBrand]: 'Slot' };

/** What a slot holds once proposed (mirror of the core's `SlotValue`). */
export type SlotValue =
  | { readonly kind: 'noop' }
  | { readonly kind: 'commands'; readonly commands: readonly Uint8Array[] };

/** An accepted (slot, ballot, value) triple (mirror of the core's `AcceptedEntry`). */
export interface AcceptedEntry {
  readonly slot: Slot;
  readonly ballot: Ballot;
  readonly value: SlotValue;
}

/** Durable acceptor state besides the log (mirror of the core's `HardState`). */
export interface HardState {
  readonly promised: Ballot;
  readonly committed: Slot;
}

/** Metadata of a state-machine snapshot (mirror of the core's `SnapshotMeta`). */
export interface SnapshotMeta {
  readonly index: Slot;
}

/**
 * A snapshot (mirror of the core's `Snapshot`). For this adapter `data` must be a snapshot
 * stream as produced by `RocksStore.createSnapshot()` (its chunks concatenated).
 */
export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

/** What the host must make durable (mirror of the core's `PersistRequest`). */
export interface PersistRequest {
  readonly hardState: HardState | undefined;
  readonly entries: readonly AcceptedEntry[];
  readonly snapshot: Snapshot | undefined;
  readonly truncateBelow: Slot | undefined;
}

/** Everything a replica needs at start (mirror of the core's `RecoveredState`). */
export interface RecoveredState {
  readonly hardState: HardState;
  readonly snapshot: SnapshotMeta | undefined;
  readonly entries: readonly AcceptedEntry[];
  readonly applied: Slot;
}

/** The two key spaces of the KV state machine. */
export type StateSpace = 'data' | 'sessions';

/**
 * One write of the KV state machine (mirror of `@flexpaxos/kv`'s `StateWrite`): put `value`
 * at `key` in `space`, or delete the key when `value` is `undefined`.
 */
export interface StateWrite {
  readonly space: StateSpace;
  readonly key: Uint8Array;
  readonly value: Uint8Array | undefined;
}

/** Brands a non-negative safe integer as a `Slot`. */
export function toSlot(n: number): Slot {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`slot must be a non-negative safe integer, got ${n}`);
  }
  return n as Slot;
}
