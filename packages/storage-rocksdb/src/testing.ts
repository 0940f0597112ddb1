/**
 * `@flexpaxos/storage-rocksdb/testing`: what only tests and benchmarks use, kept off the main
 * entry point: point reads of the stored applied index and KV records (the node reads the KV
 * state only through `RocksStore.records()`), and a store without group commit (one fsync per
 * bundle: the baseline of the group-commit benchmark).
 */
import { decodeU64 } from './codec.js';
import type { Slot, StateSpace } from './contract-types.js';
import { classifyIoError } from './errors.js';
import { KeyPrefix, singletonKey, stateKey } from './key-layout.js';
import type { StorageOptions } from './options.js';
import { openStore, storeDatabase } from './store.js';
import type { RocksStore } from './store.js';

/** `StorageOptions` plus the switches only tests and benchmarks turn. */
export interface TestingStorageOptions extends StorageOptions {
  /**
   * Group commit (default `true`). `false` writes every bundle in its own synced batch (one
   * fsync per bundle): the baseline the group-commit benchmark compares against.
   */
  readonly groupCommit?: boolean;
}

/** `openStorage` with the test-only switches of {@link TestingStorageOptions}. */
export function openStorageForTesting(options: TestingStorageOptions): Promise<RocksStore> {
  const { groupCommit, ...rest } = options;
  return openStore(rest, groupCommit ?? true);
}

/** The applied index as currently stored (written, synced or not). */
export async function readApplied(store: RocksStore): Promise<Slot> {
  if (store.failure) throw store.failure;
  const [value] = await storeDatabase(store).getMany([singletonKey(KeyPrefix.applied)]);
  return (value === undefined ? 0 : decodeU64(value)) as Slot;
}

/** One KV record as currently stored, or `undefined` if absent. */
export async function readRecord(
  store: RocksStore,
  space: StateSpace,
  key: Uint8Array,
): Promise<Uint8Array | undefined> {
  if (store.failure) throw store.failure;
  try {
    const [value] = await storeDatabase(store).getMany([stateKey(space, key)]);
    return value;
  } catch (err) {
    throw classifyIoError(err, 'reading a KV record');
  }
}
