/**
 * The coupling between the pure KV state machine and a durable store.
 *
 * The state machine keeps its authoritative state in memory. Every `apply` also returns the
 * exact key/value records that changed, so a storage adapter can put them in the same atomic
 * write batch as the applied index ("applying a slot and recording the applied index happen
 * in one atomic storage write", design brief, "The key-value state machine"). On restart the
 * adapter hands the records of each space back to `KvStateMachine.fromRecords`.
 */

/**
 * Which keyspace a record belongs to. A store keeps them apart (key prefixes or column
 * families): `data` holds user keys, `sessions` holds the exactly-once client session table.
 */
export type StateSpace = 'data' | 'sessions';

/** All spaces, in a stable order. */
export const STATE_SPACES: readonly StateSpace[] = ['data', 'sessions'];

/**
 * One record to write (or delete) in the same atomic batch as the applied index.
 *
 * `key` and `value` are opaque bytes produced by the state machine; the store must persist
 * them unchanged. `value === undefined` means delete the key.
 */
export interface StateWrite {
  readonly space: StateSpace;
  readonly key: Uint8Array;
  /** The new record, or `undefined` to delete it. */
  readonly value: Uint8Array | undefined;
}
