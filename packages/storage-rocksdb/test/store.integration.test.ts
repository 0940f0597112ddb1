import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AssertionError, type NodeId } from '@flexpaxos/paxos';
import {
  DataDirInvalidError,
  DataDirMismatchError,
  DataDirNewerFormatError,
  DataDirOlderFormatError,
  FORMAT_VERSION,
  IDENTITY_FILE,
  openStorage,
  SnapshotInvalidError,
  StorageClosedError,
  StorageConfigError,
  StorageLockedError,
} from '../src/index.js';
import type { RocksStore, StateWrite, StoredRecord } from '../src/index.js';
import { openStorageForTesting, readApplied, readRecord } from '../src/testing.js';
import {
  ballot,
  cleanupTempDirs,
  entry,
  hardState,
  request,
  slot,
  tempDir,
  text,
  utf8,
} from './helpers.js';

const stores: RocksStore[] = [];
async function open(
  dir: string,
  clusterId = 'c1',
  nodeId = 1,
  groupCommit = true,
): Promise<RocksStore> {
  const store = await openStorageForTesting({ dir, clusterId, nodeId, groupCommit });
  stores.push(store);
  return store;
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close().catch(() => undefined)));
  await cleanupTempDirs();
});

async function allRecords(store: RocksStore): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  for await (const r of store.records())
    out.push({ space: r.space, key: Uint8Array.from(r.key), value: Uint8Array.from(r.value) });
  return out;
}

describe('openStorage', () => {
  it('recovers an empty state from a new directory', async () => {
    const store = await open(await tempDir());
    expect(store.recovered).toEqual({
      hardState: hardState(0, 0, 0),
      snapshot: undefined,
      entries: [],
      applied: 0,
    });
    expect(store.identity).toEqual({ formatVersion: FORMAT_VERSION, clusterId: 'c1', nodeId: 1 });
  });

  it('rejects invalid options listing every problem', async () => {
    await expect(openStorage({ dir: '', clusterId: '', nodeId: 0 })).rejects.toThrow(
      /dir: must be a non-empty path; clusterId: must be a non-empty string; nodeId: must be a positive safe integer/,
    );
    await expect(openStorage({ dir: '', clusterId: '', nodeId: 0 })).rejects.toBeInstanceOf(
      StorageConfigError,
    );
    const err = await openStorage({ dir: '', clusterId: '', nodeId: 0 }).catch((e: unknown) => e);
    expect((err as StorageConfigError).problems).toEqual([
      { field: 'dir', rule: 'must be a non-empty path' },
      { field: 'clusterId', rule: 'must be a non-empty string' },
      { field: 'nodeId', rule: 'must be a positive safe integer, got 0' },
    ]);
  });

  it('refuses a directory of another cluster with the documented message', async () => {
    const dir = await tempDir();
    await (await open(dir, 'a', 2)).close();
    const err = await openStorage({ dir, clusterId: 'b', nodeId: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirMismatchError);
    expect((err as DataDirMismatchError).code).toBe('DATA_DIR_MISMATCH');
    expect((err as Error).message).toBe(
      `data directory ${dir} belongs to cluster 'a' node 2, not cluster 'b' node 3: ` +
        `point --data-dir at this node's own directory or remove it`,
    );
  });

  it('refuses a directory of another node of the same cluster', async () => {
    const dir = await tempDir();
    await (await open(dir, 'a', 2)).close();
    await expect(openStorage({ dir, clusterId: 'a', nodeId: 5 })).rejects.toThrow(
      `data directory ${dir} belongs to cluster 'a' node 2, not cluster 'a' node 5`,
    );
  });

  it('refuses a directory written by a newer format', async () => {
    const dir = await tempDir();
    await (await open(dir, 'a', 2)).close();
    await writeFile(
      join(dir, IDENTITY_FILE),
      JSON.stringify({ formatVersion: FORMAT_VERSION + 1, clusterId: 'a', nodeId: 2 }),
    );
    const err = await openStorage({ dir, clusterId: 'a', nodeId: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirNewerFormatError);
    const v = FORMAT_VERSION;
    expect((err as Error).message).toBe(
      `data directory ${dir} has storage format version ${v + 1}, newer than version ${v} that this build understands: ` +
        `run a flexpaxos release that supports format ${v + 1}, or point --data-dir at another directory`,
    );
  });

  it('refuses a directory written by an older format, saying how to recover', async () => {
    const dir = await tempDir();
    await (await open(dir, 'a', 2)).close();
    await writeFile(
      join(dir, IDENTITY_FILE),
      JSON.stringify({ formatVersion: FORMAT_VERSION - 1, clusterId: 'a', nodeId: 2 }),
    );
    const err = await openStorage({ dir, clusterId: 'a', nodeId: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirOlderFormatError);
    expect((err as DataDirOlderFormatError).code).toBe('DATA_DIR_OLDER_FORMAT');
    expect((err as Error).message).toMatch(/older than version \d+ .*new node id and add it back/);
  });

  it('refuses a database whose identity file was replaced by another node’s', async () => {
    const dir = await tempDir();
    await (await open(dir, 'a', 2)).close();
    await writeFile(
      join(dir, IDENTITY_FILE),
      JSON.stringify({ formatVersion: FORMAT_VERSION, clusterId: 'a', nodeId: 3 }),
    );
    // The file now claims node 3; RocksDB's own meta record still says node 2.
    await expect(openStorage({ dir, clusterId: 'a', nodeId: 3 })).rejects.toThrow(
      /belongs to cluster 'a' node 2, not cluster 'a' node 3/,
    );
  });

  it('refuses a database without its identity file', async () => {
    const dir = await tempDir();
    await (await open(dir)).close();
    await writeFile(join(dir, IDENTITY_FILE), '{not json');
    await expect(openStorage({ dir, clusterId: 'c1', nodeId: 1 })).rejects.toBeInstanceOf(
      DataDirInvalidError,
    );
  });

  it('writes the identity file as JSON', async () => {
    const dir = await tempDir();
    await open(dir, 'prod', 7);
    expect(JSON.parse(await readFile(join(dir, IDENTITY_FILE), 'utf8'))).toEqual({
      formatVersion: FORMAT_VERSION,
      clusterId: 'prod',
      nodeId: 7,
    });
  });

  it('refuses a directory another open store holds', async () => {
    const dir = await tempDir();
    await open(dir);
    await expect(openStorage({ dir, clusterId: 'c1', nodeId: 1 })).rejects.toBeInstanceOf(
      StorageLockedError,
    );
  });
});

describe('RocksStore.persist', () => {
  it('stores configuration entries and the base configuration, and recovers both', async () => {
    const dir = await tempDir();
    const store = await open(dir);
    const base = {
      incoming: {
        quorum: {
          kind: 'counting' as const,
          voters: [1, 2, 3] as NodeId[],
          replication: 2,
          election: 2,
        },
        learners: [] as NodeId[],
      },
    };
    const next = { incoming: { ...base.incoming, learners: [4 as NodeId] } };
    await store.persist(
      {
        request: {
          ...request({
            hardState: hardState(1, 1, 0),
            entries: [
              { slot: slot(1), ballot: ballot(1, 1), value: { kind: 'config', config: next } },
            ],
          }),
          baseConfig: base,
        },
      },
      0,
    );
    await store.close();
    const again = await open(dir);
    expect(again.recovered.baseConfig).toEqual(base);
    expect(again.recovered.entries).toEqual([
      { slot: 1, ballot: { round: 1, nodeId: 1 }, value: { kind: 'config', config: next } },
    ]);
  });

  it('round-trips hard state, entries, KV data, sessions and the applied index across a clean close', async () => {
    const dir = await tempDir();
    const store = await open(dir);
    const big = 'x'.repeat(100_000);
    await store.persist(
      {
        request: request({
          hardState: hardState(3, 2, 2),
          entries: [
            entry(1, 3, 2),
            entry(2, 3, 2, ['put a 1', '', big]),
            entry(300, 3, 2, ['far']),
          ],
        }),
        stateWrites: [
          { space: 'data', key: utf8('a'), value: utf8('1') },
          { space: 'data', key: utf8('b'), value: utf8('2') },
          { space: 'sessions', key: utf8('client-9'), value: utf8('seq=4') },
        ],
        applied: slot(2),
      },
      'held',
    );
    await store.persist(
      { stateWrites: [{ space: 'data', key: utf8('b'), value: undefined }] },
      null,
    );
    await store.close();

    const again = await open(dir);
    expect(again.recovered.hardState).toEqual(hardState(3, 2, 2));
    expect(again.recovered.applied).toBe(2);
    expect(again.recovered.snapshot).toBeUndefined();
    expect(again.recovered.entries).toEqual([
      entry(1, 3, 2),
      entry(2, 3, 2, ['put a 1', '', big]),
      entry(300, 3, 2, ['far']),
    ]);
    expect((await allRecords(again)).map((r) => [r.space, text(r.key), text(r.value)])).toEqual([
      ['data', 'a', '1'],
      ['sessions', 'client-9', 'seq=4'],
    ]);
    expect(text(await readRecord(again, 'data', utf8('a')))).toBe('1');
    expect(await readRecord(again, 'data', utf8('b'))).toBeUndefined();
  });

  it('reports the database size: grows with the data, kept across a reopen, none once closed', async () => {
    const dir = await tempDir();
    const store = await open(dir);
    const empty = store.dbBytes();
    expect(empty).toBeGreaterThanOrEqual(0);
    // Random bytes: RocksDB compresses its SST files, and these do not shrink.
    await store.persist(
      {
        stateWrites: Array.from({ length: 300 }, (_, i) => ({
          space: 'data' as const,
          key: utf8(`k${i}`),
          value: new Uint8Array(randomBytes(1000)),
        })),
      },
      null,
    );
    expect(store.dbBytes()).toBeGreaterThanOrEqual((empty ?? 0) + 300_000);
    await store.close();
    expect(store.dbBytes()).toBeUndefined();
    const again = await open(dir);
    expect(again.dbBytes()).toBeGreaterThanOrEqual(300_000);
  });

  it('resolves with the held messages only after the write', async () => {
    const store = await open(await tempDir());
    const held = [{ to: 2, type: 'promise' }];
    const before = store.stats().syncedWrites;
    const released = await store.persist(
      { request: request({ hardState: hardState(1, 1, 0) }) },
      held,
    );
    expect(released).toBe(held);
    expect(store.stats().syncedWrites).toBe(before + 1);
  });

  it('overwrites an entry at the same slot and truncates below a slot', async () => {
    const dir = await tempDir();
    const store = await open(dir);
    await store.persist(
      { request: request({ entries: [1, 2, 3, 4].map((s) => entry(s, 1, 1, [`v${s}`])) }) },
      0,
    );
    await store.persist(
      { request: request({ entries: [entry(3, 2, 2, ['new'])], truncateBelow: slot(3) }) },
      0,
    );
    await store.close();
    const again = await open(dir);
    expect(again.recovered.entries).toEqual([entry(3, 2, 2, ['new']), entry(4, 1, 1, ['v4'])]);
  });

  it('asserts that the promised ballot never goes back', async () => {
    const store = await open(await tempDir());
    await store.persist({ request: request({ hardState: hardState(5, 2, 0) }) }, 0);
    expect(() => store.persist({ request: request({ hardState: hardState(5, 1, 0) }) }, 0)).toThrow(
      AssertionError,
    );
    await store.persist({ request: request({ hardState: hardState(5, 2, 7) }) }, 0);
  });

  it('groups concurrent bundles into few synced writes', async () => {
    const store = await open(await tempDir());
    const before = store.stats();
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        store.persist({ request: request({ entries: [entry(i + 1, 1, 1, [`c${i}`])] }) }, i),
      ),
    );
    const after = store.stats();
    expect(after.bundlesWritten - before.bundlesWritten).toBe(100);
    expect(after.syncedWrites - before.syncedWrites).toBeLessThanOrEqual(2);
  });

  it('writes one synced batch per bundle without group commit', async () => {
    const store = await open(await tempDir(), 'c1', 1, false);
    const before = store.stats().syncedWrites;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.persist({ request: request({ entries: [entry(i + 1, 1, 1)] }) }, i),
      ),
    );
    expect(store.stats().syncedWrites - before).toBe(20);
  });

  it('keeps call order: a later bundle wins over an earlier one in the same batch', async () => {
    const dir = await tempDir();
    const store = await open(dir);
    await Promise.all([
      store.persist(
        {
          stateWrites: [{ space: 'data', key: utf8('k'), value: utf8('first') }],
          applied: slot(1),
        },
        0,
      ),
      store.persist(
        {
          stateWrites: [{ space: 'data', key: utf8('k'), value: utf8('second') }],
          applied: slot(2),
        },
        0,
      ),
    ]);
    expect(text(await readRecord(store, 'data', utf8('k')))).toBe('second');
    expect(await readApplied(store)).toBe(2);
  });

  it('writes the base configuration with the compaction that deletes the configuration entries', async () => {
    const dir = await tempDir();
    const store = await open(dir);
    const quorum = (voters: number[]) => ({
      incoming: {
        quorum: {
          kind: 'counting' as const,
          voters: voters as NodeId[],
          replication: 2,
          election: voters.length - 1,
        },
        learners: [] as NodeId[],
      },
    });
    const base = quorum([1, 2, 3]);
    const grown = quorum([1, 2, 3, 4]);
    await store.persist(
      {
        request: {
          ...request({
            hardState: hardState(1, 1, 2),
            entries: [
              { slot: slot(1), ballot: ballot(1, 1), value: { kind: 'config', config: grown } },
              { slot: slot(2), ballot: ballot(1, 1), value: { kind: 'noop' } },
            ],
          }),
          baseConfig: base,
        },
      },
      0,
    );
    await store.persist({ applied: slot(2) }, 0);
    // The configuration entry at slot 1 goes with the log; the grown configuration must stay.
    await store.compact(slot(2), grown);
    await store.close();
    const again = await open(dir);
    expect(again.recovered.entries).toEqual([]);
    expect(again.recovered.baseConfig).toEqual(grown);
  });

  it('asserts that compaction does not pass the applied index', async () => {
    const store = await open(await tempDir());
    await store.persist({ applied: slot(4) }, 0);
    expect(() => store.compact(slot(5))).toThrow(AssertionError);
    await store.compact(slot(4));
  });

  it('rejects after close with StorageClosedError', async () => {
    const store = await open(await tempDir());
    await store.close();
    await expect(store.persist({}, 0)).rejects.toBeInstanceOf(StorageClosedError);
  });

  it('rejects a snapshot whose data does not match its meta and stays healthy', async () => {
    const store = await open(await tempDir());
    const snap = await (
      await open(await tempDir(), 'c1', 2)
    ).createSnapshot({ maxChunkBytes: 1024 });
    const chunks: Uint8Array[] = [];
    for await (const c of snap.chunks) chunks.push(c);
    const data = Buffer.concat(chunks);
    await expect(
      store.persist({ request: request({ snapshot: { meta: { index: slot(9) }, data } }) }, 0),
    ).rejects.toBeInstanceOf(SnapshotInvalidError);
    await expect(
      store.persist(
        {
          request: request({ snapshot: { meta: { index: slot(0) }, data: data.subarray(0, 10) } }),
        },
        0,
      ),
    ).rejects.toBeInstanceOf(SnapshotInvalidError);
    expect(store.failure).toBeUndefined();
  });
});

describe('RocksStore snapshots', () => {
  it('installs a foreign snapshot format through decodeSnapshot', async () => {
    const store = await openStorage({
      dir: await tempDir(),
      clusterId: 'c1',
      nodeId: 1,
      decodeSnapshot: (data) => {
        const parsed = JSON.parse(new TextDecoder().decode(data)) as {
          index: number;
          kv: [string, string][];
        };
        return {
          index: parsed.index,
          records: parsed.kv.map(([k, v]) => ({
            space: 'data' as const,
            key: utf8(k),
            value: utf8(v),
          })),
        };
      },
    });
    stores.push(store);
    const data = utf8(
      JSON.stringify({
        index: 7,
        kv: [
          ['a', '1'],
          ['b', '2'],
        ],
      }),
    );
    await store.persist({ request: request({ snapshot: { meta: { index: slot(7) }, data } }) }, 0);
    expect((await allRecords(store)).map((r) => `${text(r.key)}=${text(r.value)}`)).toEqual([
      'a=1',
      'b=2',
    ]);
    expect(await readApplied(store)).toBe(7);
    await expect(
      store.persist(
        { request: request({ snapshot: { meta: { index: slot(8) }, data: utf8('{bad') } }) },
        0,
      ),
    ).rejects.toBeInstanceOf(SnapshotInvalidError);
  });

  async function fill(store: RocksStore, n: number, applied: number): Promise<void> {
    const writes: StateWrite[] = Array.from({ length: n }, (_, i) => ({
      space: i % 5 === 0 ? 'sessions' : 'data',
      key: utf8(`key-${String(i).padStart(4, '0')}`),
      value: utf8(`value-${i}-${'v'.repeat(i % 37)}`),
    }));
    await store.persist(
      {
        request: request({
          entries: Array.from({ length: applied }, (_, i) => entry(i + 1, 1, 1, [`cmd${i}`])),
        }),
        stateWrites: writes,
        applied: slot(applied),
      },
      0,
    );
  }

  async function collect(chunks: AsyncIterable<Uint8Array>, max: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for await (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(max);
      out.push(Uint8Array.from(c));
    }
    return out;
  }

  it('streams a point-in-time view in bounded chunks, unaffected by later writes', async () => {
    const source = await open(await tempDir());
    await fill(source, 200, 10);
    const snap = await source.createSnapshot({ maxChunkBytes: 64 });
    expect(snap.meta).toEqual({ index: 10 });
    const expected = await allRecords(source);
    // Writes after the snapshot was taken must not show up in it.
    await source.persist(
      {
        stateWrites: [
          { space: 'data', key: utf8('key-0001'), value: utf8('changed') },
          { space: 'data', key: utf8('zzz'), value: utf8('new') },
        ],
        applied: slot(11),
      },
      0,
    );
    const chunks = await collect(snap.chunks, 64);
    expect(chunks.length).toBeGreaterThan(100);
    const target = await open(await tempDir(), 'c1', 2);
    await target.persist(
      { stateWrites: [{ space: 'data', key: utf8('stale'), value: utf8('x') }], applied: slot(3) },
      0,
    );
    expect(await target.installSnapshot(chunks)).toEqual({ index: 10 });
    expect(await allRecords(target)).toEqual(expected);
    expect(await readApplied(target)).toBe(10);
  });

  it('compacts the log, and a store installed from the snapshot has identical KV state and recovers it', async () => {
    const sourceDir = await tempDir();
    const source = await open(sourceDir);
    await fill(source, 300, 20);
    await source.persist({ request: request({ entries: [entry(21, 1, 1, ['tail'])] }) }, 0);
    await source.compact(slot(20));
    const snap = await source.createSnapshot({ maxChunkBytes: 4096 });
    const chunks = await collect(snap.chunks, 4096);
    await source.close();

    const reopened = await open(sourceDir);
    expect(reopened.recovered.snapshot).toEqual({ index: 20 });
    expect(reopened.recovered.entries).toEqual([entry(21, 1, 1, ['tail'])]);

    const targetDir = await tempDir();
    const target = await open(targetDir, 'c1', 3);
    await target.persist({ request: request({ entries: [entry(5, 1, 1), entry(25, 1, 1)] }) }, 0);
    // Install through the replica's persist path: Snapshot.data is the concatenated stream.
    await target.persist(
      {
        request: request({
          snapshot: { meta: snap.meta, data: Buffer.concat(chunks) },
          hardState: hardState(1, 1, 20),
        }),
      },
      0,
    );
    expect(await allRecords(target)).toEqual(await allRecords(reopened));
    await target.close();
    const targetAgain = await open(targetDir, 'c1', 3);
    expect(targetAgain.recovered.snapshot).toEqual({ index: 20 });
    expect(targetAgain.recovered.applied).toBe(20);
    expect(targetAgain.recovered.entries).toEqual([entry(25, 1, 1)]);
    expect(await allRecords(targetAgain)).toEqual(await allRecords(reopened));
  });
});
