import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStorage } from '@flexpaxos/storage-rocksdb';
import type { RocksStore, Slot } from '@flexpaxos/storage-rocksdb';
import { dropUnsyncedWal, readWatermark } from '../src/power-loss.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'flexpaxos-power-loss-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const enc = new TextEncoder();

/** Synced bundle n: promise round n, accept slot n, data w<n>, applied n. */
async function synced(store: RocksStore, n: number): Promise<void> {
  const slot = n as Slot;
  await store.persist(
    {
      request: {
        hardState: { promised: { round: n, nodeId: 1 } as never, committed: slot },
        entries: [
          {
            slot,
            ballot: { round: n, nodeId: 1 } as never,
            value: { kind: 'commands', commands: [enc.encode(`v${n}`)] },
          },
        ],
        snapshot: undefined,
        truncateBelow: undefined,
      },
      stateWrites: [{ space: 'data', key: enc.encode(`w${n}`), value: enc.encode(String(n)) }],
      applied: slot,
    },
    n,
  );
}

/** Copies a data directory while its store is open: what a kill -9 leaves on disk. */
function crashCopy(dir: string): string {
  const copy = tempDir();
  cpSync(dir, copy, { recursive: true });
  return copy;
}

async function keys(dir: string): Promise<{ applied: number; round: number; data: string[] }> {
  const store = await openStorage({ dir, clusterId: 'pl', nodeId: 1 });
  try {
    const data: string[] = [];
    for await (const r of store.records()) data.push(new TextDecoder().decode(r.key));
    return {
      applied: store.recovered.applied,
      round: store.recovered.hardState.promised.round,
      data: data.sort(),
    };
  } finally {
    await store.close();
  }
}

describe('dropUnsyncedWal', () => {
  it('drops the writes after the last durable group and keeps every acknowledged one', async () => {
    const dir = tempDir();
    const store = await openStorage({ dir, clusterId: 'pl', nodeId: 1 });
    for (let n = 1; n <= 40; n++) await synced(store, n);
    // Lazy bundles: written (and readable) without an fsync of their own.
    for (let n = 41; n <= 45; n++) {
      await store.persist(
        { stateWrites: [{ space: 'data', key: enc.encode(`lazy${n}`), value: enc.encode('x') }] },
        undefined,
        { sync: false },
      );
    }
    const killed = crashCopy(dir);
    await store.close();
    // kill -9 alone loses nothing that reached the kernel:
    expect((await keys(crashCopy(killed))).data).toContain('lazy45');
    const watermark = readWatermark(killed);
    expect(watermark).toBeGreaterThan(0);
    const report = dropUnsyncedWal(killed);
    expect(report.watermark).toBe(watermark);
    expect(report.droppedBatches).toBe(5);
    const after = await keys(killed);
    expect(after.round).toBe(40);
    expect(after.applied).toBe(40);
    expect(after.data.filter((k) => k.startsWith('lazy'))).toEqual([]);
    expect(after.data.filter((k) => k.startsWith('w'))).toHaveLength(40);
  });

  it('reads records fragmented across WAL blocks (large batches)', async () => {
    const dir = tempDir();
    const store = await openStorage({ dir, clusterId: 'pl', nodeId: 1 });
    // Incompressible values, so every record spans several 32 KiB blocks (compressed or not).
    const big = (n: number): Uint8Array =>
      Uint8Array.from({ length: 100_000 }, (_, i) => (Math.imul(i + n, 2654435761) >>> 13) & 255);
    for (let n = 1; n <= 3; n++) {
      await store.persist(
        {
          stateWrites: [{ space: 'data', key: enc.encode(`big${n}`), value: big(n) }],
          applied: n as Slot,
        },
        undefined,
      );
    }
    await store.persist(
      { stateWrites: [{ space: 'data', key: enc.encode('big-lazy'), value: big(9) }] },
      undefined,
      { sync: false },
    );
    const killed = crashCopy(dir);
    await store.close();
    expect(dropUnsyncedWal(killed).droppedBatches).toBe(1);
    expect((await keys(killed)).data).toEqual(['big1', 'big2', 'big3']);
  });

  it('drops nothing when every write is durable, and the store reopens as it was', async () => {
    const dir = tempDir();
    const store = await openStorage({ dir, clusterId: 'pl', nodeId: 1 });
    for (let n = 1; n <= 10; n++) await synced(store, n);
    const killed = crashCopy(dir);
    await store.close();
    expect(dropUnsyncedWal(killed)).toMatchObject({ droppedBatches: 0, truncated: [] });
    expect(await keys(killed)).toMatchObject({ round: 10, applied: 10 });
  });
});
