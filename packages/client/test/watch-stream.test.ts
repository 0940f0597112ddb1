import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FrameAssembler,
  WatchCursor,
  decodeWatchFrame,
  decodeWatchMessage,
  encodeWatchFrames,
  encodeWatchMessage,
} from '../src/watch-stream.js';
import type { WatchItem, WireKeyValue } from '../src/watch-stream.js';

const safe = fc.nat({ max: Number.MAX_SAFE_INTEGER });
const bytes = fc.uint8Array({ maxLength: 48 }).map((b) => Uint8Array.from(b));
const kv: fc.Arbitrary<WireKeyValue> = fc.record({
  key: bytes,
  value: bytes,
  version: safe,
  revision: safe,
  createRevision: safe,
  lease: safe,
});
const item: fc.Arbitrary<WatchItem> = fc.oneof(
  fc.record({
    kind: fc.constant('events' as const),
    revision: safe,
    events: fc.array(
      fc.oneof(
        fc.record({ type: fc.constantFrom('put' as const, 'delete' as const), kv }),
        fc.record({ type: fc.constantFrom('put' as const, 'delete' as const), kv, prev: kv }),
      ),
      { maxLength: 4 },
    ),
  }),
  fc.record({ kind: fc.constant('progress' as const), revision: safe }),
  fc.record({
    kind: fc.constant('cancelled' as const),
    reason: fc.constantFrom(
      'slow' as const,
      'compacted' as const,
      'reset' as const,
      'expired' as const,
      'shutdown' as const,
    ),
    message: fc.string({ maxLength: 30 }),
    resumeRevision: safe,
  }),
);

const put = (key: string, revision: number): WatchItem => ({
  kind: 'events',
  revision,
  events: [
    {
      type: 'put',
      kv: {
        key: new TextEncoder().encode(key),
        value: new Uint8Array(0),
        version: 1,
        revision,
        createRevision: revision,
        lease: 0,
      },
    },
  ],
});

describe('watch messages', () => {
  it('round-trip through decodeWatchMessage', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 5 }), (items) => {
        expect(decodeWatchMessage(encodeWatchMessage(items))).toEqual({ ok: true, value: items });
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it('never throw on arbitrary or truncated bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        decodeWatchMessage(b);
        decodeWatchFrame(b);
      }),
      { seed: 12, numRuns: 500 },
    );
    const whole = encodeWatchMessage([put('a', 3), { kind: 'progress', revision: 3 }]);
    for (let n = 0; n < whole.byteLength; n++) {
      expect(decodeWatchMessage(whole.subarray(0, n)).ok).toBe(false);
    }
  });
});

describe('stream frames', () => {
  it('cut a message at the frame size and put it back together in order', () => {
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 6 }),
        fc.integer({ min: 12, max: 200 }),
        (items, max) => {
          const asm = new FrameAssembler();
          const message = encodeWatchMessage(items);
          const frames = encodeWatchFrames(7, 1, message, max);
          for (const f of frames) expect(f.byteLength).toBeLessThanOrEqual(max);
          const results = frames.map((f) => {
            const d = decodeWatchFrame(f);
            if (!d.ok) throw new Error(d.error);
            expect(d.value.watchId).toBe(7);
            return asm.push(d.value);
          });
          expect(results.slice(0, -1).every((r) => r.kind === 'partial')).toBe(true);
          expect(results.at(-1)).toEqual({ kind: 'message', items, lastSeq: frames.length });
          expect(asm.expectedSeq).toBe(frames.length + 1);
        },
      ),
      { seed: 13, numRuns: 200 },
    );
  });

  it('reports a missing frame, and stays broken', () => {
    const asm = new FrameAssembler();
    const frames = [
      ...encodeWatchFrames(1, 1, encodeWatchMessage([put('a', 2)]), 1000),
      ...encodeWatchFrames(1, 2, encodeWatchMessage([put('b', 3)]), 1000),
      ...encodeWatchFrames(1, 3, encodeWatchMessage([put('c', 4)]), 1000),
    ].map((f) => {
      const d = decodeWatchFrame(f);
      if (!d.ok) throw new Error(d.error);
      return d.value;
    });
    expect(asm.push(frames[0]!).kind).toBe('message');
    expect(asm.push(frames[2]!)).toEqual({
      kind: 'broken',
      reason: 'stream frame 3 arrived when 2 was due',
    });
    expect(asm.push(frames[1]!).kind).toBe('broken');
  });
});

describe('WatchCursor', () => {
  it('resumes after the last revision fully received, and drops anything older', () => {
    const c = new WatchCursor();
    expect(c.next).toBeUndefined();
    expect(c.revision).toBe(0);
    c.created(10);
    expect(c.next).toBe(10);
    expect(c.accept(put('a', 12))).toHaveLength(1);
    expect(c.next).toBe(13);
    expect(c.accept({ kind: 'progress', revision: 20 })).toEqual([]);
    expect(c.next).toBe(21);
    // A new node creates the watch from 21; anything it sent below would be a duplicate.
    c.created(21);
    expect(c.accept(put('a', 20))).toEqual([]);
    expect(c.accept({ kind: 'progress', revision: 15 })).toEqual([]); // a node behind: no step back
    expect(c.next).toBe(21);
    expect(c.accept(put('b', 21))).toHaveLength(1);
    expect(c.revision).toBe(21);
  });

  it('starts at fromRevision and takes events that arrive before the created answer', () => {
    const c = new WatchCursor(5);
    expect(c.accept(put('a', 5))).toHaveLength(1);
    c.created(5); // the answer came after the first frame: no step back
    expect(c.next).toBe(6);
  });
});
