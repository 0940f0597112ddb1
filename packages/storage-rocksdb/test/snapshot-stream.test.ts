import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SnapshotInvalidError } from '../src/errors.js';
import {
  decodeSnapshotStream,
  encodeSnapshotStream,
  SnapshotDecoder,
} from '../src/snapshot-stream.js';
import type { SnapshotRecord } from '../src/snapshot-stream.js';

async function* from<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield await Promise.resolve(item);
}

async function encode(
  index: number,
  records: readonly SnapshotRecord[],
  max: number,
): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const c of encodeSnapshotStream(index, from(records), max))
    chunks.push(Uint8Array.from(c));
  return chunks;
}

const recordArb: fc.Arbitrary<SnapshotRecord> = fc.record({
  space: fc.constantFrom('data' as const, 'sessions' as const),
  key: fc.uint8Array({ maxLength: 40 }),
  value: fc.uint8Array({ maxLength: 200 }),
});

describe('encodeSnapshotStream', () => {
  it('cuts chunks no larger than the bound and decodes back across any re-chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(recordArb, { maxLength: 30 }),
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 5 }),
        async (index, records, max, cuts) => {
          const chunks = await encode(index, records, max);
          for (const c of chunks) expect(c.length).toBeLessThanOrEqual(max);
          const whole = Buffer.concat(chunks);
          expect(decodeSnapshotStream(whole)).toEqual({ index, records });
          // Feed the same bytes in arbitrary pieces.
          const decoder = new SnapshotDecoder();
          let off = 0;
          let i = 0;
          while (off < whole.length) {
            const n = cuts[i++ % cuts.length] ?? 1;
            decoder.push(whole.subarray(off, off + n));
            off += n;
          }
          expect(decoder.finish()).toEqual({ index, records });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('detects a truncated stream', async () => {
    const chunks = await encode(
      5,
      [{ space: 'data', key: new Uint8Array([1]), value: new Uint8Array([2]) }],
      1000,
    );
    const whole = Buffer.concat(chunks);
    for (let cut = 0; cut < whole.length; cut++) {
      expect(() => decodeSnapshotStream(whole.subarray(0, cut))).toThrow(SnapshotInvalidError);
    }
  });

  it('detects bytes after the trailer and a wrong magic', async () => {
    const whole = Buffer.concat(await encode(5, [], 1000));
    expect(() => decodeSnapshotStream(Buffer.concat([whole, Buffer.from([0])]))).toThrow(
      /after its trailer/,
    );
    expect(() => decodeSnapshotStream(Buffer.from('XXXX0000000000000'))).toThrow(/bad magic/);
  });
});
