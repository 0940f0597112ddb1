/**
 * The key layout of the single RocksDB instance of a node (default column family only).
 *
 * | prefix | key                         | value                                            |
 * | ------ | --------------------------- | ------------------------------------------------ |
 * | `0x01` | `01`                        | identity JSON `{formatVersion, clusterId, nodeId}` |
 * | `0x02` | `02`                        | hard state: promised round u64, node u64, committed u64 |
 * | `0x03` | `03` + slot u64 BE          | accepted entry: ballot round u64, node u64, value |
 * | `0x04` | `04`                        | snapshot meta: index u64                         |
 * | `0x10` | `10`                        | applied index u64                                |
 * | `0x11` | `11` + user key             | KV data value (opaque to storage)                |
 * | `0x12` | `12` + session key          | client session record (opaque to storage)        |
 *
 * Slots are big-endian so an iterator visits the log in slot order. The state-machine keys
 * (`0x10`..`0x12`) are contiguous, so one iterator (which reads one implicit RocksDB
 * snapshot) sees the applied index, the data and the sessions at the same point in time.
 * All integers are unsigned big-endian; u64 fields hold JavaScript safe integers.
 */
import { assert } from '@flexpaxos/paxos';
import type { Slot, StateSpace } from './contract-types.js';

/** One-byte key prefixes; see the module comment for the full layout. */
export const KeyPrefix = {
  meta: 0x01,
  hardState: 0x02,
  entry: 0x03,
  snapshotMeta: 0x04,
  baseConfig: 0x05,
  applied: 0x10,
  data: 0x11,
  sessions: 0x12,
} as const;

/** The first prefix after the state-machine range `[0x10, 0x13)`. */
export const STATE_MACHINE_END = 0x13;

/** Writes a non-negative safe integer as 8 big-endian bytes. */
export function writeU64(buf: Buffer, offset: number, n: number): void {
  assert(
    Number.isSafeInteger(n) && n >= 0,
    `u64 field must be a non-negative safe integer, got ${n}`,
  );
  buf.writeUInt32BE(Math.floor(n / 0x1_0000_0000), offset);
  buf.writeUInt32BE(n >>> 0, offset + 4);
}

/** Reads 8 big-endian bytes written by `writeU64`. */
export function readU64(buf: Uint8Array, offset: number): number {
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = view.readUInt32BE(offset) * 0x1_0000_0000 + view.readUInt32BE(offset + 4);
  assert(Number.isSafeInteger(n), `stored u64 ${n} is not a safe integer`);
  return n;
}

/** A one-byte key (meta, hard state, snapshot meta, applied index). */
export function singletonKey(prefix: number): Buffer {
  return Buffer.from([prefix]);
}

/** The key of the accepted entry at `slot`. */
export function entryKey(slot: Slot | number): Buffer {
  const key = Buffer.allocUnsafe(9);
  key[0] = KeyPrefix.entry;
  writeU64(key, 1, slot);
  return key;
}

/** The slot of an entry key. */
export function slotOfEntryKey(key: Uint8Array): number {
  assert(key.length === 9 && key[0] === KeyPrefix.entry, 'not an entry key');
  return readU64(key, 1);
}

/** The prefix byte of a KV space. */
export function spacePrefix(space: StateSpace): number {
  return space === 'data' ? KeyPrefix.data : KeyPrefix.sessions;
}

/** The RocksDB key of a KV key in `space`. */
export function stateKey(space: StateSpace, key: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(key.length + 1);
  out[0] = spacePrefix(space);
  out.set(key, 1);
  return out;
}

/** Splits a RocksDB key in the KV range into its space and user key. */
export function parseStateKey(key: Uint8Array): { space: StateSpace; key: Uint8Array } {
  const prefix = key[0];
  assert(
    prefix === KeyPrefix.data || prefix === KeyPrefix.sessions,
    `not a KV key (prefix ${prefix})`,
  );
  return { space: prefix === KeyPrefix.data ? 'data' : 'sessions', key: key.subarray(1) };
}
