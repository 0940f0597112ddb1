import { describe, expect, it } from 'vitest';
import {
  KvStateMachine,
  bytesToUtf8,
  toBytes,
  decodeResult,
  encodeCommand,
  kvCommand,
  kvGet,
  kvPut,
} from '@flexpaxos/kv';
import type { StateWrite } from '@flexpaxos/kv';
import type {
  AfterPersistMessage,
  ChosenEntry,
  Message,
  NodeId,
  PersistRequest,
  Ready,
  Round,
  Slot,
} from '@flexpaxos/paxos';
import type { PersistBundle, PersistOptions, StoredRecord } from '@flexpaxos/storage-rocksdb';
import { HostLoop, loadStateMachine } from '../src/host-loop.js';
import type { HostStore } from '../src/host-loop.js';
import type { Logger } from '../src/logger.js';

const BALLOT = { round: 1 as Round, nodeId: 1 as NodeId };

/** A peer message that only carries a name (the loop passes messages on untouched). */
const msg = (name: string): Message => ({ name }) as unknown as Message;
const afterMsg = (name: string): AfterPersistMessage =>
  ({ name }) as unknown as AfterPersistMessage;
const nameOf = (m: Message): string => (m as unknown as { name: string }).name;

const put = (key: string, value: string, seq: number): Uint8Array =>
  encodeCommand(kvCommand(kvPut(key, value), 'client-1', seq));
const commands = (slot: number, ...cmds: Uint8Array[]): ChosenEntry => ({
  slot: slot as Slot,
  value: { kind: 'commands', commands: cmds },
});

function request(parts: Partial<PersistRequest>): PersistRequest {
  return {
    hardState: undefined,
    entries: [],
    snapshot: undefined,
    truncateBelow: undefined,
    ...parts,
  };
}

/** Describes a persist bundle in one word or two, for the event log. */
function describeBundle(b: PersistBundle): string {
  const parts: string[] = [];
  const r = b.request;
  if (r?.entries.length) parts.push(`entries=${r.entries.map((e) => e.slot).join(',')}`);
  if (r?.snapshot) parts.push(`snapshot=${r.snapshot.meta.index}`);
  if (r?.hardState) parts.push(`committed=${r.hardState.committed}`);
  if (b.stateWrites) parts.push(`writes=${b.stateWrites.length}`);
  if (b.applied !== undefined) parts.push(`applied=${b.applied}`);
  return parts.join(' ');
}

/**
 * An in-memory store: lazy persists apply at once (and resolve, or never, or fail, as the
 * test says); synced persists wait until the test releases or fails them.
 */
class MemoryStore implements HostStore {
  readonly records$ = new Map<string, StoredRecord>();
  readonly held: { resolve: () => void; reject: (e: Error) => void }[] = [];
  lazy: 'resolve' | 'never' | 'fail' = 'resolve';
  /** What a synced persist that installs a snapshot leaves in the store. */
  snapshotRecords: StoredRecord[] = [];
  readonly #log: string[];

  constructor(log: string[]) {
    this.#log = log;
  }

  persist<H>(bundle: PersistBundle, held: H, options?: PersistOptions): Promise<H> {
    const sync = options?.sync ?? true;
    this.#log.push(`persist ${sync ? 'sync' : 'lazy'} ${describeBundle(bundle)}`);
    if (!sync) {
      this.#write(bundle.stateWrites ?? []);
      if (this.lazy === 'never') return new Promise<H>(() => undefined);
      if (this.lazy === 'fail') return Promise.reject(new Error('lazy write failed'));
      return Promise.resolve(held);
    }
    return new Promise<H>((resolve, reject) => {
      this.held.push({
        resolve: () => {
          if (bundle.request?.snapshot) {
            this.records$.clear();
            for (const r of this.snapshotRecords) this.records$.set(keyOf(r.space, r.key), r);
          }
          this.#write(bundle.stateWrites ?? []);
          this.#log.push('synced');
          resolve(held);
        },
        reject,
      });
    });
  }

  /** Completes the oldest synced persist. */
  release(): void {
    const h = this.held.shift();
    if (h === undefined) throw new Error('no synced persist is waiting');
    h.resolve();
  }

  async *records(): AsyncGenerator<StoredRecord> {
    await Promise.resolve();
    yield* [...this.records$.values()];
  }

  #write(writes: readonly StateWrite[]): void {
    for (const w of writes) {
      const k = keyOf(w.space, w.key);
      if (w.value === undefined) this.records$.delete(k);
      else this.records$.set(k, { space: w.space, key: w.key, value: w.value });
    }
  }
}

const keyOf = (space: string, key: Uint8Array): string => `${space}:${bytesToUtf8(key)}`;

/** A replica that hands out scripted readies and logs `ready`/`advance`. */
function scriptedReplica(log: string[]) {
  const queue: { name: string; rd: Ready }[] = [];
  const names = new Map<Ready, string>();
  return {
    add(name: string, parts: Partial<Ready>): void {
      const rd: Ready = {
        persist: undefined,
        mustSync: false,
        messages: [],
        messagesAfterPersist: [],
        committed: [],
        reads: [],
        failedReads: [],
        ...parts,
      };
      names.set(rd, name);
      queue.push({ name, rd });
    },
    hasReady: () => queue.length > 0,
    ready(): Ready {
      const next = queue.shift();
      if (next === undefined) throw new Error('ready() without a ready');
      log.push(`ready ${next.name}`);
      return next.rd;
    },
    advance(rd: Ready): void {
      log.push(`advance ${names.get(rd)}`);
    },
  };
}

const quiet: Logger = { log: () => undefined, child: () => quiet };

/** Writes the KV records after every ready (limits of 0), so traces show each flush. */
const EVERY_READY = { records: 0, ms: 0 };

function setup(kv = new KvStateMachine(), stateBuffer = EVERY_READY) {
  const log: string[] = [];
  const replica = scriptedReplica(log);
  const store = new MemoryStore(log);
  const failures: unknown[] = [];
  const replies: string[] = [];
  const loop = new HostLoop({
    replica,
    store,
    kv,
    peers: { send: (messages) => log.push(`send ${messages.map(nameOf).join(',')}`) },
    reads: {
      onReady: () => log.push('reads.onReady'),
      afterAdvance: () => log.push('reads.afterAdvance'),
    },
    clients: {
      onApplied: (cmds, rs) => {
        log.push(`answer ${cmds.length}`);
        for (const r of rs) {
          const d = r === undefined ? undefined : decodeResult(r);
          replies.push(d?.ok ? d.value.type : 'none');
        }
      },
    },
    compaction: {
      installed: (index) => log.push(`installed ${index}`),
      maybeStart: () => log.push('compaction.maybeStart'),
    },
    afterRun: () => log.push('afterRun'),
    fail: (err) => {
      log.push('fail');
      failures.push(err);
    },
    log: quiet,
    stateBuffer,
  });
  return { log, replica, store, loop, failures, replies };
}

/** Lets promise chains (and the loop's awaits) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

const text = (kv: KvStateMachine, key: string): string | undefined => {
  const r = kv.read(kvGet(key));
  return r.type === 'get' && r.kv !== undefined ? bytesToUtf8(r.kv.value) : undefined;
};

describe('HostLoop', () => {
  it('runs a ready in the contract order and holds after-persist messages until the synced write resolves', async () => {
    const t = setup();
    t.replica.add('r1', {
      messages: [msg('accept')],
      persist: request({ entries: [{ slot: 2 as Slot, ballot: BALLOT, value: { kind: 'noop' } }] }),
      mustSync: true,
      messagesAfterPersist: [afterMsg('accepted')],
      committed: [commands(1, put('k', 'v', 1))],
    });
    t.replica.add('r2', { messages: [msg('heartbeat')] });
    t.loop.kick();
    await settle();
    // Applied and answered while the synced write is in flight; nothing after it yet.
    expect(t.log).toEqual([
      'ready r1',
      'send accept',
      'persist sync entries=2',
      'answer 1',
      'persist lazy writes=2 applied=1',
    ]);
    expect(t.replies).toEqual(['put']);
    expect(text(t.loop.kv, 'k')).toBe('v');
    t.store.release();
    await settle();
    expect(t.log.slice(5)).toEqual([
      'synced',
      'send accepted',
      'reads.onReady',
      'advance r1',
      'reads.afterAdvance',
      'compaction.maybeStart',
      'ready r2',
      'send heartbeat',
      'reads.onReady',
      'advance r2',
      'reads.afterAdvance',
      'compaction.maybeStart',
      'afterRun',
    ]);
    expect(t.loop.counts).toMatchObject({ readies: 2, slotsApplied: 1, commandsApplied: 1 });
    expect(t.loop.persistSeconds.count).toBe(1);
    expect(t.failures).toEqual([]);
  });

  it('writes a persist that is not mustSync lazily and does not wait for it', async () => {
    const t = setup();
    t.store.lazy = 'never';
    t.replica.add('r1', {
      persist: request({ hardState: { promised: BALLOT, committed: 1 as Slot } }),
      mustSync: false,
      messagesAfterPersist: [afterMsg('heartbeat-reply')],
      committed: [commands(1, put('k', 'v', 1))],
    });
    t.replica.add('r2', { messages: [msg('accept')] });
    t.loop.kick();
    await settle();
    expect(t.log).toEqual([
      'ready r1',
      'persist lazy committed=1',
      'send heartbeat-reply',
      'answer 1',
      'persist lazy writes=2 applied=1',
      'reads.onReady',
      'advance r1',
      'reads.afterAdvance',
      'compaction.maybeStart',
      'ready r2',
      'send accept',
      'reads.onReady',
      'advance r2',
      'reads.afterAdvance',
      'compaction.maybeStart',
      'afterRun',
    ]);
    expect(t.loop.counts.lazyPersists).toBe(1);
    expect(t.loop.persistSeconds.count).toBe(0);
  });

  it('fail-stops when a synced write fails: nothing after it is sent, advanced or run', async () => {
    const t = setup();
    t.replica.add('r1', {
      persist: request({ entries: [{ slot: 1 as Slot, ballot: BALLOT, value: { kind: 'noop' } }] }),
      mustSync: true,
      messagesAfterPersist: [afterMsg('accepted')],
    });
    t.replica.add('r2', { messages: [msg('accept')] });
    t.loop.kick();
    await settle();
    const err = new Error('disk full');
    t.store.held[0]?.reject(err);
    await settle();
    t.loop.kick();
    await settle();
    expect(t.failures).toEqual([err]);
    expect(t.log).toEqual(['ready r1', 'persist sync entries=1', 'fail']);
  });

  it('fail-stops when a lazy write fails: no run starts after it', async () => {
    const t = setup();
    t.store.lazy = 'fail';
    t.replica.add('r1', {
      persist: request({ hardState: { promised: BALLOT, committed: 1 as Slot } }),
      mustSync: false,
    });
    t.loop.kick();
    await settle();
    expect(t.failures).toHaveLength(1);
    t.replica.add('r2', { messages: [msg('accept')] });
    t.loop.kick();
    await settle();
    expect(t.log).not.toContain('ready r2');
    expect(t.failures).toHaveLength(1);
  });

  it('installs a snapshot: rebuilds the state machine from the store before applying the entries above it', async () => {
    // This node applied slot 1 (key "old"); the snapshot at 5 holds "a" and "b" only.
    const kv = new KvStateMachine();
    kv.applySlot(1, { kind: 'commands', commands: [put('old', 'x', 1)] });
    const t = setup(kv);
    const source = new KvStateMachine();
    const snapshotRecords = new Map<string, StoredRecord>();
    for (const [slot, cmd] of [
      [1, put('a', '1', 1)],
      [3, put('b', '2', 2)],
      [5, put('a', '3', 3)],
    ] as const) {
      for (const w of source.applySlot(slot, { kind: 'commands', commands: [cmd] }).writes) {
        if (w.value !== undefined)
          snapshotRecords.set(keyOf(w.space, w.key), {
            space: w.space,
            key: w.key,
            value: w.value,
          });
      }
    }
    t.store.snapshotRecords = [...snapshotRecords.values()];
    t.replica.add('install', {
      persist: request({
        snapshot: { meta: { index: 5 as Slot }, data: new Uint8Array([1, 2, 3]) },
        truncateBelow: 6 as Slot,
      }),
      mustSync: true,
      committed: [commands(6, put('above', 'y', 4))],
    });
    t.loop.kick();
    await settle();
    // Nothing is applied while the install is in flight.
    expect(t.log).toEqual(['ready install', 'persist sync snapshot=5']);
    t.store.release();
    await settle();
    expect(t.log).toEqual([
      'ready install',
      'persist sync snapshot=5',
      'synced',
      'installed 5',
      'answer 1',
      'persist lazy writes=2 applied=6',
      'reads.onReady',
      'advance install',
      'reads.afterAdvance',
      'compaction.maybeStart',
      'afterRun',
    ]);
    const now = t.loop.kv;
    expect(now).not.toBe(kv);
    expect(now.applied).toBe(6);
    expect(text(now, 'old')).toBeUndefined();
    expect(text(now, 'a')).toBe('3');
    expect(text(now, 'b')).toBe('2');
    expect(text(now, 'above')).toBe('y');
    expect(t.replies).toEqual(['put']);
    expect(t.loop.counts.snapshotsInstalled).toBe(1);
  });

  it('lets a running ready finish on drain and settles the lazy writes', async () => {
    const t = setup();
    t.replica.add('r1', {
      persist: request({ entries: [{ slot: 1 as Slot, ballot: BALLOT, value: { kind: 'noop' } }] }),
      mustSync: true,
      messagesAfterPersist: [afterMsg('accepted')],
    });
    t.loop.kick();
    await settle();
    t.loop.stop();
    const drained = t.loop.drain(2000);
    t.store.release();
    await drained;
    expect(t.log).toContain('send accepted');
    expect(t.log).toContain('advance r1');
    t.replica.add('r2', {});
    t.loop.kick();
    await settle();
    expect(t.log).not.toContain('ready r2');
  });
  it('coalesces the KV records of several readies into one lazy write with the last applied index', async () => {
    const t = setup(undefined, { records: 3, ms: 60_000 });
    // Three readies write k, k (again) and j: two records changed, each session record once.
    t.replica.add('r1', { committed: [commands(1, put('k', 'a', 1))] });
    t.loop.kick();
    await settle();
    t.replica.add('r2', { committed: [commands(2, put('k', 'b', 2))] });
    t.loop.kick();
    await settle();
    // Two distinct records so far (k and the session): under the limit of 3, nothing written.
    expect(t.log.filter((l) => l.startsWith('persist'))).toEqual([]);
    t.replica.add('r3', { committed: [commands(3, put('j', 'c', 3))] });
    t.loop.kick();
    await settle();
    expect(t.log.filter((l) => l.startsWith('persist'))).toEqual([
      'persist lazy writes=3 applied=3',
    ]);
    expect(t.store.records$.get(keyOf('data', toBytes('k')))).toBeDefined();
    expect(t.loop.counts.stateRecordsChanged).toBe(6);
    expect(t.loop.counts.stateRecordsWritten).toBe(3);
    // The latest value of k is the one written.
    const fresh = await loadStateMachine(t.store, 3);
    expect(text(fresh, 'k')).toBe('b');
    expect(text(fresh, 'j')).toBe('c');
  });

  it('writes buffered KV records after the time limit even when nothing else is applied', async () => {
    const t = setup(undefined, { records: 1000, ms: 20 });
    t.replica.add('r1', { committed: [commands(1, put('k', 'a', 1))] });
    t.loop.kick();
    await settle();
    expect(t.log.filter((l) => l.startsWith('persist'))).toEqual([]);
    await new Promise((r) => setTimeout(r, 40));
    expect(t.log.filter((l) => l.startsWith('persist'))).toEqual([
      'persist lazy writes=2 applied=1',
    ]);
  });

  it('writes buffered KV records on drain', async () => {
    const t = setup(undefined, { records: 1000, ms: 60_000 });
    t.replica.add('r1', { committed: [commands(1, put('k', 'a', 1))] });
    t.loop.kick();
    await settle();
    t.loop.stop();
    await t.loop.drain(1000);
    expect(t.log.filter((l) => l.startsWith('persist'))).toEqual([
      'persist lazy writes=2 applied=1',
    ]);
  });

  it('drops buffered KV records when a snapshot install replaces the KV state', async () => {
    const t = setup(undefined, { records: 1000, ms: 60_000 });
    t.replica.add('r1', { committed: [commands(1, put('old', 'x', 1))] });
    t.loop.kick();
    await settle();
    t.store.snapshotRecords = [];
    t.replica.add('install', {
      persist: request({
        snapshot: { meta: { index: 5 as Slot }, data: new Uint8Array([1]) },
        truncateBelow: 6 as Slot,
      }),
      mustSync: true,
      committed: [commands(6, put('above', 'y', 1))],
    });
    t.loop.kick();
    await settle();
    t.store.release();
    await settle();
    t.loop.stop();
    await t.loop.drain(1000);
    // Only the slot above the snapshot is written; the record of slot 1 never is.
    expect(t.log.filter((l) => l.startsWith('persist'))).toEqual([
      'persist sync snapshot=5',
      'persist lazy writes=2 applied=6',
    ]);
    expect(t.store.records$.get(keyOf('data', toBytes('old')))).toBeUndefined();
  });
});
