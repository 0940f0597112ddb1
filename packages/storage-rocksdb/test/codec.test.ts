import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeConfigState,
  decodeEntryValue,
  decodeHardState,
  encodeConfigState,
  encodeEntryValue,
  encodeHardState,
} from '../src/codec.js';
import { entryKey, readU64, slotOfEntryKey, writeU64 } from '../src/key-layout.js';
import type { ConfigState, NodeId } from '@flexpaxos/paxos';
import { AssertionError } from '@flexpaxos/paxos';
import type { AcceptedEntry, HardState, Slot } from '../src/contract-types.js';

const counting = (voters: number[], replication: number, election: number) => ({
  quorum: { kind: 'counting' as const, voters: voters as NodeId[], replication, election },
  learners: [] as NodeId[],
});
/** A joint configuration with learners and a preferred leader (every field a record holds). */
const JOINT: ConfigState = {
  outgoing: counting([1, 2, 3], 2, 2),
  incoming: {
    ...counting([1, 2, 3, 4], 2, 3),
    learners: [5 as NodeId],
    preferredLeader: 4 as NodeId,
  },
};

const safeU64 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const entryArb: fc.Arbitrary<AcceptedEntry> = fc.record({
  slot: safeU64.map((n) => n as Slot),
  ballot: fc.record({ round: safeU64, nodeId: safeU64 }) as unknown as fc.Arbitrary<
    AcceptedEntry['ballot']
  >,
  value: fc.oneof(
    fc.constant({ kind: 'noop' as const }),
    fc.record({
      kind: fc.constant('commands' as const),
      commands: fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }),
    }),
    fc.constant({ kind: 'config' as const, config: JOINT }),
  ),
});

describe('encodeEntryValue', () => {
  it('round-trips every entry', () => {
    fc.assert(
      fc.property(entryArb, (entry) => {
        expect(decodeEntryValue(entry.slot, encodeEntryValue(entry))).toEqual(entry);
      }),
    );
  });

  it('refuses a truncated record', () => {
    const bytes = encodeEntryValue({
      slot: 1 as Slot,
      ballot: { round: 1, nodeId: 1 } as unknown as AcceptedEntry['ballot'],
      value: { kind: 'commands', commands: [new Uint8Array([1, 2, 3])] },
    });
    expect(() => decodeEntryValue(1 as Slot, bytes.subarray(0, bytes.length - 1))).toThrow(
      /truncated/,
    );
  });
});

describe('encodeHardState', () => {
  it('round-trips every hard state', () => {
    fc.assert(
      fc.property(safeU64, safeU64, safeU64, (round, nodeId, committed) => {
        const hs = { promised: { round, nodeId }, committed } as unknown as HardState;
        expect(decodeHardState(encodeHardState(hs))).toEqual(hs);
      }),
    );
  });
});

describe('entryKey', () => {
  it('orders keys bytewise in slot order', () => {
    fc.assert(
      fc.property(safeU64, safeU64, (a, b) => {
        const cmp = Buffer.compare(entryKey(a), entryKey(b));
        expect(Math.sign(cmp)).toBe(Math.sign(a - b));
        expect(slotOfEntryKey(entryKey(a))).toBe(a);
      }),
    );
  });

  it('refuses integers that are not safe', () => {
    expect(() => writeU64(Buffer.alloc(8), 0, 2 ** 53)).toThrow(/safe integer/);
    expect(readU64(entryKey(2 ** 53 - 1), 1)).toBe(2 ** 53 - 1);
  });
});

describe('decodeConfigState', () => {
  it('round-trips a configuration and refuses one the core would refuse', () => {
    expect(decodeConfigState(encodeConfigState(JOINT), 'test')).toEqual(JOINT);
    const broken = { incoming: counting([1, 2, 3, 4, 5], 2, 3) };
    expect(() => decodeConfigState(encodeConfigState(broken), 'base configuration')).toThrow(
      /base configuration: invalid configuration record: .*P=2 and L=3 do not intersect for N=5/,
    );
    expect(() => decodeConfigState(new TextEncoder().encode('{"x":'), 'entry at slot 4')).toThrow(
      AssertionError,
    );
  });
});
