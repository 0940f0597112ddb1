/**
 * Snapshots of the KV state: creating a point-in-time snapshot stream, installing one
 * (replacing the KV state), and compaction (recording a snapshot index and dropping the log
 * below it). The store facade (`store.ts`) queues the batch builders here through group
 * commit; this file holds what they write.
 *
 * - **Create**: one RocksDB iterator over the state-machine range `0x10..0x12` (applied index,
 *   data, sessions) reads one implicit point-in-time snapshot, so the stream is consistent
 *   while writes continue; its index is the applied index it read.
 * - **Install**: one batch deletes every data and session key (one by one: the binding has no
 *   `DeleteRange` inside a batch), writes the snapshot's records, sets applied index and
 *   snapshot meta to its index and deletes the log at or below it. Its build reads the
 *   database, so group commit writes it in a batch of its own.
 * - **Compact**: snapshot meta := index, log entries at or below it deleted. The KV records
 *   themselves are the snapshot's content.
 */
import { encodeConfigState, encodeU64, decodeU64 } from './codec.js';
import type { ConfigState, Slot, SnapshotMeta } from './contract-types.js';
import { classifyIoError, SnapshotInvalidError } from './errors.js';
import {
  KeyPrefix,
  parseStateKey,
  singletonKey,
  STATE_MACHINE_END,
  stateKey,
} from './key-layout.js';
import type { LogSlots } from './log-slots.js';
import { ITERATOR_BATCH_ROWS, toBuffer } from './rocksdb-binding.js';
import type { RocksBatch, RocksDb, RocksIterator } from './rocksdb-binding.js';
import {
  decodeSnapshotStream,
  encodeSnapshotStream,
  isSnapshotStream,
  SnapshotDecoder,
} from './snapshot-stream.js';
import type { SnapshotRecord } from './snapshot-stream.js';

/** Turns foreign snapshot bytes into the records to install; throws if they are malformed. */
export type SnapshotDecodeFn = (data: Uint8Array) => {
  readonly index: number;
  readonly records: Iterable<SnapshotRecord>;
};

/** A point-in-time snapshot of the KV state, ready to stream. */
export interface SnapshotStream {
  /** The applied index the snapshot corresponds to. */
  readonly meta: SnapshotMeta;
  /** The snapshot stream (see `snapshot-stream.ts`) in chunks of at most `maxChunkBytes`. */
  readonly chunks: AsyncIterable<Uint8Array>;
}

/** A decoded snapshot, ready to be written by {@link buildInstall}. */
export interface SnapshotContent {
  readonly index: number;
  readonly records: readonly SnapshotRecord[];
}

/**
 * Decodes `Snapshot.data` of a persist request: this package's snapshot stream, or any other
 * format through `decodeSnapshot`. Throws `SnapshotInvalidError` when it does not decode.
 */
export function decodeSnapshotData(
  data: Uint8Array,
  decodeSnapshot: SnapshotDecodeFn | undefined,
): SnapshotContent {
  if (isSnapshotStream(data)) return decodeSnapshotStream(data);
  if (decodeSnapshot === undefined) {
    throw new SnapshotInvalidError(
      'snapshot data is not a flexpaxos snapshot stream, and openStorage was given no decodeSnapshot for other formats',
    );
  }
  try {
    const { index, records } = decodeSnapshot(data);
    return { index, records: [...records] };
  } catch (err) {
    throw new SnapshotInvalidError(`decodeSnapshot rejected the snapshot data: ${String(err)}`, {
      cause: err,
    });
  }
}

/** Decodes a chunked snapshot stream (from `createSnapshot` on any node), held in memory. */
export async function decodeSnapshotChunks(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<SnapshotContent> {
  const decoder = new SnapshotDecoder();
  for await (const chunk of chunks) decoder.push(chunk);
  return decoder.finish();
}

/** Adds the install of `snapshot` to `batch` (see the module comment); reads the KV keys to delete. */
export async function buildInstall(
  db: RocksDb,
  batch: RocksBatch,
  log: LogSlots,
  snapshot: SnapshotContent,
): Promise<void> {
  const it = db.iterator({
    gte: singletonKey(KeyPrefix.data),
    lt: singletonKey(STATE_MACHINE_END),
    values: false,
  });
  try {
    for (;;) {
      const rows = await it.nextv(ITERATOR_BATCH_ROWS);
      if (rows.length === 0) break;
      for (const [k] of rows) batch.del(k);
    }
  } catch (err) {
    throw classifyIoError(err, 'reading the KV keys a snapshot install replaces');
  } finally {
    await it.close();
  }
  for (const r of snapshot.records) batch.put(stateKey(r.space, r.key), toBuffer(r.value));
  batch.put(singletonKey(KeyPrefix.applied), encodeU64(snapshot.index));
  batch.put(singletonKey(KeyPrefix.snapshotMeta), encodeU64(snapshot.index));
  log.deleteBelow(batch, snapshot.index + 1);
}

/**
 * Adds the compaction at `index` to `batch`: snapshot meta := index, `baseConfig` (the
 * configuration in force above `index`) when given, log `<= index` deleted.
 */
export function buildCompact(
  batch: RocksBatch,
  log: LogSlots,
  index: Slot,
  baseConfig: ConfigState | undefined,
): void {
  batch.put(singletonKey(KeyPrefix.snapshotMeta), encodeU64(index));
  if (baseConfig !== undefined)
    batch.put(singletonKey(KeyPrefix.baseConfig), encodeConfigState(baseConfig));
  log.deleteBelow(batch, index + 1);
}

/**
 * A consistent snapshot of the KV state read through one iterator (tracked in `iterators`
 * until the stream ends, so the store can close it), as a stream in chunks of at most
 * `maxChunkBytes`.
 */
export async function openSnapshotStream(
  db: RocksDb,
  iterators: Set<RocksIterator>,
  maxChunkBytes: number,
): Promise<SnapshotStream> {
  const it = db.iterator({
    gte: singletonKey(KeyPrefix.applied),
    lt: singletonKey(STATE_MACHINE_END),
  });
  iterators.add(it);
  let first: [Buffer, Buffer][];
  try {
    first = await it.nextv(1);
  } catch (err) {
    iterators.delete(it);
    await it.close().catch(() => undefined);
    throw classifyIoError(err, 'reading a snapshot');
  }
  let index = 0;
  let carry: [Buffer, Buffer] | undefined;
  const head = first[0];
  if (head !== undefined) {
    if (head[0].length === 1 && head[0][0] === KeyPrefix.applied) index = decodeU64(head[1]);
    else carry = head;
  }
  async function* records(): AsyncGenerator<SnapshotRecord> {
    try {
      if (carry) yield { ...parseStateKey(carry[0]), value: carry[1] };
      for (;;) {
        const rows = await it.nextv(ITERATOR_BATCH_ROWS);
        if (rows.length === 0) return;
        for (const [k, v] of rows) yield { ...parseStateKey(k), value: v };
      }
    } finally {
      iterators.delete(it);
      await it.close();
    }
  }
  return {
    meta: { index: index as Slot },
    chunks: encodeSnapshotStream(index, records(), maxChunkBytes),
  };
}
