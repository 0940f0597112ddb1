import { describe, expect, it } from 'vitest';
import { ChunkReassembler } from '../src/index.js';
import type { Chunk } from '../src/index.js';

function chunksOf(
  data: Uint8Array,
  size: number,
  transferId: number,
  incarnation = 7,
  from = 1,
): Chunk[] {
  const count = Math.ceil(data.length / size);
  return Array.from({ length: count }, (_, index) => ({
    from,
    to: 2,
    incarnation,
    transferId,
    index,
    count,
    totalBytes: data.length,
    offset: index * size,
    bytes: data.subarray(index * size, Math.min(data.length, (index + 1) * size)),
  }));
}

const data = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);

describe('ChunkReassembler', () => {
  it('reassembles chunks in any order and ignores duplicates', () => {
    const r = new ChunkReassembler(
      { timeoutMs: 1000, bytesMax: 10_000, transfersPerSenderMax: 2 },
      () => 0,
    );
    const chunks = chunksOf(data, 300, 1).reverse();
    expect(r.add(chunks[0]!).kind).toBe('pending');
    expect(r.add(chunks[0]!).kind).toBe('duplicate');
    expect(r.add(chunks[1]!).kind).toBe('pending');
    expect(r.add(chunks[2]!).kind).toBe('pending');
    const last = r.add(chunks[3]!);
    expect(last.kind).toBe('complete');
    if (last.kind === 'complete') expect(last.entry).toEqual(data);
    expect(r.bytesHeld).toBe(0);
  });

  it('expires a partial transfer after the timeout on the injected clock', () => {
    let now = 0;
    const r = new ChunkReassembler(
      { timeoutMs: 1000, bytesMax: 10_000, transfersPerSenderMax: 2 },
      () => now,
    );
    const chunks = chunksOf(data, 300, 1);
    r.add(chunks[0]!);
    now = 999;
    expect(r.expire()).toBe(0);
    now = 1000;
    expect(r.expire()).toBe(1);
    expect(r.bytesHeld).toBe(0);
    expect(r.droppedTransfers).toBe(1);
    // The rest of the transfer starts a new partial that never completes.
    for (const c of chunks.slice(1)) expect(r.add(c).kind).toBe('pending');
  });

  it('bounds bytes held by evicting the oldest transfers and refuses oversized messages', () => {
    const r = new ChunkReassembler(
      { timeoutMs: 1000, bytesMax: 2500, transfersPerSenderMax: 10 },
      () => 0,
    );
    r.add(chunksOf(data, 300, 1, 7, 1)[0]!);
    r.add(chunksOf(data, 300, 1, 7, 3)[0]!);
    expect(r.bytesHeld).toBe(2000);
    r.add(chunksOf(data, 300, 2, 7, 4)[0]!);
    expect(r.bytesHeld).toBe(2000);
    expect(r.partialCount).toBe(2);
    expect(r.droppedTransfers).toBe(1);
    const huge = chunksOf(new Uint8Array(3000), 1000, 9)[0]!;
    expect(r.add(huge)).toMatchObject({ kind: 'rejected' });
  });

  it('keeps transfers of a restarted sender (new incarnation) apart and bounds them per sender', () => {
    const r = new ChunkReassembler(
      { timeoutMs: 1000, bytesMax: 100_000, transfersPerSenderMax: 1 },
      () => 0,
    );
    const old = chunksOf(data, 300, 1, 1);
    const fresh = chunksOf(
      data.map((b) => 255 - b),
      300,
      1,
      2,
    );
    r.add(old[0]!);
    r.add(fresh[0]!);
    expect(r.partialCount).toBe(2);
    let result;
    for (const c of fresh.slice(1)) result = r.add(c);
    expect(result).toMatchObject({ kind: 'complete', entry: data.map((b) => 255 - b) });
    r.add(chunksOf(data, 300, 2, 1)[0]!);
    expect(r.partialCount).toBe(1);
  });

  it('rejects a chunk that disagrees with its transfer', () => {
    const r = new ChunkReassembler(
      { timeoutMs: 1000, bytesMax: 100_000, transfersPerSenderMax: 2 },
      () => 0,
    );
    const chunks = chunksOf(data, 300, 1);
    r.add(chunks[0]!);
    expect(r.add({ ...chunks[1]!, count: 9 })).toMatchObject({ kind: 'rejected' });
    expect(r.partialCount).toBe(0);
    // More chunks than any sender would cut from 1000 bytes (at least 192 bytes per chunk).
    expect(r.add({ ...chunks[0]!, transferId: 5, count: 7 })).toMatchObject({
      kind: 'rejected',
      reason: '7 chunks for 1000 bytes',
    });
    expect(r.add({ ...chunks[0]!, transferId: 6, count: 6 }).kind).toBe('pending');
  });
});
