import { describe, expect, it } from 'vitest';
import { InvariantChecker } from '../src/checker.js';
import { encodeCommand as encodeKv, kvCommand, kvLeaseExpire, kvLeaseGrant, kvLessorEpoch, kvPut, leaseId } from '@flexpaxos/kv';
import { encodeCommand, encodeWrite } from '../src/commands.js';
import type { SimMessage, SimSlotValue } from '../src/core-types.js';
import { SimStateMachine } from '../src/state-machine.js';

const cmds = (...bytes: Uint8Array[]): SimSlotValue => ({ kind: 'commands', commands: bytes });

function applyVia(checker: InvariantChecker, sm: SimStateMachine, node: number, slot: number, value: SimSlotValue): void {
  checker.onApply(node, slot, value, sm.apply(slot, value), sm.lastEvents);
  checker.onChain(node, sm.applied, sm.chain);
}

describe('InvariantChecker', () => {
  it('accepts replicas that apply the same values', () => {
    const c = new InvariantChecker();
    const a = encodeCommand(1, 1);
    c.onPropose(a);
    const sm1 = new SimStateMachine();
    const sm2 = new SimStateMachine();
    for (const [node, sm] of [[1, sm1], [2, sm2]] as const) {
      applyVia(c, sm, node, 1, { kind: 'noop' });
      applyVia(c, sm, node, 2, cmds(a));
    }
    c.onAck('1:1');
    c.checkDurability([{ id: 1, has: (id) => sm1.effects.has(id) }, { id: 2, has: (id) => sm2.effects.has(id) }]);
    expect(c.violations).toEqual([]);
  });

  it('catches two values applied at one slot (invariant 1)', () => {
    const c = new InvariantChecker();
    const a = encodeCommand(1, 1);
    const b = encodeCommand(2, 1);
    c.onPropose(a);
    c.onPropose(b);
    applyVia(c, new SimStateMachine(), 1, 1, cmds(a));
    applyVia(c, new SimStateMachine(), 2, 1, cmds(b));
    expect(c.violations.map((v) => v.invariant)).toContain(1);
  });

  it('catches a fabricated command (invariant 2)', () => {
    const c = new InvariantChecker();
    applyVia(c, new SimStateMachine(), 1, 1, cmds(encodeCommand(9, 9)));
    expect(c.violations.map((v) => v.invariant)).toEqual([2]);
  });

  it('catches a command whose bytes differ from what was proposed (invariant 2)', () => {
    const c = new InvariantChecker();
    c.onPropose(encodeCommand(1, 1, 3));
    applyVia(c, new SimStateMachine(), 1, 1, cmds(encodeCommand(1, 1, 4)));
    expect(c.violations.map((v) => v.invariant)).toEqual([2]);
  });

  it('catches an acknowledged command missing on a live replica (invariant 3)', () => {
    const c = new InvariantChecker();
    c.onAck('1:1');
    c.checkDurability([{ id: 3, has: () => false }]);
    expect(c.violations.map((v) => v.invariant)).toEqual([3]);
  });

  it('catches a command taking effect twice without dedupe (invariant 4)', () => {
    const c = new InvariantChecker();
    const a = encodeCommand(1, 1);
    c.onPropose(a);
    const sm = new SimStateMachine();
    sm.dedupe = false;
    applyVia(c, sm, 1, 1, cmds(a));
    applyVia(c, sm, 1, 2, cmds(a));
    expect(c.violations.map((v) => v.invariant)).toEqual([4]);
  });

  it('lets the state machine dedupe a command chosen twice (invariant 4 holds)', () => {
    const c = new InvariantChecker();
    const a = encodeCommand(1, 1);
    c.onPropose(a);
    const sm = new SimStateMachine();
    applyVia(c, sm, 1, 1, cmds(a));
    applyVia(c, sm, 1, 2, cmds(a));
    expect(c.violations).toEqual([]);
    expect(c.duplicatesDeduped).toBe(1);
  });

  it('catches a durable promise that goes down (invariant 7)', () => {
    const c = new InvariantChecker();
    c.onDurableHardState(1, { promised: { round: 3, nodeId: 2 }, committed: 0 });
    c.onDurableHardState(1, { promised: { round: 2, nodeId: 5 }, committed: 0 });
    expect(c.violations.map((v) => v.invariant)).toEqual([7]);
  });

  it('catches a restart that forgot the promise (invariant 7)', () => {
    const c = new InvariantChecker();
    c.onDurableHardState(1, { promised: { round: 3, nodeId: 2 }, committed: 0 });
    c.onRecover(1, undefined);
    expect(c.violations.map((v) => v.invariant)).toEqual([7]);
  });

  it('catches a Promise sent before it is durable (invariant 7, persist before send)', () => {
    const c = new InvariantChecker();
    const promise = { type: 'promise', from: 1, to: 2, ballot: { round: 4, nodeId: 2 } } as SimMessage;
    c.onSend(1, promise, { round: 3, nodeId: 1 }, () => undefined, 0);
    expect(c.violations.map((v) => v.invariant)).toEqual([7]);
  });

  it('catches an Accepted sent before the entry is durable (invariant 7, persist before send)', () => {
    const c = new InvariantChecker();
    const accepted = { type: 'accepted', from: 1, to: 2, ballot: { round: 4, nodeId: 2 }, slots: [5] } as SimMessage;
    c.onSend(1, accepted, { round: 4, nodeId: 2 }, () => undefined, 0);
    expect(c.violations.map((v) => v.invariant)).toEqual([7]);
  });

  it('accepts identical KV states and catches different ones at one applied index (deterministic apply)', () => {
    const c = new InvariantChecker();
    const a = encodeCommand(1, 1);
    const sm1 = new SimStateMachine();
    const sm2 = new SimStateMachine();
    sm1.apply(1, cmds(a));
    sm2.apply(1, cmds(a));
    c.onKvState(1, 1, sm1.kv.snapshot());
    c.onKvState(2, 1, sm2.kv.snapshot());
    expect(c.violations).toEqual([]);
    const sm3 = new SimStateMachine();
    sm3.apply(1, cmds(encodeCommand(2, 1)));
    c.onKvState(3, 1, sm3.kv.snapshot());
    expect(c.violations.map((v) => v.invariant)).toEqual([1]);
    expect(c.violations[0]?.detail).toMatch(/different KV states at applied index 1/);
  });

  it('accepts a stale read of a written value and catches one nobody wrote or from the future (invariant 5)', () => {
    const c = new InvariantChecker();
    const a = encodeCommand(1, 1); // put k = v1.1
    c.onPropose(a);
    const sm = new SimStateMachine();
    applyVia(c, sm, 1, 1, cmds(a));
    const ok = sm.kv.read({ type: 'get', key: new TextEncoder().encode('k') });
    c.onStaleRead(1, 1, ok);
    expect(c.violations).toEqual([]);
    if (ok.type !== 'get' || ok.kv === undefined) throw new Error('expected a value');
    c.onStaleRead(2, 1, { ...ok, kv: { ...ok.kv, value: new TextEncoder().encode('other') } });
    c.onStaleRead(3, 0, ok);
    expect(c.violations.map((v) => v.detail)).toEqual([
      expect.stringMatching(/no applied write stored/),
      expect.stringMatching(/above its applied index 0/),
    ]);
  });

  it('keeps the first reply of a command and dedupes its retry through the KV session table', () => {
    const sm = new SimStateMachine();
    const a = encodeCommand(1, 1);
    const first = sm.apply(1, cmds(a));
    const again = sm.apply(2, cmds(a));
    expect(first.map((o) => o.outcome)).toEqual(['applied']);
    expect(again.map((o) => o.outcome)).toEqual(['deduped']);
    expect(again[0]?.reply).toEqual(first[0]?.reply);
    const copy = new SimStateMachine();
    copy.restore(sm.serialize());
    expect(copy.kv.snapshot()).toEqual(sm.kv.snapshot());
    expect(copy.replies.get('1:1')).toEqual(first[0]?.reply);
    expect(copy.effects.get('1:1')).toBe(1);
  });

  it('checks watchers against the change log of the chosen slots (invariant 10)', () => {
    const c = new InvariantChecker();
    c.recordChanges = true;
    const sm = new SimStateMachine();
    const puts = [encodeWrite(1, 1, kvPut('a/1', 'x')), encodeWrite(1, 2, kvPut('b/1', 'y')), encodeWrite(1, 3, kvPut('a/2', 'z'))];
    puts.forEach((p, i) => {
      c.onPropose(p);
      applyVia(c, sm, 1, i + 1, cmds(p));
    });
    const [x, , z] = c.changeLog;
    if (x === undefined || z === undefined) throw new Error('expected changes');
    const watcher = (received: { kind: 'event'; event: typeof x }[]) => ({ label: 'w', prefix: 'a/', segments: [{ start: 1, received }], through: 3 });
    c.checkWatchers([watcher([{ kind: 'event', event: x }, { kind: 'event', event: z }])]);
    expect(c.violations).toEqual([]);
    c.checkWatchers([watcher([{ kind: 'event', event: z }])]);
    expect(c.violations.map((v) => [v.invariant, v.detail])).toEqual([[10, expect.stringMatching(/missed put a\/1=x version 1 at revision 1/)]]);
  });

  it('accepts an expiry after the TTL and catches one before it (invariant 11)', () => {
    const run = (expireAtTick: number): InvariantChecker => {
      const c = new InvariantChecker();
      const sm = new SimStateMachine();
      const at = (tick: number, slot: number, bytes: Uint8Array): void => {
        c.now = tick;
        c.onPropose(bytes);
        applyVia(c, sm, 1, slot, cmds(bytes));
      };
      at(1, 1, encodeKv(kvCommand(kvLessorEpoch('leader'))));
      at(2, 2, encodeWrite(1, 1, kvLeaseGrant(1000)));
      at(3, 3, encodeWrite(1, 2, kvPut('l/0', 'v', leaseId(1))));
      c.onKeepaliveAck(1, 500); // 50 ticks of 10 ms
      at(expireAtTick, 4, encodeKv(kvCommand(kvLeaseExpire(leaseId(1), 1))));
      c.checkLeaseExpiry(() => 0);
      return c;
    };
    expect(run(150).violations).toEqual([]);
    expect(run(149).violations.map((v) => [v.invariant, v.detail])).toEqual([
      [11, expect.stringMatching(/key l\/0 of lease 1 disappeared at 1490 ms, before 1500 ms/)],
    ]);
  });
});
