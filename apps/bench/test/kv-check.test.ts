import { describe, expect, it } from 'vitest';
import { WatchChecker, parseWriterValue, writerValue } from '../src/kv-check.js';

const ev = (loop: number, seq: number, revision: number) => ({
  key: `p/${loop}`,
  value: writerValue(seq, 1000 + seq, 100),
  revision,
});

describe('writer values', () => {
  it('carry the sequence number and the send time, padded to the value size', () => {
    const v = writerValue(42, 1712345678901.25, 100);
    expect(v).toHaveLength(100);
    expect(parseWriterValue(v)).toEqual({ seq: 42, sentAtMs: 1712345678901.25 });
    expect(Number.isNaN(parseWriterValue('xxxx').seq)).toBe(true);
  });
});

describe('WatchChecker', () => {
  it('accepts every put of every key in order, several keys at one revision', () => {
    const c = new WatchChecker('p/', 2);
    for (const e of [ev(0, 0, 5), ev(1, 0, 5), ev(0, 1, 6), ev(1, 1, 7), ev(0, 2, 7)]) c.see(e);
    expect([c.events, c.gaps, c.duplicates, c.unexpected, c.revisionRegressions]).toEqual([
      5, 0, 0, 0, 0,
    ]);
    expect(c.isComplete([2, 1])).toBe(true);
    expect(c.isComplete([3, 1])).toBe(false);
    expect(c.missingAtEnd([4, 1])).toBe(2);
  });

  it('returns the send time of the event', () => {
    expect(new WatchChecker('p/', 1).see(ev(0, 0, 1))).toBe(1000);
  });

  it('counts a gap, a duplicate, a revision going down, a key revision not rising and foreign events', () => {
    const gap = new WatchChecker('p/', 1);
    gap.see(ev(0, 0, 1));
    gap.see(ev(0, 3, 2));
    expect(gap.gaps).toBe(2);
    // A watcher that starts late misses the first puts: counted as a gap too.
    const late = new WatchChecker('p/', 1);
    late.see(ev(0, 2, 9));
    expect(late.gaps).toBe(2);

    const dup = new WatchChecker('p/', 1);
    dup.see(ev(0, 0, 1));
    dup.see(ev(0, 1, 2));
    dup.see(ev(0, 1, 3));
    expect([dup.duplicates, dup.gaps]).toEqual([1, 0]);

    const order = new WatchChecker('p/', 2);
    order.see(ev(0, 0, 5));
    order.see(ev(1, 0, 4)); // below a revision seen before
    order.see(ev(0, 1, 5)); // the same key again at the same revision
    expect(order.revisionRegressions).toBe(2);

    const foreign = new WatchChecker('p/', 1);
    foreign.see({ key: 'p/0', value: '', revision: 1 });
    foreign.see({ key: 'p/7', value: writerValue(0, 1, 100), revision: 2 });
    expect(foreign.unexpected).toBe(2);
  });
});
