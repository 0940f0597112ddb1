import { describe, expect, it } from 'vitest';
import type { StateWrite } from '@flexpaxos/kv';
import type { Slot } from '@flexpaxos/paxos';
import { StateBuffer } from '../src/state-buffer.js';

const w = (space: StateWrite['space'], key: number[], value: number): StateWrite => ({
  space,
  key: new Uint8Array(key),
  value: new Uint8Array([value]),
});

describe('StateBuffer', () => {
  it('keeps the latest write per key and space, every distinct key once', () => {
    const b = new StateBuffer({ records: 100, ms: 1000 });
    const long = Array.from({ length: 3000 }, (_, i) => i % 256);
    b.add([w('data', [1, 2], 1), w('sessions', [1, 2], 2), w('data', [1, 0x82], 3)], 1 as Slot, 0);
    b.add(
      [w('data', [1, 2], 4), w('data', long, 5), w('data', long.slice(0, -1), 6)],
      2 as Slot,
      0,
    );
    b.add([w('data', long, 7), w('data', [0xff, 0x80], 8)], 3 as Slot, 0);
    expect(b.size).toBe(6);
    const taken = b.take();
    expect(taken?.applied).toBe(3);
    const byValue = (taken?.stateWrites ?? []).map((x) => [
      x.space,
      x.key.byteLength,
      x.value?.[0],
    ]);
    expect(byValue.sort((x, y) => Number(x[2]) - Number(y[2]))).toEqual([
      ['sessions', 2, 2],
      ['data', 2, 3],
      ['data', 2, 4],
      ['data', 2999, 6],
      ['data', 3000, 7],
      ['data', 2, 8],
    ]);
    expect(b.take()).toBeUndefined();
  });

  it('is due at its record limit or once its time limit passed, and clear drops everything', () => {
    const b = new StateBuffer({ records: 2, ms: 50 });
    expect(b.due(0)).toBe(false);
    b.add([w('data', [1], 1)], 1 as Slot, 10);
    expect(b.due(59)).toBe(false);
    expect(b.due(60)).toBe(true);
    b.add([w('sessions', [1], 2)], 2 as Slot, 20);
    expect(b.due(20)).toBe(true);
    b.clear();
    expect(b.size).toBe(0);
    expect(b.take()).toBeUndefined();
  });
});
