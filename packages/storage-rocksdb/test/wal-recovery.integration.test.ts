import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFile, cp, open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  openStorage,
  ROCKSDB_DIR,
  StorageCorruptionError,
  WAL_WATERMARK_FILE,
} from '../src/index.js';
import { bundleFixture, startChild } from './child-process.js';
import { cleanupTempDirs, tempDir } from './helpers.js';

/**
 * What opening does with a torn or corrupted WAL. The binding opens RocksDB with
 * `kPointInTimeRecovery` (its only mode); the WAL watermark turns a silent loss of
 * acknowledged writes into a refusal (see `wal-watermark.ts` and the README).
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
  it('accepts a torn last record (a crash in the middle of an unacknowledged append)', async () => {
    expect(intactRound).toBeGreaterThanOrEqual(300);
    const dir = await copyOf(killedDir);
    const wal = await walFile(dir);
    // Half a record header at the end: what a crash during the next append leaves.
    await appendFile(wal.path, Buffer.from([0x12, 0x34, 0x56, 0x78, 0x9a]));
    const store = await openStorage({ dir, clusterId: 'crash', nodeId: 1 });
    try {
      expect(store.recovered.hardState.promised.round).toBe(intactRound);
      expect(store.recovered.applied).toBe(intactRound);
    } finally {
      await store.close();
    }
  });

  it('refuses to open when a corrupted record in the middle of the WAL drops acknowledged writes', async () => {
    // RocksDB alone (kPointInTimeRecovery, the binding's only mode) would open and silently
    // recover a prefix; the WAL watermark catches it.
    const dir = await copyOf(killedDir);
    const wal = await walFile(dir);
    const fd = await open(wal.path, 'r+');
    await fd.write(Buffer.from([0xff, 0xff, 0xff, 0xff]), 0, 4, Math.floor(wal.size / 2));
    await fd.close();
    const err = await openStorage({ dir, clusterId: 'crash', nodeId: 1 }).then(
      async (store) => {
        const round = store.recovered.hardState.promised.round;
        await store.close();
        return `opened with promised round ${round} of ${intactRound}`;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageCorruptionError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `data directory ${dir} lost acknowledged writes: RocksDB recovered its log up to sequence \\d+, but writes up to sequence \\d+ were acknowledged`,
      ),
    );
  });

  it('does not refuse a directory whose watermark is missing', async () => {
    const dir = await copyOf(killedDir);
    await rm(join(dir, WAL_WATERMARK_FILE));
    const store = await openStorage({ dir, clusterId: 'crash', nodeId: 1 });
    expect(store.recovered.hardState.promised.round).toBe(intactRound);
    await store.close();
  });
});
