import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, open, readdir, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { openStorage, ROCKSDB_DIR, StorageCorruptionError } from '../src/index.js';
import { bundleFixture, startChild } from './child-process.js';
import { cleanupTempDirs, tempDir } from './helpers.js';

/**
 * What RocksDB's WAL replay does with a torn or corrupted WAL, as this binding opens it
 * (`kPointInTimeRecovery`, the only mode `@nxtedition/rocksdb` offers; see the README).
 */
let bundle: string;
let killedDir: string;
let intactRound: number;

beforeAll(async () => {
  bundle = await bundleFixture('crash-writer');
  // A directory whose WAL holds a few hundred synced bundles, left by a SIGKILL (no flush).
  killedDir = await tempDir();
  const child = startChild(bundle, [killedDir, '4']);
  await child.waitFor(/^ack 300$/);
  child.process.kill('SIGKILL');
  await child.exited;
  const probe = await openStorage({ dir: await copyOf(killedDir), clusterId: 'crash', nodeId: 1 });
  intactRound = probe.recovered.hardState.promised.round;
  await probe.close();
});
afterAll(async () => {
  await rm(bundle, { force: true });
  await cleanupTempDirs();
});

async function copyOf(dir: string): Promise<string> {
  const copy = await tempDir();
  await cp(dir, copy, { recursive: true });
  return copy;
}

async function walFile(dir: string): Promise<{ path: string; size: number }> {
  const names = (await readdir(join(dir, ROCKSDB_DIR))).filter((n) => n.endsWith('.log')).sort();
  const last = names[names.length - 1];
  if (last === undefined) throw new Error('no WAL file');
  const path = join(dir, ROCKSDB_DIR, last);
  return { path, size: (await stat(path)).size };
}

describe('openStorage WAL recovery', () => {
  it('accepts a torn last record and recovers a consistent prefix', async () => {
    expect(intactRound).toBeGreaterThanOrEqual(300);
    const dir = await copyOf(killedDir);
    const wal = await walFile(dir);
    await truncate(wal.path, wal.size - 7);
    const store = await openStorage({ dir, clusterId: 'crash', nodeId: 1 });
    try {
      const { hardState, applied } = store.recovered;
      expect(hardState.promised.round).toBeLessThan(intactRound);
      expect(hardState.promised.round).toBeGreaterThan(intactRound - 10);
      expect(applied).toBe(hardState.promised.round);
    } finally {
      await store.close();
    }
  });

  // Known gap (README, "WAL recovery mode"): point-in-time recovery treats a corrupted record
  // in the middle of the WAL as the end of the log and silently drops every acknowledged
  // record after it. Marked `fails` so the suite shows the gap; it turns red (remove
  // `.fails`) once the binding can open with kTolerateCorruptedTailRecords.
  it.fails('refuses a corrupted record in the middle of the WAL', async () => {
    const dir = await copyOf(killedDir);
    const wal = await walFile(dir);
    const fd = await open(wal.path, 'r+');
    await fd.write(Buffer.from([0xff, 0xff, 0xff, 0xff]), 0, 4, Math.floor(wal.size / 2));
    await fd.close();
    const result = await openStorage({ dir, clusterId: 'crash', nodeId: 1 }).then(
      async (store) => {
        const round = store.recovered.hardState.promised.round;
        await store.close();
        return round;
      },
      (err: unknown) => err,
    );
    expect(result).toBeInstanceOf(StorageCorruptionError);
  });
});
