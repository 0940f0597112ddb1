/**
 * The contracts this adapter persists, re-exported in one place: the core's persistence types
 * (`@flexpaxos/paxos`) and the KV state machine's writes (`@flexpaxos/kv`).
 *
 * For this adapter, `Snapshot.data` inside a `PersistRequest` is either a snapshot stream made
 * by `RocksStore.createSnapshot()` (chunks concatenated) or any format the host can turn into
 * records with the `decodeSnapshot` option of `openStorage`.
 */
export type {
  AcceptedEntry,
  Ballot,
  ConfigProblem,
  ConfigState,
  HardState,
  NodeId,
  PersistRequest,
  RecoveredState,
  Round,
  Slot,
  SlotValue,
  Snapshot,
  SnapshotMeta,
} from '@flexpaxos/paxos';
export type { StateSpace, StateWrite } from '@flexpaxos/kv';

import type { Slot } from '@flexpaxos/paxos';

/** Brands a non-negative safe integer as a `Slot`. */
export function toSlot(n: number): Slot {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`slot must be a non-negative safe integer, got ${n}`);
  }
  return n as Slot;
}
