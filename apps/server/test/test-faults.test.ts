import { describe, expect, it } from 'vitest';
import type { PersistBundle, PersistOptions } from '@flexpaxos/storage-rocksdb';
import type { HostStore } from '../src/host-loop.js';
import type { Message } from '@flexpaxos/paxos';
import { TestPartition, ackBeforeFsync, nodeClock } from '../src/test-faults.js';

const busyWait = (ms: number): void => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin: the clock under test reads performance.now()
  }
};

describe('nodeClock', () => {
  it('is performance.now() itself without skew', () => {
    const clock = nodeClock({ testClockRate: 1, testClockOffsetMs: 0 });
    const a = performance.now();
    const c = clock();
    expect(c).toBeGreaterThanOrEqual(a);
    expect(c - performance.now()).toBeLessThanOrEqual(0);
  });

  it('starts at the offset and runs at the rate', () => {
    const fast = nodeClock({ testClockRate: 2, testClockOffsetMs: 1_000_000 });
    const slow = nodeClock({ testClockRate: 0.5, testClockOffsetMs: 0 });
    const f0 = fast();
    const s0 = slow();
    const t0 = performance.now();
    expect(f0).toBeGreaterThanOrEqual(1_000_000);
    expect(f0).toBeLessThan(1_000_000 + 50);
    busyWait(40);
    const real = performance.now() - t0;
    expect(fast() - f0).toBeGreaterThanOrEqual(2 * real - 2);
    expect(slow() - s0).toBeLessThanOrEqual(0.5 * real + 2);
    expect(slow() - s0).toBeGreaterThan(0);
  });
});

describe('ackBeforeFsync', () => {
  /** A store whose writes complete only when the test says so. */
  function slowStore(): {
    store: HostStore;
    calls: { options: PersistOptions | undefined; settle: (ok: boolean) => void }[];
  } {
    const calls: { options: PersistOptions | undefined; settle: (ok: boolean) => void }[] = [];
    const store: HostStore = {
      persist<H>(_bundle: PersistBundle, held: H, options?: PersistOptions): Promise<H> {
        return new Promise<H>((resolve, reject) => {
          calls.push({
            options,
            settle: (ok) => (ok ? resolve(held) : reject(new Error('disk on fire'))),
          });
        });
      },
      records: () => ({
        [Symbol.asyncIterator]: () => ({
          next: () => Promise.resolve({ done: true, value: undefined }),
        }),
      }),
    };
    return { store, calls };
  }

  it('hands the held messages back before the synced write completes, and still writes', async () => {
    const { store, calls } = slowStore();
    const failures: unknown[] = [];
    const sabotaged = ackBeforeFsync(store, (e) => failures.push(e));
    await expect(sabotaged.persist({}, ['accepted'])).resolves.toEqual(['accepted']);
    expect(calls).toHaveLength(1); // the real write was issued, and is still running
    calls[0]?.settle(false);
    await new Promise((r) => setTimeout(r, 0));
    expect(String(failures[0])).toContain('disk on fire');
  });

  it('leaves lazy writes and snapshot installs alone', async () => {
    const { store, calls } = slowStore();
    const sabotaged = ackBeforeFsync(store, () => undefined);
    let lazyDone = false;
    void sabotaged.persist({}, 'lazy', { sync: false }).then(() => (lazyDone = true));
    let installDone = false;
    const install = { request: { snapshot: { meta: { index: 5 }, data: new Uint8Array() } } };
    void sabotaged
      .persist(install as unknown as PersistBundle, 'held')
      .then(() => (installDone = true));
    await new Promise((r) => setTimeout(r, 10));
    expect([lazyDone, installDone]).toEqual([false, false]);
    for (const c of calls) c.settle(true);
    await new Promise((r) => setTimeout(r, 0));
    expect([lazyDone, installDone]).toEqual([true, true]);
  });
});

describe('TestPartition', () => {
  it('drops messages to and from blocked peers, counts them, and heals with []', () => {
    const p = new TestPartition();
    const sent: number[] = [];
    const peers = p.wrap({ send: (ms) => sent.push(...ms.map((m) => m.to)) });
    const msg = (to: number) => ({ to }) as unknown as Message;
    expect(p.onRequest('{"blocked":[3,2]}')).toEqual({ ok: true, blocked: [2, 3] });
    peers.send([msg(1), msg(2), msg(3), msg(4)]);
    expect(sent).toEqual([1, 4]);
    expect(p.passes(3)).toBe(false);
    expect(p.passes(4)).toBe(true);
    expect(p.dropped).toBe(3);
    expect(p.onRequest('{"blocked":"all"}')).toMatchObject({ ok: false, blocked: [2, 3] });
    expect(p.onRequest('nope').ok).toBe(false);
    p.onRequest('{"blocked":[]}');
    peers.send([msg(2)]);
    expect(sent).toEqual([1, 4, 2]);
  });
});
