import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  KvStateMachine,
  RANGE_LIMIT_MAX,
  VALUE_BYTES_MAX,
  KEY_BYTES_MAX,
  decodeResult,
  encodeCommand,
  kvCas,
  kvCommand,
  kvDelete,
  kvGet,
  kvPut,
  kvRange,
  validateKvConfig,
  DEFAULT_KV_CONFIG,
} from '../src/index.js';
import type { KvOp, StateWrite } from '../src/index.js';
import { run, utf8 } from './helpers.js';

describe('KvStateMachine', () => {
  it('puts and gets a key with version 1 and the slot as revision', () => {
    const m = new KvStateMachine();
    expect(run(m, 1, kvPut('a', 'x'))).toEqual({ type: 'put', version: 1, revision: 1 });
    const got = run(m, 2, kvGet('a'));
    expect(got.type === 'get' && got.kv !== undefined && utf8(got.kv.value)).toBe('x');
    expect(got).toMatchObject({ kv: { version: 1, revision: 1 } });
    expect(m.applied).toBe(2);
  });

  it('counts versions per write and moves the revision to the last change', () => {
    const m = new KvStateMachine();
    run(m, 1, kvPut('a', 'x'));
    run(m, 3, kvPut('b', 'y'));
    expect(run(m, 5, kvPut('a', 'z'))).toEqual({ type: 'put', version: 2, revision: 5 });
    expect(m.read(kvGet('a'))).toMatchObject({ kv: { version: 2, revision: 5 } });
    expect(m.read(kvGet('b'))).toMatchObject({ kv: { version: 1, revision: 3 } });
  });

  it('returns an absent key as undefined', () => {
    const m = new KvStateMachine();
    expect(m.read(kvGet('nope'))).toEqual({ type: 'get', kv: undefined });
  });

  it('deletes a key, resetting its version to 0, and reports absent deletes', () => {
    const m = new KvStateMachine();
    run(m, 1, kvPut('a', 'x'));
    run(m, 2, kvPut('a', 'y'));
    expect(run(m, 3, kvDelete('a'))).toEqual({
      type: 'delete',
      deleted: true,
      prevVersion: 2,
      revision: 3,
    });
    expect(m.read(kvGet('a'))).toEqual({ type: 'get', kv: undefined });
    expect(run(m, 4, kvDelete('a'))).toEqual({
      type: 'delete',
      deleted: false,
      prevVersion: 0,
      revision: 0,
    });
    expect(run(m, 5, kvPut('a', 'z'))).toEqual({ type: 'put', version: 1, revision: 5 });
  });

  it('compares and sets on version, 0 meaning absent', () => {
    const m = new KvStateMachine();
    expect(run(m, 1, kvCas('a', 1, 'x'))).toEqual({
      type: 'cas',
      succeeded: false,
      version: 0,
      revision: 0,
    });
    expect(run(m, 2, kvCas('a', 0, 'x'))).toEqual({
      type: 'cas',
      succeeded: true,
      version: 1,
      revision: 2,
    });
    expect(run(m, 3, kvCas('a', 0, 'y'))).toEqual({
      type: 'cas',
      succeeded: false,
      version: 1,
      revision: 2,
    });
    expect(run(m, 4, kvCas('a', 1, 'y'))).toEqual({
      type: 'cas',
      succeeded: true,
      version: 2,
      revision: 4,
    });
    expect(m.read(kvGet('a'))).toMatchObject({ kv: { version: 2 } });
    const got = m.read(kvGet('a'));
    expect(got.type === 'get' && got.kv && utf8(got.kv.value)).toBe('y');
  });

  it('ranges by prefix in byte order up to a limit and says when there is more', () => {
    const m = new KvStateMachine();
    let slot = 1;
    for (const k of ['b/2', 'a', 'b/1', 'b/3', 'c', 'b']) run(m, slot++, kvPut(k, k.toUpperCase()));
    const r = m.read(kvRange('b/', 2));
    expect(r.type).toBe('range');
    if (r.type !== 'range') return;
    expect(r.kvs.map((kv) => utf8(kv.key))).toEqual(['b/1', 'b/2']);
    expect(r.more).toBe(true);
    const all = m.read(kvRange('b', 10));
    expect(all.type === 'range' && all.kvs.map((kv) => utf8(kv.key))).toEqual([
      'b',
      'b/1',
      'b/2',
      'b/3',
    ]);
    expect(all.type === 'range' && all.more).toBe(false);
    const every = m.read(kvRange('', 100));
    expect(every.type === 'range' && every.kvs.length).toBe(6);
    run(m, slot++, kvDelete('b/1'));
    const after = m.read(kvRange('b/', 10));
    expect(after.type === 'range' && after.kvs.map((kv) => utf8(kv.key))).toEqual(['b/2', 'b/3']);
  });

  it('refuses commands that break the size limits without changing state', () => {
    const m = new KvStateMachine();
    const big = new Uint8Array(VALUE_BYTES_MAX + 1);
    expect(run(m, 1, kvPut('a', big))).toMatchObject({ type: 'error', code: 'invalid' });
    expect(run(m, 2, kvPut(new Uint8Array(KEY_BYTES_MAX + 1), 'v'))).toMatchObject({
      code: 'invalid',
    });
    expect(run(m, 3, kvPut('', 'v'))).toMatchObject({ code: 'invalid' });
    expect(m.read(kvRange('', RANGE_LIMIT_MAX + 1))).toMatchObject({ code: 'invalid' });
    expect(
      run(m, 4, kvPut(new Uint8Array(KEY_BYTES_MAX), new Uint8Array(VALUE_BYTES_MAX))),
    ).toMatchObject({
      type: 'put',
    });
    expect(m.size).toBe(1);
  });

  it('answers undecodable commands with a bad-command error instead of throwing', () => {
    const m = new KvStateMachine();
    const { reply, writes } = m.apply(1, new Uint8Array([9, 9, 9]));
    expect(decodeResult(reply)).toMatchObject({
      ok: true,
      value: { type: 'error', code: 'bad-command' },
    });
    expect(writes).toEqual([]);
    expect(m.applied).toBe(1);
  });

  it('asserts that slots never go back', () => {
    const m = new KvStateMachine();
    run(m, 5, kvPut('a', 'x'));
    expect(() => m.applyNoop(4)).toThrow(/below the applied index/);
  });

  it('rejects an invalid config listing every problem', () => {
    expect(
      validateKvConfig({ ...DEFAULT_KV_CONFIG, sessionsMax: 0, sessionExpirySlots: -1 }).map(
        (p) => [p.field, p.rule],
      ),
    ).toEqual([
      ['sessionsMax', 'positive-integer'],
      ['sessionExpirySlots', 'positive-integer'],
    ]);
    expect(() => new KvStateMachine({ sessionsMax: 0, sessionExpirySlots: 1 })).toThrow(
      /sessionsMax/,
    );
  });
});

describe('KvStateMachine exactly once', () => {
  it('answers a retry from the session table and changes nothing', () => {
    const m = new KvStateMachine();
    const cmd = encodeCommand(kvCommand(kvPut('a', 'x'), 'c1', 1));
    const first = m.apply(1, cmd);
    const before = m.snapshot();
    const retry = m.apply(1, cmd);
    expect(retry.reply).toEqual(first.reply);
    expect(retry.writes).toEqual([]);
    const later = m.apply(7, cmd);
    expect(later.reply).toEqual(first.reply);
    expect(later.writes).toEqual([]);
    expect(m.read(kvGet('a'))).toMatchObject({ kv: { version: 1, revision: 1 } });
    const atSlot1 = KvStateMachine.restore(before);
    expect(m.read(kvRange('', 10))).toEqual(atSlot1.read(kvRange('', 10)));
    expect(m.sessionCount).toBe(1);
  });

  it('applies a retried cas once even when it would now fail', () => {
    const m = new KvStateMachine();
    const cmd = encodeCommand(kvCommand(kvCas('a', 0, 'x'), 'c1', 1));
    m.apply(1, cmd);
    expect(decodeResult(m.apply(2, cmd).reply)).toMatchObject({
      value: { type: 'cas', succeeded: true },
    });
  });

  it('reports a stale sequence for a command older than the last one', () => {
    const m = new KvStateMachine();
    run(m, 1, kvPut('a', 'x'), 'c1', 1);
    run(m, 2, kvPut('a', 'y'), 'c1', 2);
    expect(run(m, 3, kvPut('a', 'z'), 'c1', 1)).toMatchObject({
      type: 'error',
      code: 'stale-sequence',
    });
    expect(m.read(kvGet('a'))).toMatchObject({ kv: { version: 2 } });
  });

  it('refuses an unknown client whose sequence is past 1', () => {
    const m = new KvStateMachine();
    expect(run(m, 1, kvPut('a', 'x'), 'c1', 2)).toMatchObject({
      type: 'error',
      code: 'session-expired',
    });
    expect(m.size).toBe(0);
  });

  it('expires a session after sessionExpirySlots slots without use, on no-op slots too', () => {
    const m = new KvStateMachine({ sessionsMax: 10, sessionExpirySlots: 5 });
    run(m, 1, kvPut('a', 'x'), 'c1', 1);
    run(m, 2, kvPut('b', 'x'), 'c2', 1);
    expect(m.applyNoop(5)).toEqual([]);
    const writes = m.applyNoop(6);
    expect(writes).toEqual([
      {
        space: 'sessions',
        key: Uint8Array.of(1, ...new TextEncoder().encode('c1')),
        value: undefined,
      },
    ]);
    expect(m.sessionCount).toBe(1);
    expect(run(m, 6, kvPut('b', 'y'), 'c2', 2)).toMatchObject({ type: 'put', version: 2 });
    expect(run(m, 7, kvPut('a', 'y'), 'c1', 2)).toMatchObject({ code: 'session-expired' });
  });

  it('keeps at most sessionsMax sessions, evicting the least recently used', () => {
    const m = new KvStateMachine({ sessionsMax: 2, sessionExpirySlots: 1000 });
    run(m, 1, kvPut('k', '1'), 'c1', 1);
    run(m, 2, kvPut('k', '2'), 'c2', 1);
    run(m, 3, kvPut('k', '3'), 'c1', 2);
    run(m, 4, kvPut('k', '4'), 'c3', 1);
    expect(m.sessionCount).toBe(2);
    expect(run(m, 5, kvPut('k', '5'), 'c2', 2)).toMatchObject({ code: 'session-expired' });
    expect(run(m, 5, kvPut('k', '5'), 'c1', 3)).toMatchObject({ type: 'put' });
  });

  it('ignores sessions on reads through the log', () => {
    const m = new KvStateMachine();
    expect(run(m, 1, kvGet('a'), 'c1', 5)).toEqual({ type: 'get', kv: undefined });
    expect(m.sessionCount).toBe(0);
  });
});

const keyArb = fc.constantFrom('a', 'b', 'ab', 'b/1', 'c');
const opArb: fc.Arbitrary<KvOp> = fc.oneof(
  keyArb.map(kvGet),
  fc.tuple(keyArb, fc.string({ maxLength: 4 })).map(([k, v]) => kvPut(k, v)),
  keyArb.map(kvDelete),
  fc.tuple(keyArb, fc.nat(3), fc.string({ maxLength: 4 })).map(([k, e, v]) => kvCas(k, e, v)),
  fc
    .tuple(fc.constantFrom('', 'a', 'b'), fc.integer({ min: 1, max: 4 }))
    .map(([p, l]) => kvRange(p, l)),
);
/** A log: per slot, either a no-op or some commands (clients c0..c3, seq sometimes retried or stale). */
const logArb = fc.array(
  fc.oneof(
    fc.constant(undefined),
    fc.array(fc.tuple(opArb, fc.nat(3), fc.integer({ min: -1, max: 1 })), {
      minLength: 1,
      maxLength: 3,
    }),
  ),
  { maxLength: 40 },
);

type Log = typeof logArb extends fc.Arbitrary<infer T> ? T : never;

function feed(log: Log) {
  const cfg = { sessionsMax: 3, sessionExpirySlots: 8 };
  const m = new KvStateMachine(cfg);
  const seqs = [0, 0, 0, 0];
  const records = {
    data: new Map<string, [Uint8Array, Uint8Array]>(),
    sessions: new Map<string, [Uint8Array, Uint8Array]>(),
  };
  const replies: Uint8Array[] = [];
  const persist = (writes: readonly StateWrite[]) => {
    for (const w of writes) {
      const k = Buffer.from(w.key).toString('hex');
      if (w.value === undefined) records[w.space].delete(k);
      else records[w.space].set(k, [w.key, w.value]);
    }
  };
  let slot = 0;
  for (const entry of log) {
    slot++;
    if (entry === undefined) {
      persist(m.applyNoop(slot));
      continue;
    }
    for (const [op, client, delta] of entry) {
      const seq = Math.max(1, (seqs[client] ?? 0) + delta);
      seqs[client] = Math.max(seqs[client] ?? 0, seq);
      const r = m.apply(slot, encodeCommand(kvCommand(op, `c${client}`, seq)));
      replies.push(r.reply);
      persist(r.writes);
    }
  }
  return { m, cfg, records, replies };
}

describe('KvStateMachine determinism', () => {
  it('gives byte-identical snapshots and replies for the same log', () => {
    fc.assert(
      fc.property(logArb, (log) => {
        const a = feed(log);
        const b = feed(log);
        expect(a.m.snapshot()).toEqual(b.m.snapshot());
        expect(a.replies).toEqual(b.replies);
        expect(a.m.stateDigest()).toBe(b.m.stateDigest());
      }),
      { seed: 42, numRuns: 100 },
    );
  });

  it('restores a snapshot to an identical machine that continues identically', () => {
    fc.assert(
      fc.property(logArb, logArb, (log1, log2) => {
        const a = feed(log1);
        const restored = KvStateMachine.restore(a.m.snapshot(), a.cfg);
        expect(restored.snapshot()).toEqual(a.m.snapshot());
        let slot = a.m.applied;
        for (const entry of log2) {
          slot++;
          if (entry === undefined) {
            expect(restored.applyNoop(slot)).toEqual(a.m.applyNoop(slot));
            continue;
          }
          for (const [op, client] of entry) {
            const cmd = encodeCommand(kvCommand(op, `c${client}`, 1000 + slot));
            expect(restored.apply(slot, cmd)).toEqual(a.m.apply(slot, cmd));
          }
        }
        expect(restored.snapshot()).toEqual(a.m.snapshot());
      }),
      { seed: 7, numRuns: 100 },
    );
  });

  it('rebuilds from the persisted writes a machine equal to the one that produced them', () => {
    fc.assert(
      fc.property(logArb, (log) => {
        const a = feed(log);
        const rebuilt = KvStateMachine.fromRecords(
          a.records.data.values(),
          a.records.sessions.values(),
          a.m.applied,
          a.cfg,
        );
        expect(rebuilt.snapshot()).toEqual(a.m.snapshot());
      }),
      { seed: 3, numRuns: 100 },
    );
  });

  it('changes the snapshot when the state changes', () => {
    const m = new KvStateMachine();
    const s0 = m.snapshot();
    run(m, 1, kvPut('a', 'x'));
    expect(m.snapshot()).not.toEqual(s0);
    expect(m.stateDigest()).not.toBe(KvStateMachine.restore(s0).stateDigest());
  });
});

describe('KvStateMachine copies what it keeps', () => {
  it('keeps no view of the command bytes: overwriting them later changes neither state nor reply', () => {
    const m = new KvStateMachine();
    const cmd = encodeCommand(kvCommand(kvPut('k', 'value-1'), 'client', 1));
    const { reply } = m.apply(1, cmd);
    const before = m.snapshot();
    const replyBefore = reply.slice();
    cmd.fill(0x7a);
    expect(m.snapshot()).toEqual(before);
    expect(reply).toEqual(replyBefore);
    const got = run(m, 2, kvGet('k'));
    expect(got.type === 'get' && got.kv !== undefined && utf8(got.kv.value)).toBe('value-1');
  });
});

describe('KvStateMachine.applySlot', () => {
  it('applies a batch in order and equals applying its commands one by one', () => {
    const cmds = [
      encodeCommand(kvCommand(kvPut('a', '1'), 'c1', 1)),
      encodeCommand(kvCommand(kvCas('a', 1, '2'), 'c2', 1)),
      encodeCommand(kvCommand(kvGet('a'))),
    ];
    const batched = new KvStateMachine();
    batched.applySlot(1, { kind: 'noop' });
    const { replies, writes } = batched.applySlot(2, { kind: 'commands', commands: cmds });
    const single = new KvStateMachine();
    single.applyNoop(1);
    const one = cmds.map((c) => single.apply(2, c));
    expect(replies).toEqual(one.map((r) => r.reply));
    expect(writes).toEqual(one.flatMap((r) => r.writes));
    expect(batched.snapshot()).toEqual(single.snapshot());
    expect(batched.read(kvGet('a'))).toMatchObject({ kv: { version: 2, revision: 2 } });
  });

  it('asserts that each slot is applied once', () => {
    const m = new KvStateMachine();
    m.applySlot(1, { kind: 'noop' });
    expect(() => m.applySlot(1, { kind: 'noop' })).toThrow(/above the applied index/);
  });
});
