/**
 * Recovery: opening the RocksDB instance of a claimed data directory and reading back what the
 * replica needs at start.
 *
 * 1. Open RocksDB (a lock held by another process is `StorageLockedError`).
 * 2. Read meta, hard state, log, snapshot meta and applied index through **one** iterator
 *    (one consistent view); check the identity record against the directory's; refuse
 *    unknown key prefixes. The entries returned are those above the snapshot index.
 * 3. Open the WAL watermark and refuse (`StorageCorruptionError`) when RocksDB recovered its
 *    log to a sequence below it: a corrupted WAL record in the middle dropped acknowledged
 *    writes (RocksDB's `kPointInTimeRecovery`, which the binding cannot change, opens anyway).
 * 4. Write the identity record into RocksDB on first open.
 */
import { join } from 'node:path';
import { assert, ZERO_BALLOT } from '@flexpaxos/paxos';
import { decodeConfigState, decodeEntryValue, decodeHardState, decodeU64 } from './codec.js';
import type { ConfigState } from '@flexpaxos/paxos';
import type { AcceptedEntry, HardState, RecoveredState, Slot } from './contract-types.js';
import { checkIdentity, encodeIdentity, parseIdentity, ROCKSDB_DIR } from './data-dir.js';
import type { DataDirIdentity } from './data-dir.js';
import {
  classifyIoError,
  DataDirInvalidError,
  StorageCorruptionError,
  StorageError,
} from './errors.js';
import { KeyPrefix, singletonKey, slotOfEntryKey } from './key-layout.js';
import { createRocksDb, ITERATOR_BATCH_ROWS } from './rocksdb-binding.js';
import type { RocksDb } from './rocksdb-binding.js';
import { WalWatermark } from './wal-watermark.js';

/** What an acceptor that never promised has: the zero ballot nobody owns, nothing committed. */
const ZERO_HARD_STATE: HardState = { promised: ZERO_BALLOT, committed: 0 as Slot };

/** An open, recovered database with everything the store is built from. */
export interface Recovered {
  readonly db: RocksDb;
  readonly watermark: WalWatermark;
  readonly recovered: RecoveredState;
  /** Every slot with an entry in the log (the snapshot's included, until compaction deletes them). */
  readonly logSlots: readonly number[];
}

/**
 * Steps 1 to 4 of the module comment on the claimed directory `dir`. On failure closes what it
 * opened and throws a typed storage error.
 */
export async function openAndRecover(dir: string, identity: DataDirIdentity): Promise<Recovered> {
  const db = createRocksDb(join(dir, ROCKSDB_DIR));
  try {
    // Uncompressed WAL records: compressing each one on the event-loop thread cost more CPU
    // per write than the smaller WAL saved (measured with the benchmark).
    await db.open({ createIfMissing: true, walCompression: false });
  } catch (err) {
    // abstract-level wraps the RocksDB status (e.g. LEVEL_LOCKED) in LEVEL_DATABASE_NOT_OPEN.
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    throw classifyIoError(cause, `opening RocksDB in ${dir}`);
  }
  let watermark: WalWatermark | undefined;
  try {
    const { recovered, logSlots, hasMeta } = await readState(db, dir, identity);
    try {
      watermark = await WalWatermark.open(dir);
    } catch (err) {
      throw classifyIoError(err, `opening the WAL watermark in ${dir}`);
    }
    checkWatermark(dir, db.sequence, watermark.value);
    if (!hasMeta) {
      const batch = db.batch();
      batch.put(singletonKey(KeyPrefix.meta), Buffer.from(encodeIdentity(identity)));
      await batch.write({ sync: true });
    }
    return { db, watermark, recovered, logSlots };
  } catch (err) {
    await watermark?.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    if (err instanceof StorageError) throw err;
    throw classifyIoError(err, `recovering state from ${dir}`);
  }
}

/** Refuses a WAL that recovered below the last acknowledged sequence (step 3). */
function checkWatermark(dir: string, sequence: number, watermark: number | undefined): void {
  if (watermark !== undefined && sequence < watermark) {
    throw new StorageCorruptionError(
      `data directory ${dir} lost acknowledged writes: RocksDB recovered its log up to sequence ${sequence}, ` +
        `but writes up to sequence ${watermark} were acknowledged (a corrupted record in the middle of the WAL); ` +
        `this node's state cannot be trusted (it may have forgotten promises and accepted values): remove the node ` +
        `from the cluster (flexpaxos members remove), then start it on an empty directory under a new node id and add it back`,
    );
  }
}

/** Step 2: one consistent read of everything below the KV data. */
async function readState(
  db: RocksDb,
  dir: string,
  identity: DataDirIdentity,
): Promise<{ recovered: RecoveredState; logSlots: number[]; hasMeta: boolean }> {
  const it = db.iterator({ gte: singletonKey(KeyPrefix.meta), lt: singletonKey(KeyPrefix.data) });
  let hardState = ZERO_HARD_STATE;
  let snapshotIndex: number | undefined;
  let baseConfig: ConfigState | undefined;
  let applied = 0;
  let hasMeta = false;
  const entries: AcceptedEntry[] = [];
  const logSlots: number[] = [];
  try {
    for (;;) {
      const rows = await it.nextv(ITERATOR_BATCH_ROWS);
      if (rows.length === 0) break;
      for (const [key, value] of rows) {
        switch (key[0] ?? -1) {
          case KeyPrefix.meta: {
            const stored = parseIdentity(value.toString('utf8'));
            if (typeof stored === 'string') {
              throw new DataDirInvalidError(
                `data directory ${dir} has an unreadable identity record in RocksDB (${stored})`,
              );
            }
            checkIdentity(dir, stored, identity);
            hasMeta = true;
            break;
          }
          case KeyPrefix.hardState:
            hardState = decodeHardState(value);
            break;
          case KeyPrefix.entry: {
            const slot = slotOfEntryKey(key);
            logSlots.push(slot);
            entries.push(decodeEntryValue(slot as Slot, value));
            break;
          }
          case KeyPrefix.snapshotMeta:
            snapshotIndex = decodeU64(value);
            break;
          case KeyPrefix.baseConfig:
            baseConfig = decodeConfigState(value, 'base configuration');
            break;
          case KeyPrefix.applied:
            applied = decodeU64(value);
            break;
          default:
            throw new DataDirInvalidError(
              `data directory ${dir} holds an unknown key prefix ${key[0]}`,
            );
        }
      }
    }
  } finally {
    await it.close();
  }
  const above = snapshotIndex ?? 0;
  assert(applied >= above, `applied index ${applied} is below the snapshot index ${above}`);
  return {
    recovered: {
      hardState,
      snapshot: snapshotIndex === undefined ? undefined : { index: snapshotIndex as Slot },
      entries: entries.filter((e) => e.slot > above),
      applied: applied as Slot,
      baseConfig,
    },
    logSlots,
    hasMeta,
  };
}
