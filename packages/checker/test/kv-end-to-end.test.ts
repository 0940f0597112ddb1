import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  KvStateMachine,
  decodeResult,
  encodeCommand,
  kvCas,
  kvCommand,
  kvDelete,
  kvGet,
  kvPut,
  kvRange,
} from '@flexpaxos/kv';
import type { KvOp, KvResult } from '@flexpaxos/kv';
import {
  HistoryRecorder,
  checkLinearizability,
  flexKvModel,
  fromKvOp,
  fromKvResult,
} from '../src/index.js';
import type { FlexKvInput, FlexKvOutput } from '../src/index.js';

/**
 * A toy replicated store: clients invoke, a sequencer applies commands to the real KV state
 * machine one slot at a time in a random order, and responses arrive later. Reads are served
 * either through the log (linearizable) or, when `staleReads` is set, from a replica that lags
 * a few slots behind (the bug a stale lease read would cause). Some replies are lost and the
 * client retries the same command, which exercises exactly-once sessions.
 */
function simulate(
  script: readonly { client: number; op: KvOp; pick: number }[],
  staleReads: boolean,
  retryWithNewSeq = false,
) {
  const leader = new KvStateMachine();
  const follower = new KvStateMachine();
  const log: Uint8Array[] = [];
  const h = new HistoryRecorder<FlexKvInput, FlexKvOutput>();
  const inflight: {
    id: number;
    command: Uint8Array;
    op: KvOp;
    client: number;
    retried: boolean;
  }[] = [];
  const seq = new Map<number, number>();
  const busy = new Set<number>();
  const respond = (id: number, result: KvResult) => {
    const out = fromKvResult(result);
    if (out === undefined) h.fail(id);
    else h.complete(id, out);
  };
  let slot = 0;
  for (const { client, op, pick } of script) {
    if (!busy.has(client)) {
      busy.add(client);
      const s = (seq.get(client) ?? 0) + 1;
      seq.set(client, s);
      const id = h.invoke(client, fromKvOp(op));
      if (staleReads && op.type === 'get') {
        // Served at once from the lagging follower.
        respond(id, follower.read(op));
        busy.delete(client);
      } else {
        inflight.push({
          id,
          command: encodeCommand(kvCommand(op, `c${client}`, s)),
          op,
          client,
          retried: false,
        });
      }
    }
    // Apply one pending command, chosen by the script, and answer its client.
    if (inflight.length > 0) {
      const [next] = inflight.splice(pick % inflight.length, 1);
      if (next === undefined) continue;
      slot++;
      log.push(next.command);
      const d = decodeResult(leader.apply(slot, next.command).reply);
      if (!d.ok) throw new Error(d.error);
      if (!next.retried && pick % 4 === 0) {
        // The reply is lost: the client retries the same command (same seq) later, and the
        // session table must answer it without applying it twice.
        let command = next.command;
        if (retryWithNewSeq) {
          // The bug: a retry under a fresh sequence number defeats exactly-once.
          const s = (seq.get(next.client) ?? 0) + 1;
          seq.set(next.client, s);
          command = encodeCommand(kvCommand(next.op, `c${next.client}`, s));
        }
        inflight.push({ ...next, command, retried: true });
      } else {
        respond(next.id, d.value);
        busy.delete(next.client);
      }
      // The follower trails the leader by 3 slots.
      const lag = slot - 3;
      const cmd = log[lag - 1];
      if (lag >= 1 && cmd !== undefined) follower.apply(lag, cmd);
    }
  }
  return h.operations();
}

const keyArb = fc.constantFrom('a', 'b', 'p/1', 'p/2');
const opArb: fc.Arbitrary<KvOp> = fc.oneof(
  { weight: 3, arbitrary: keyArb.map(kvGet) },
  { weight: 3, arbitrary: fc.tuple(keyArb, fc.nat(1000)).map(([k, v]) => kvPut(k, `v${v}`)) },
  { weight: 1, arbitrary: keyArb.map(kvDelete) },
  {
    weight: 2,
    arbitrary: fc.tuple(keyArb, fc.nat(3), fc.nat(1000)).map(([k, e, v]) => kvCas(k, e, `c${v}`)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('', 'p/'), fc.integer({ min: 1, max: 3 }))
      .map(([p, l]) => kvRange(p, l)),
  },
);
const scriptArb = fc.array(fc.record({ client: fc.nat(4), op: opArb, pick: fc.nat(10) }), {
  minLength: 10,
  maxLength: 60,
});

describe('flexKvModel with the real KV state machine', () => {
  it('finds histories of a correct store linearizable', () => {
    fc.assert(
      fc.property(scriptArb, (script) => {
        expect(checkLinearizability(flexKvModel, simulate(script, false)).verdict).toBe(
          'linearizable',
        );
      }),
      { seed: 11, numRuns: 150 },
    );
  });

  it('catches stale reads from a lagging replica', () => {
    let caught = 0;
    fc.assert(
      fc.property(scriptArb, (script) => {
        if (
          checkLinearizability(flexKvModel, simulate(script, true)).verdict === 'not-linearizable'
        )
          caught++;
      }),
      { seed: 12, numRuns: 150 },
    );
    expect(caught).toBeGreaterThan(10);
  });

  it('catches a retried write applied twice', () => {
    let caught = 0;
    fc.assert(
      fc.property(scriptArb, (script) => {
        if (
          checkLinearizability(flexKvModel, simulate(script, false, true)).verdict ===
          'not-linearizable'
        )
          caught++;
      }),
      { seed: 13, numRuns: 150 },
    );
    expect(caught).toBeGreaterThan(10);
  });
});
