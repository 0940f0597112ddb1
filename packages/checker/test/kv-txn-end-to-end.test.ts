import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  KvStateMachine,
  decodeReply,
  encodeCommand,
  kvCommand,
  kvCompare,
  kvDelete,
  kvGet,
  kvLeaseGrant,
  kvLeaseRevoke,
  kvPut,
  kvRange,
  kvTxn,
  leaseId,
} from '@flexpaxos/kv';
import type { KvCommandOp, KvReply, PutOp, TxnOp } from '@flexpaxos/kv';
import {
  HistoryRecorder,
  checkLinearizability,
  flexKvModel,
  fromKvOp,
  fromKvResult,
} from '../src/index.js';
import type { FlexKvInput, FlexKvOutput, KvOpLike, KvResultLike } from '../src/index.js';

type Step = { client: number; op: KvCommandOp; pick: number };

/**
 * A toy store over the real state machine: clients invoke, a sequencer applies one pending
 * command per step (chosen by the script), replies go back at once. With `splitTxns` (the bug)
 * a transaction of puts is applied as one command per put, interleaved with other clients'
 * commands, and answered as if it had been one.
 */
function simulate(script: readonly Step[], splitTxns: boolean) {
  const kv = new KvStateMachine();
  const h = new HistoryRecorder<FlexKvInput, FlexKvOutput>();
  const inflight: { id: number; parts: Uint8Array[]; results: KvReply[]; txn: boolean }[] = [];
  const busy = new Set<number>();
  const byId = new Map<number, number>();
  let slot = 0;
  const respond = (id: number, r: KvReply) => {
    const out = fromKvResult(r as KvResultLike);
    if (out === undefined) h.fail(id);
    else h.complete(id, out);
    busy.delete(byId.get(id) ?? -1);
  };
  for (const { client, op, pick } of script) {
    if (!busy.has(client)) {
      busy.add(client);
      const id = h.invoke(client, fromKvOp(op as KvOpLike));
      byId.set(id, client);
      const split =
        splitTxns &&
        op.type === 'txn' &&
        op.compare.length === 0 &&
        op.success.every((o) => o.type === 'put');
      const parts = split
        ? op.success.map((o) => encodeCommand(kvCommand(o)))
        : [encodeCommand(kvCommand(op))];
      inflight.push({ id, parts, results: [], txn: split });
    }
    if (inflight.length === 0) continue;
    const i = pick % inflight.length;
    const unit = inflight[i];
    if (unit === undefined) continue;
    const part = unit.parts[unit.results.length];
    if (part === undefined) continue;
    slot++;
    const d = decodeReply(kv.apply(slot, part).reply);
    if (!d.ok) throw new Error(d.error);
    unit.results.push(d.value);
    if (unit.results.length < unit.parts.length) continue;
    inflight.splice(i, 1);
    if (!unit.txn) respond(unit.id, d.value);
    else {
      // The lie: every put "at" the last slot, as if the transaction were one command.
      const results = unit.results.map((r) => (r.type === 'put' ? { ...r, revision: slot } : r));
      respond(unit.id, { type: 'txn', succeeded: true, revision: slot, results } as KvReply);
    }
  }
  return h.operations();
}

const key = fc.constantFrom('p/a', 'p/b', 'p/c');
const l1 = leaseId(1);
const putArb: fc.Arbitrary<PutOp> = fc
  .tuple(key, fc.nat(99), fc.boolean())
  .map(([k, v, leased]) => kvPut(k, `v${v}`, leased ? l1 : undefined));
const txnOpArb: fc.Arbitrary<TxnOp> = fc.oneof(putArb, key.map(kvDelete), key.map(kvGet));
const opArb: fc.Arbitrary<KvCommandOp> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.array(putArb, { minLength: 2, maxLength: 3 }).map((ps) => kvTxn([], ps)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        key,
        fc.nat(2),
        fc.array(txnOpArb, { maxLength: 3 }),
        fc.array(txnOpArb, { maxLength: 2 }),
      )
      .map(([k, n, s, f]) => kvTxn([kvCompare('version', k, '=', n)], s, f)),
  },
  { weight: 3, arbitrary: fc.constant(kvRange('p/', 10)) },
  { weight: 2, arbitrary: key.map(kvGet) },
  { weight: 2, arbitrary: putArb },
  { weight: 1, arbitrary: fc.constant(kvLeaseGrant(5000)) },
  { weight: 1, arbitrary: fc.constant(kvLeaseRevoke(l1)) },
);
const scriptArb = fc.array(fc.record({ client: fc.nat(3), op: opArb, pick: fc.nat(10) }), {
  minLength: 10,
  maxLength: 40,
});

describe('flexKvModel with the real state machine: transactions and leases', () => {
  it('finds histories of a correct store linearizable', () => {
    let leased = 0;
    fc.assert(
      fc.property(scriptArb, (script) => {
        const ops = simulate(script, false);
        leased += ops.filter(
          (o) =>
            o.input.type === 'lease-revoke' &&
            o.output?.type === 'lease-revoke' &&
            o.output.deleted > 0,
        ).length;
        expect(checkLinearizability(flexKvModel, ops).verdict).toBe('linearizable');
      }),
      { seed: 61, numRuns: 150 },
    );
    // Revocations that deleted keys happened, so the lease rules were exercised.
    expect(leased).toBeGreaterThan(10);
  });

  it('catches transactions applied piecemeal (not atomic)', () => {
    let caught = 0;
    fc.assert(
      fc.property(scriptArb, (script) => {
        if (
          checkLinearizability(flexKvModel, simulate(script, true)).verdict === 'not-linearizable'
        )
          caught++;
      }),
      { seed: 62, numRuns: 150 },
    );
    expect(caught).toBeGreaterThan(10);
  });
});
