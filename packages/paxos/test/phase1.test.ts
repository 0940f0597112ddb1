import { describe, expect, it } from 'vitest';
import { PromiseTally, planRecovery } from '../src/phase1.js';
import type { AcceptedEntry, NodeId, Round, Slot, SlotValue } from '../src/index.js';

const cmdValue = (text: string): SlotValue => ({
  kind: 'commands',
  commands: [new TextEncoder().encode(text)],
});
const entry = (slot: number, round: number, node: number, text: string): AcceptedEntry => ({
  slot: slot as Slot,
  ballot: { round: round as Round, nodeId: node as NodeId },
  value: cmdValue(text),
});
const id = (n: number) => n as NodeId;
const none = () => undefined;

describe('PromiseTally', () => {
  it('keeps the highest-ballot entry per slot and ignores a repeated promise', () => {
    const t = new PromiseTally(0);
    expect(t.absorb(id(1), [entry(1, 1, 1, 'a'), entry(2, 3, 2, 'b')], 0, 0)).toBe(true);
    expect(t.absorb(id(2), [entry(1, 2, 2, 'c'), entry(2, 1, 1, 'd')], 0, 0)).toBe(true);
    expect(t.absorb(id(2), [entry(1, 9, 9, 'z')], 0, 0)).toBe(false);
    expect(t.reported.get(1)).toEqual(entry(1, 2, 2, 'c'));
    expect(t.reported.get(2)).toEqual(entry(2, 3, 2, 'b'));
    expect([...t.votes]).toEqual([
      [1, true],
      [2, true],
    ]);
  });

  it('remembers the highest committed or snapshot index and who reported it', () => {
    const t = new PromiseTally(2);
    t.absorb(id(1), [], 4, 0);
    t.absorb(id(2), [], 3, 6);
    expect([t.knownChosenUpTo, t.knownChosenFrom]).toEqual([6, 2]);
  });
});

describe('planRecovery', () => {
  it('re-proposes the highest-ballot value per slot and fills holes with no-ops', () => {
    const t = new PromiseTally(0);
    t.absorb(id(1), [entry(1, 1, 1, 'a'), entry(3, 2, 1, 'c')], 0, 0);
    t.absorb(id(2), [entry(1, 2, 2, 'b')], 0, 0);
    const plan = planRecovery(t, 0, 0, none);
    expect(plan.proposals).toEqual([
      { slot: 1, value: cmdValue('b') },
      { slot: 2, value: { kind: 'noop' } },
      { slot: 3, value: cmdValue('c') },
    ]);
    expect(plan.nextSlot).toBe(4);
    expect(plan.fetchUpTo).toBe(0);
  });

  it('prefers a value known chosen over a higher-ballot report', () => {
    const t = new PromiseTally(0);
    // Node 2 committed slot 1 with 'a' (accepted in ballot 1); node 3 reports 'x' from ballot 5
    // (impossible with intersecting quorums, but the chosen value must win regardless).
    t.absorb(id(2), [entry(1, 1, 1, 'a')], 1, 0);
    t.absorb(id(3), [entry(1, 5, 3, 'x')], 0, 0);
    expect(planRecovery(t, 0, 0, none).proposals).toEqual([{ slot: 1, value: cmdValue('a') }]);
  });

  it('never fills a slot that a promiser committed but compacted; it fetches it instead', () => {
    const t = new PromiseTally(0);
    t.absorb(id(2), [entry(3, 1, 1, 'c')], 3, 2); // slots 1-2 compacted at node 2
    t.absorb(id(3), [entry(1, 1, 1, 'stale?')], 0, 0);
    const plan = planRecovery(t, 0, 0, none);
    expect(plan.proposals).toEqual([{ slot: 3, value: cmdValue('c') }]);
    expect(plan.fetchUpTo).toBe(3);
    expect(plan.nextSlot).toBe(4);
  });

  it('starts above the leader committed index and keeps its own chosen values', () => {
    const t = new PromiseTally(2);
    t.absorb(id(2), [entry(3, 1, 1, 'x')], 2, 0);
    const plan = planRecovery(t, 2, 4, (slot) => (slot === 4 ? cmdValue('mine') : undefined));
    expect(plan.proposals).toEqual([
      { slot: 3, value: cmdValue('x') },
      { slot: 4, value: cmdValue('mine') },
    ]);
  });
});
