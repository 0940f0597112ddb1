import { describe, expect, it } from 'vitest';
import { AssertionError, assert } from '@flexpaxos/paxos';
import { SnapshotInvalidError, StorageIoError } from '../src/errors.js';
import { GroupCommit } from '../src/group-commit.js';
import type { CommitJob } from '../src/group-commit.js';
import type { RocksBatch } from '../src/rocksdb-binding.js';

/** A promise the test settles by hand. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** One `batch.write` call the fake database saw. */
interface WriteCall {
  /** The keys put into the batch, in order. */
  readonly keys: string[];
  readonly sync: boolean;
  /** Settles this write (when the database holds writes). */
  readonly done: ReturnType<typeof deferred>;
}

/**
 * A fake RocksDB: batches record their puts; `write` either completes at once or, while
 * `hold` is set, waits until the test settles it. Counts writes running at the same time.
 */
function fakeDb() {
  const state = {
    hold: false,
    sequence: 0,
    writes: [] as WriteCall[],
    running: 0,
    runningMax: 0,
    witnessed: [] as number[],
    witnessHold: undefined as ReturnType<typeof deferred> | undefined,
    witnessError: undefined as Error | undefined,
  };
  const db = {
    get sequence(): number {
      return state.sequence;
    },
    batch(): RocksBatch {
      const keys: string[] = [];
      const batch: RocksBatch = {
        put(key: Buffer) {
          keys.push(key.toString());
          return batch;
        },
        del(key: Buffer) {
          keys.push(`del:${key.toString()}`);
          return batch;
        },
        async write({ sync }: { sync: boolean }) {
          const done = deferred();
          state.writes.push({ keys, sync, done });
          state.running++;
          state.runningMax = Math.max(state.runningMax, state.running);
          try {
            if (state.hold) await done.promise;
          } finally {
            state.running--;
          }
          state.sequence += keys.length;
        },
        close: () => Promise.resolve(),
        get length() {
          return keys.length;
        },
      };
      return batch;
    },
  };
  const witness = {
    async write(sequence: number): Promise<void> {
      if (state.witnessError) throw state.witnessError;
      if (state.witnessHold) await state.witnessHold.promise;
      state.witnessed.push(sequence);
    },
  };
  return { state, db, witness };
}

function setup(grouped = true) {
  const f = fakeDb();
  const gc = new GroupCommit({ db: f.db, witness: f.witness, where: '/fake', grouped });
  /** What happened to each job, in the order it happened. */
  const events: string[] = [];
  const outcomes = new Map<string, Promise<unknown>>();
  const submit = (
    name: string,
    opts: { sync?: boolean; isolated?: boolean; build?: CommitJob['build'] } = {},
  ): void => {
    const p = new Promise<void>((resolve, reject) => {
      gc.enqueue({
        sync: opts.sync ?? true,
        isolated: opts.isolated ?? false,
        build:
          opts.build ??
          ((batch) => {
            batch.put(Buffer.from(name), Buffer.from('v'));
          }),
        resolve: () => {
          events.push(`resolve ${name}`);
          resolve();
        },
        reject: (err) => {
          events.push(`reject ${name}`);
          reject(err);
        },
      });
    });
    outcomes.set(
      name,
      p.then(
        () => 'ok',
        (e: unknown) => e,
      ),
    );
  };
  const outcome = (name: string): Promise<unknown> =>
    outcomes.get(name) ?? Promise.reject(new Error(`no job ${name}`));
  return { ...f, gc, events, submit, outcome };
}

/** Lets scheduled rounds (setImmediate) and their promise chains run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

describe('GroupCommit', () => {
  it('keeps one synced write in flight and puts everything queued meanwhile into the next batch', async () => {
    const t = setup();
    t.state.hold = true;
    t.submit('a');
    await settle();
    expect(t.state.writes.map((w) => w.keys)).toEqual([['a']]);
    t.submit('b');
    t.submit('c');
    t.submit('d');
    await settle();
    // Still one write: b, c and d wait for a's.
    expect(t.state.writes).toHaveLength(1);
    expect(t.events).toEqual([]);
    t.state.writes[0]?.done.resolve();
    await settle();
    expect(t.state.writes.map((w) => w.keys)).toEqual([['a'], ['b', 'c', 'd']]);
    t.state.writes[1]?.done.resolve();
    await settle();
    expect(t.state.writes.every((w) => w.sync)).toBe(true);
    expect(t.state.runningMax).toBe(1);
    expect(t.events).toEqual(['resolve a', 'resolve b', 'resolve c', 'resolve d']);
    expect(t.gc.stats()).toMatchObject({ syncedWrites: 2, unsyncedWrites: 0, bundlesWritten: 4 });
  });

  it('resolves a synced job only once the witness recorded its sequence', async () => {
    const t = setup();
    t.state.witnessHold = deferred();
    t.submit('a');
    await settle();
    expect(t.state.writes).toHaveLength(1);
    expect(t.events).toEqual([]);
    t.state.witnessHold.resolve();
    await settle();
    expect(t.state.witnessed).toEqual([1]);
    expect(t.events).toEqual(['resolve a']);
  });

  it('writes an isolated job in a batch of its own, after what was queued before it', async () => {
    const t = setup();
    t.submit('a');
    t.submit('b');
    t.submit('install', { isolated: true });
    t.submit('c');
    await settle();
    expect(t.state.writes.map((w) => w.keys)).toEqual([['a', 'b'], ['install'], ['c']]);
    expect(t.events).toEqual(['resolve a', 'resolve b', 'resolve install', 'resolve c']);
  });

  it('writes a batch of lazy jobs only without an fsync and resolves it without the witness', async () => {
    const t = setup();
    t.submit('l1', { sync: false });
    t.submit('l2', { sync: false });
    await settle();
    expect(t.state.writes.map((w) => [w.keys, w.sync])).toEqual([[['l1', 'l2'], false]]);
    expect(t.state.witnessed).toEqual([]);
    expect(t.events).toEqual(['resolve l1', 'resolve l2']);
    // A lazy job queued with a synced one shares its synced write.
    t.submit('l3', { sync: false });
    t.submit('s');
    await settle();
    expect(t.state.writes.map((w) => [w.keys, w.sync])).toEqual([
      [['l1', 'l2'], false],
      [['l3', 's'], true],
    ]);
    expect(t.state.witnessed).toHaveLength(1);
    expect(t.gc.stats()).toMatchObject({ syncedWrites: 1, unsyncedWrites: 1, bundlesWritten: 4 });
  });

  it('preserves call order across batches, writes and resolutions', async () => {
    const t = setup();
    const names = Array.from({ length: 12 }, (_, i) => `j${i}`);
    t.state.hold = true;
    for (const [i, name] of names.entries()) {
      t.submit(name, { sync: i % 3 !== 0, isolated: i === 7 });
      if (i % 4 === 0) {
        await settle();
        for (const w of t.state.writes) w.done.resolve();
      }
    }
    for (let i = 0; i < 10; i++) {
      await settle();
      for (const w of t.state.writes) w.done.resolve();
    }
    expect(t.state.writes.flatMap((w) => w.keys)).toEqual(names);
    expect(t.events).toEqual(names.map((n) => `resolve ${n}`));
    expect(t.state.runningMax).toBe(1);
  });

  it('writes every job in its own batch when not grouped', async () => {
    const t = setup(false);
    t.submit('a');
    t.submit('b');
    await settle();
    expect(t.state.writes.map((w) => w.keys)).toEqual([['a'], ['b']]);
  });

  it('fail-stops on an I/O error: the batch, every queued job and every later job reject with one error', async () => {
    const t = setup();
    t.state.hold = true;
    t.submit('a');
    await settle();
    t.submit('b');
    t.submit('c');
    const io = Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    t.state.writes[0]?.done.reject(io);
    const first = await t.outcome('a');
    // The queued jobs are rejected with the failed batch, not by some later round.
    expect(t.events).toEqual(['reject a', 'reject b', 'reject c']);
    await settle();
    const failure = t.gc.failure;
    expect(first).toBe(failure);
    expect(failure).toBeInstanceOf(StorageIoError);
    expect(failure?.cause).toBe(io);
    expect(await t.outcome('a')).toBe(failure);
    expect(await t.outcome('b')).toBe(failure);
    expect(await t.outcome('c')).toBe(failure);
    t.submit('d');
    await settle();
    expect(await t.outcome('d')).toBe(failure);
    expect(t.state.writes).toHaveLength(1);
  });

  it('fail-stops when the witness cannot record a synced write', async () => {
    const t = setup();
    t.state.witnessError = Object.assign(new Error('EIO'), { code: 'EIO' });
    t.submit('a');
    await settle();
    expect(t.gc.failure).toBeInstanceOf(StorageIoError);
    expect(await t.outcome('a')).toBe(t.gc.failure);
  });

  it('rejects only the batch of a bad bundle (a typed storage error) and stays healthy', async () => {
    const t = setup();
    const bad = new SnapshotInvalidError('snapshot is at index 9 but its meta says 3');
    t.submit('a');
    t.submit('install', {
      isolated: true,
      build: () => {
        throw bad;
      },
    });
    t.submit('b');
    await settle();
    expect(await t.outcome('install')).toBe(bad);
    expect(await t.outcome('a')).toBe('ok');
    expect(await t.outcome('b')).toBe('ok');
    expect(t.gc.failure).toBeUndefined();
    expect(t.state.writes.map((w) => w.keys)).toEqual([['a'], ['b']]);
  });

  it('never absorbs a broken invariant: it fail-stops and every waiting job gets the error itself', async () => {
    const t = setup();
    t.state.hold = true;
    t.submit('a');
    await settle();
    let thrown: unknown;
    t.submit('broken', {
      build: () => {
        try {
          assert(false, 'u64 field must be a non-negative safe integer, got -1');
        } catch (err) {
          thrown = err;
          throw err;
        }
      },
    });
    t.submit('after');
    t.state.writes[0]?.done.resolve();
    await settle();
    expect(thrown).toBeInstanceOf(AssertionError);
    expect(await t.outcome('a')).toBe('ok');
    expect(await t.outcome('broken')).toBe(thrown);
    expect(await t.outcome('after')).toBe(thrown);
    expect(t.gc.failure).toBe(thrown);
    t.submit('later');
    expect(await t.outcome('later')).toBe(thrown);
    // Nothing of the broken batch reached the database.
    expect(t.state.writes.map((w) => w.keys)).toEqual([['a']]);
  });
});
