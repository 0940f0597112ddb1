import { describe, expect, it } from 'vitest';
import { KvStateMachine, decodeReply, encodeCommand, kvCommand, kvPut } from '@flexpaxos/kv';
import type { KvCommandOp, KvReply } from '@flexpaxos/kv';
import { InvalidArgumentError } from '../src/errors.js';
import { checkLeaseId } from '../src/leases.js';
import { buildTxn, txnOutcome } from '../src/txn.js';
import type { TxnSpec } from '../src/txn.js';

function applier() {
  const kv = new KvStateMachine();
  return (op: KvCommandOp): KvReply => {
    const r = kv.apply(kv.applied + 1, encodeCommand(kvCommand(op)));
    const d = decodeReply(r.reply);
    if (!d.ok) throw new Error(d.error);
    return d.value;
  };
}

describe('buildTxn and txnOutcome', () => {
  it('builds a compare-and-swap the state machine runs, and decodes its results', () => {
    const apply = applier();
    apply(kvPut('config', 'v1'));
    const spec = (version: number): TxnSpec => ({
      compare: [
        { key: 'config', target: 'version', op: '=', value: version },
        { key: 'config', target: 'value', op: '=', value: 'v1' },
      ],
      success: [
        { type: 'put', key: 'config', value: 'v2' },
        { type: 'get', key: 'config' },
      ],
      failure: [
        { type: 'range', prefix: 'conf' },
        { type: 'delete', key: 'nothing' },
      ],
    });
    const miss = apply(buildTxn(spec(7)));
    expect(miss.type === 'txn' && txnOutcome(miss)).toMatchObject({
      succeeded: false,
      revision: 2,
      results: [
        { type: 'range', entries: [{ key: 'config', value: 'v1', version: 1 }], more: false },
        { type: 'delete', deleted: false, prevVersion: 0 },
      ],
    });
    const hit = apply(buildTxn(spec(1)));
    expect(hit.type === 'txn' && txnOutcome(hit)).toMatchObject({
      succeeded: true,
      revision: 3,
      results: [
        { type: 'put', version: 2, revision: 3 },
        {
          type: 'get',
          entry: {
            key: 'config',
            value: 'v2',
            version: 2,
            revision: 3,
            createRevision: 1,
            lease: 0,
          },
        },
      ],
    });
  });

  it('takes missing branches as empty', () => {
    expect(buildTxn({})).toEqual({ type: 'txn', compare: [], success: [], failure: [] });
  });

  it('names the field of a malformed compare or operation', () => {
    const bad: [unknown, RegExp][] = [
      [{ compare: [{ key: 'k', target: 'version', op: '=', value: 'x' }] }, /compare\[0\]\.value/],
      [{ compare: [{ key: 'k', target: 'value', op: '=', value: 3 }] }, /compare\[0\]\.value/],
      [{ compare: [{ key: 'k', target: 'size', op: '=', value: 3 }] }, /compare\[0\]\.target/],
      [{ compare: [{ key: 'k', target: 'version', op: '==', value: 3 }] }, /compare\[0\]\.op/],
      [{ compare: [{ key: 'k', target: 'version', op: '=', value: -1 }] }, /non-negative/],
      [{ success: [{ type: 'cas', key: 'k' }] }, /success\[0\]\.type/],
      [{ failure: [{ type: 'put', key: 'k', value: 'v', lease: 0 }] }, /failure\[0\]\.lease/],
      [{ success: [{ type: 'get' }] }, /success\[0\]\.key/],
      [{ success: 'put' }, /success: must be an array/],
    ];
    for (const [spec, message] of bad) {
      expect(() => buildTxn(spec as TxnSpec)).toThrow(InvalidArgumentError);
      expect(() => buildTxn(spec as TxnSpec)).toThrow(message);
    }
  });

  it('checks lease ids', () => {
    expect(checkLeaseId(3)).toBe(3);
    for (const bad of [0, -1, 1.5, Number.NaN, '3' as unknown as number]) {
      expect(() => checkLeaseId(bad)).toThrow(/lease: must be a positive safe integer/);
    }
  });
});
