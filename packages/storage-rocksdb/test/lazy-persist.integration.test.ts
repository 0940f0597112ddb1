import { afterEach, describe, expect, it } from 'vitest';
import type { RocksStore } from '../src/index.js';
import { openStorageForTesting, readApplied, readRecord } from '../src/testing.js';
import { cleanupTempDirs, entry, hardState, request, slot, tempDir, utf8 } from './helpers.js';

const stores: RocksStore[] = [];
async function open(dir: string, groupCommit = true): Promise<RocksStore> {
  const store = await openStorageForTesting({ dir, clusterId: 'c1', nodeId: 1, groupCommit });
  stores.push(store);
  return store;
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close().catch(() => undefined)));
  await cleanupTempDirs();
});

const kvWrite = (key: string, value: string) =>
  ({ space: 'data', key: utf8(key), value: utf8(value) }) as const;

describe('lazy (sync: false) bundles', () => {
  it('are written without an fsync of their own and readable once resolved', async () => {
    const store = await open(await tempDir());
    await store.persist({ request: request({ hardState: hardState(3, 1, 0) }) }, 0);
    const before = store.stats();
    const held = await store.persist(
      {
        request: request({ hardState: hardState(3, 1, 5) }),
        stateWrites: [kvWrite('a', '1')],
        applied: slot(5),
      },
      'held',
      { sync: false },
    );
    expect(held).toBe('held');
    const after = store.stats();
    expect(after.syncedWrites - before.syncedWrites).toBe(0);
    expect(after.unsyncedWrites - before.unsyncedWrites).toBe(1);
    expect(after.bundlesWritten - before.bundlesWritten).toBe(1);
    expect(await readApplied(store)).toBe(5);
    expect(Buffer.from((await readRecord(store, 'data', utf8('a')))!).toString()).toBe('1');
  });

  it('share the synced write of a group they are queued with', async () => {
    const store = await open(await tempDir());
    const before = store.stats();
    await Promise.all([
      store.persist({ request: request({ entries: [entry(1, 1, 1, ['x'])] }) }, 0),
      store.persist({ applied: slot(1), stateWrites: [kvWrite('k', 'v')] }, 0, { sync: false }),
      store.persist({ request: request({ entries: [entry(2, 1, 1, ['y'])] }) }, 0),
    ]);
    const after = store.stats();
    expect(after.syncedWrites - before.syncedWrites).toBe(1);
    expect(after.unsyncedWrites - before.unsyncedWrites).toBe(0);
    expect(after.bundlesWritten - before.bundlesWritten).toBe(3);
  });

  it('are recovered in call order with the synced bundles around them', async () => {
    const dir = await tempDir();
    const store = await open(dir);
    await store.persist(
      { request: request({ hardState: hardState(2, 1, 0), entries: [entry(1, 2, 1, ['a'])] }) },
      0,
    );
    await store.persist(
      { request: request({ hardState: hardState(2, 1, 1) }), applied: slot(1) },
      0,
      {
        sync: false,
      },
    );
    await store.persist({ request: request({ entries: [entry(2, 2, 1, ['b'])] }) }, 0);
    await store.close();
    const again = await open(dir);
    expect(again.recovered.hardState).toEqual(hardState(2, 1, 1));
    expect(again.recovered.applied).toBe(1);
    expect(again.recovered.entries.map((e) => e.slot)).toEqual([1, 2]);
  });
});

describe('the WAL watermark', () => {
  it('records every synced group waiting for it with one write, and releases them in order', async () => {
    const dir = await tempDir();
    // Without group commit every bundle is its own synced write; they all queue behind the
    // first watermark write, and the next watermark write covers the rest.
    const store = await open(dir, false);
    const before = store.stats();
    const released: number[] = [];
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store
          .persist({ request: request({ entries: [entry(i + 1, 1, 1, [`c${i}`])] }) }, i)
          .then((held) => released.push(held)),
      ),
    );
    const after = store.stats();
    expect(after.syncedWrites - before.syncedWrites).toBe(50);
    expect(after.watermarkSyncs - before.watermarkSyncs).toBeLessThan(50);
    expect(released).toEqual(Array.from({ length: 50 }, (_, i) => i));
    await store.close();
    const again = await open(dir);
    expect(again.recovered.entries.map((e) => e.slot)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });
});
