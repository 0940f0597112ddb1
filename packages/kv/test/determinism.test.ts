/**
 * Determinism across replicas with every kind of command: the same log gives byte-identical
 * snapshots, replies, events and lease changes; a restored snapshot and a machine rebuilt from
 * persisted records continue exactly like the original.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  KvStateMachine,
  decodeReply,
  encodeCommand,
  kvCas,
  kvCloseSession,
  kvCommand,
  kvCompare,
  kvDelete,
  kvGet,
  kvLeaseExpire,
  kvLeaseGrant,
  kvLeaseRevoke,
  kvLessorEpoch,
  kvOpenSession,
  kvPut,
  kvRange,
  kvSessionCommand,
  kvSessionKeepalive,
  kvTxn,
  leaseId,
  sessionId,
} from '../src/index.js';
import type { KvCommandOp, KvConfig, StateWrite } from '../src/index.js';

const key = fc.constantFrom('a', 'b', 'ab', 'c');
const lease = fc.integer({ min: 1, max: 4 }).map(leaseId);
const val = fc.constantFrom('x', 'y', '');
const opArb: fc.Arbitrary<KvCommandOp> = fc.oneof(
  fc.tuple(key, val).map(([k, v]) => kvPut(k, v)),
  fc.tuple(key, val, lease).map(([k, v, l]) => kvPut(k, v, l)),
  key.map(kvDelete),
  fc.tuple(key, fc.nat(2), val).map(([k, e, v]) => kvCas(k, e, v)),
  key.map(kvGet),
  fc.constantFrom('', 'a').map((p) => kvRange(p, 3)),
  fc
    .tuple(key, fc.nat(2), key, val, lease, key)
    .map(([k, n, k2, v, l, k3]) =>
      kvTxn([kvCompare('version', k, '=', n)], [kvPut(k2, v, l), kvDelete(k3)], [kvPut(k3, v)]),
    ),
  fc.constant(kvLeaseGrant(2000)),
  fc.constant(kvLeaseGrant(3000)),
  fc.tuple(key, val, lease).map(([k, v, l]) => kvPut(k, v, l)),
  lease.map(kvLeaseRevoke),
  fc.tuple(lease, fc.nat(2)).map(([l, e]) => kvLeaseExpire(l, e)),
  fc.constantFrom('n1', 'n2').map(kvLessorEpoch),
  fc.constant(kvOpenSession()),
  fc.constant(kvOpenSession()),
);
type Entry =
  | { kind: 'noop' }
  | { kind: 'commands'; commands: { op: KvCommandOp; session: number; seqDelta: number }[] };
const entryArb: fc.Arbitrary<Entry> = fc.oneof(
  fc.constant({ kind: 'noop' as const }),
  fc.record({
    kind: fc.constant('commands' as const),
    commands: fc.array(
      fc.record({
        op: fc.oneof(
          { weight: 8, arbitrary: opArb },
          { weight: 1, arbitrary: fc.constant(kvCloseSession()) },
          { weight: 1, arbitrary: fc.constant(kvSessionKeepalive()) },
        ),
        // 0: no session; 1..4: registered session id; 5..6: client-chosen id
        session: fc.nat(6),
        seqDelta: fc.integer({ min: -1, max: 1 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  }),
);
const logArb = fc.array(entryArb, { minLength: 5, maxLength: 40 });
const cfg: Partial<KvConfig> = {
  sessionsMax: 3,
  sessionExpirySlots: 8,
  leasesMax: 2,
  keysPerLeaseMax: 1,
};

/** The log as slot values (commands encoded), deterministic from the script. */
function encodeLog(
  log: Entry[],
  firstSlot = 1,
): { slot: number; commands: Uint8Array[] | undefined }[] {
  const seqs = new Map<number, number>();
  return log.map((e, i) => {
    if (e.kind === 'noop') return { slot: firstSlot + i, commands: undefined };
    const commands = e.commands.map(({ op, session, seqDelta }) => {
      if (session === 0 || op.type === 'open-session') return encodeCommand(kvCommand(op));
      const seq = Math.max(1, (seqs.get(session) ?? 0) + seqDelta);
      seqs.set(session, Math.max(seq, seqs.get(session) ?? 0));
      return session <= 4
        ? encodeCommand(kvSessionCommand(op, sessionId(session), seq))
        : encodeCommand(kvCommand(op, `c${session}`, seq));
    });
    return { slot: firstSlot + i, commands };
  });
}

function feed(m: KvStateMachine, log: ReturnType<typeof encodeLog>) {
  const records = {
    data: new Map<string, [Uint8Array, Uint8Array]>(),
    sessions: new Map<string, [Uint8Array, Uint8Array]>(),
  };
  const persist = (writes: readonly StateWrite[]) => {
    for (const w of writes) {
      const k = Buffer.from(w.key).toString('hex');
      if (w.value === undefined) records[w.space].delete(k);
      else records[w.space].set(k, [w.key, w.value.slice()]);
    }
  };
  const outputs: unknown[] = [];
  for (const { slot, commands } of log) {
    const r = m.applySlot(
      slot,
      commands === undefined ? { kind: 'noop' } : { kind: 'commands', commands },
    );
    persist(r.writes);
    outputs.push(r);
  }
  return { outputs, records };
}

/** Leased keys are in their lease's key set, and every lease's count matches. */
function checkLeaseInvariant(m: KvStateMachine): void {
  const counts = new Map<number, number>();
  const all = m.read(kvRange('', 100));
  if (all.type !== 'range') throw new Error('range');
  for (const kv of all.kvs)
    if (kv.lease !== 0) counts.set(kv.lease, (counts.get(kv.lease) ?? 0) + 1);
  const leases = new Map(m.leases().map((l) => [l.lease as number, l.keys]));
  for (const [l, n] of counts) expect(leases.get(l)).toBe(n);
  for (const [l, n] of leases) expect(counts.get(l) ?? 0).toBe(n);
}

describe('KvStateMachine determinism with every command', () => {
  it('gives byte-identical snapshots, replies, writes, events and lease changes', () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(logArb, (log) => {
        const encoded = encodeLog(log);
        const a = new KvStateMachine(cfg);
        const b = new KvStateMachine(cfg);
        const fa = feed(a, encoded);
        const fb = feed(b, encoded);
        expect(fa.outputs).toEqual(fb.outputs);
        expect(a.snapshot()).toEqual(b.snapshot());
        expect(a.stateDigest()).toBe(b.stateDigest());
        checkLeaseInvariant(a);
        for (const o of fa.outputs as { replies: Uint8Array[] }[]) {
          for (const r of o.replies) {
            const d = decodeReply(r);
            const name = !d.ok
              ? 'undecodable'
              : d.value.type === 'error'
                ? d.value.code
                : d.value.type;
            seen.set(name, (seen.get(name) ?? 0) + 1);
          }
        }
      }),
      { seed: 31, numRuns: 200 },
    );
    // The log reaches every path worth comparing.
    for (const name of [
      'put',
      'txn',
      'lease-grant',
      'lease-revoke',
      'open-session',
      'close-session',
      'session-expired',
      'lease-not-found',
      'limit-exceeded',
      'stale-sequence',
    ])
      expect(seen.get(name) ?? 0, name).toBeGreaterThanOrEqual(3);
  });

  it('continues identically after snapshot/restore and after a rebuild from persisted records', () => {
    fc.assert(
      fc.property(logArb, logArb, (log1, log2) => {
        const a = new KvStateMachine(cfg);
        const first = feed(a, encodeLog(log1));
        const restored = KvStateMachine.restore(a.snapshot(), cfg);
        const rebuilt = KvStateMachine.fromRecords(
          first.records.data.values(),
          first.records.sessions.values(),
          a.applied,
          cfg,
        );
        expect(restored.snapshot()).toEqual(a.snapshot());
        expect(rebuilt.snapshot()).toEqual(a.snapshot());
        expect(rebuilt.leases()).toEqual(a.leases());
        expect(rebuilt.lessorEpoch).toEqual(a.lessorEpoch);
        const next = encodeLog(log2, a.applied + 1);
        const ra = feed(a, next);
        const rr = feed(restored, next);
        const rb = feed(rebuilt, next);
        expect(rr.outputs).toEqual(ra.outputs);
        expect(rb.outputs).toEqual(ra.outputs);
        expect(restored.snapshot()).toEqual(a.snapshot());
        expect(rebuilt.snapshot()).toEqual(a.snapshot());
        checkLeaseInvariant(rebuilt);
      }),
      { seed: 37, numRuns: 150 },
    );
  });

  it('refuses records of the first format with a message that says why', () => {
    const v1Data = Uint8Array.of(1, 1, 1, 0x76);
    expect(() => KvStateMachine.fromRecords([[Uint8Array.of(0x6b), v1Data]], [], 1)).toThrow(
      /format 1 was written by an earlier release/,
    );
    const v1Session = Uint8Array.of(1, 1, 1);
    expect(() => KvStateMachine.fromRecords([], [[Uint8Array.of(0x63), v1Session]], 1)).toThrow(
      /format 1 was written by an earlier release/,
    );
  });
});
