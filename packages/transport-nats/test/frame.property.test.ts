import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FRAME_BYTES_MIN,
  FrameEncoder,
  decodeEntry,
  decodeFrame,
  encodeEntry,
} from '../src/index.js';
import type { Chunk, PeerMessage } from '../src/index.js';

const SEED = 20261122;

/** Plain data as the core produces it: no classes, Maps, bigints, undefined or functions. */
const plain = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true }).filter((d) => !Object.is(d, -0)),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 300 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.string({ minLength: 1 }).filter((k) => k !== '__proto__'),
      tie('value'),
      { maxKeys: 4 },
    ),
  ),
})).value;

const message = (from: number, to: number): fc.Arbitrary<PeerMessage> =>
  fc
    .record({
      type: fc.oneof(
        fc.constantFrom('prepare', 'promise', 'accept', 'accepted', 'snapshot', 'heartbeat-reply'),
        fc.string({ minLength: 1, maxLength: 20 }),
      ),
      fields: fc.dictionary(
        fc.string({ minLength: 1 }).filter((k) => !['type', 'from', 'to', '__proto__'].includes(k)),
        plain,
        { maxKeys: 5 },
      ),
    })
    .map(({ type, fields }): PeerMessage => ({ type, from, to, ...fields }));

function decodeAll(frames: readonly Uint8Array[]): PeerMessage[] {
  const out: PeerMessage[] = [];
  const pending: Chunk[] = [];
  for (const f of frames) {
    const d = decodeFrame(f);
    if (d.kind === 'invalid') throw new Error(d.reason);
    if (d.kind === 'batch') {
      if (d.errors.length > 0) throw new Error(d.errors.join('; '));
      out.push(...d.messages);
      continue;
    }
    pending.push(d.chunk);
    if (d.chunk.index === d.chunk.count - 1) {
      const whole = new Uint8Array(d.chunk.totalBytes);
      for (const c of pending) whole.set(c.bytes, c.offset);
      pending.length = 0;
      const r = decodeEntry(whole, d.chunk.from, d.chunk.to);
      if (!r.ok) throw new Error(r.reason);
      out.push(r.message);
    }
  }
  return out;
}

describe('FrameEncoder (property)', () => {
  it('decodes exactly what it encoded, in order, with every frame within the bound', () => {
    fc.assert(
      fc.property(
        fc.array(message(3, 9), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: FRAME_BYTES_MIN, max: 8192 }),
        (messages, bound) => {
          const frames = new FrameEncoder(77)
            .encode(3, 9, messages.map(encodeEntry), bound)
            .map((f) => f.bytes);
          for (const f of frames) expect(f.length).toBeLessThanOrEqual(bound);
          expect(decodeAll(frames)).toEqual(messages);
        },
      ),
      { seed: SEED, numRuns: 150, verbose: 1 },
    );
  });
});
