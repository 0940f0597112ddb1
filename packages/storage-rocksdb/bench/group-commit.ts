/**
 * Group-commit benchmark: synced throughput of `RocksStore.persist` with group commit versus
 * one fsync per write, at 1, 16 and 256 concurrent writers. Each write is one acceptor bundle:
 * one accepted entry (a 128-byte command) plus the hard state. Every synced WAL write is
 * followed by a WAL-watermark fdatasync (overlapping the next WAL write); both are counted.
 *
 * Run: `pnpm --filter @flexpaxos/storage-rocksdb bench` (or `tsx bench/group-commit.ts`).
 * Options: `--duration-ms N` per configuration (default 3000), `--writers 1,16,256`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openStorageForTesting } from '../src/testing.js';
import type { Ballot, PersistRequest, Slot } from '../src/index.js';

const { values } = parseArgs({
  options: {
    'duration-ms': { type: 'string', default: '3000' },
    writers: { type: 'string', default: '1,16,256' },
  },
});
const durationMs = Number(values['duration-ms']);
const writerCounts = values.writers.split(',').map(Number);

interface Result {
  mode: string;
  writers: number;
  entriesPerSec: number;
  fsyncsPerSec: number;
  watermarkSyncsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function run(groupCommit: boolean, writers: number): Promise<Result> {
  const dir = await mkdtemp(join(tmpdir(), 'flexpaxos-bench-'));
  const store = await openStorageForTesting({ dir, clusterId: 'bench', nodeId: 1, groupCommit });
  const command = new Uint8Array(128).fill(42);
  const ballot = { round: 1, nodeId: 1 } as unknown as Ballot;
  const latencies: number[] = [];
  let nextSlot = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  const before = store.stats();
  async function writer(): Promise<void> {
    while (performance.now() < deadline) {
      const slot = ++nextSlot as Slot;
      const request: PersistRequest = {
        hardState: { promised: ballot, committed: slot },
        entries: [{ slot, ballot, value: { kind: 'commands', commands: [command] } }],
        snapshot: undefined,
        truncateBelow: undefined,
      };
      const t0 = performance.now();
      await store.persist({ request }, undefined);
      latencies.push(performance.now() - t0);
    }
  }
  await Promise.all(Array.from({ length: writers }, () => writer()));
  const elapsedSec = (performance.now() - start) / 1000;
  const after = store.stats();
  await store.close();
  await rm(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  return {
    mode: groupCommit ? 'group commit' : 'fsync per write',
    writers,
    entriesPerSec: Math.round((after.bundlesWritten - before.bundlesWritten) / elapsedSec),
    fsyncsPerSec: Math.round((after.syncedWrites - before.syncedWrites) / elapsedSec),
    watermarkSyncsPerSec: Math.round((after.watermarkSyncs - before.watermarkSyncs) / elapsedSec),
    p50Ms: Number(percentile(latencies, 50).toFixed(2)),
    p99Ms: Number(percentile(latencies, 99).toFixed(2)),
  };
}

const results: Result[] = [];
for (const writers of writerCounts) {
  for (const groupCommit of [false, true]) {
    const r = await run(groupCommit, writers);
    results.push(r);
    console.log(
      `${r.mode.padEnd(16)} writers=${String(r.writers).padStart(3)}  entries/s=${String(r.entriesPerSec).padStart(7)}  ` +
        `WAL fsyncs/s=${String(r.fsyncsPerSec).padStart(6)}  watermark fsyncs/s=${String(r.watermarkSyncsPerSec).padStart(6)}  p50=${r.p50Ms} ms  p99=${r.p99Ms} ms`,
    );
  }
}
console.log(
  '\n| mode | writers | entries/s | WAL fsyncs/s | watermark fsyncs/s | p50 ms | p99 ms |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  console.log(
    `| ${r.mode} | ${r.writers} | ${r.entriesPerSec} | ${r.fsyncsPerSec} | ${r.watermarkSyncsPerSec} | ${r.p50Ms} | ${r.p99Ms} |`,
  );
}
