import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  HistoryRecorder,
  checkLinearizability,
  porcupineKvModel,
  registerModel,
} from '../src/index.js';
import type {
  Operation,
  PorcupineKvInput,
  PorcupineKvOutput,
  RegisterInput,
  RegisterOutput,
  RegisterValue,
} from '../src/index.js';
import { naiveLinearizable } from './naive.js';

type RegOp = Operation<RegisterInput, RegisterOutput>;

const op = (
  call: number,
  ret: number | undefined,
  input: RegisterInput,
  output: RegisterOutput | undefined,
  clientId = call,
): RegOp => ({ clientId, input, call, output, return: ret });
const write = (v: string): RegisterInput => ({ f: 'write', value: v });
const read: RegisterInput = { f: 'read' };
const got = (v: RegisterValue): RegisterOutput => ({ f: 'read', value: v });
const wrote: RegisterOutput = { f: 'write' };

describe('checkLinearizability', () => {
  it('accepts a sequential history that follows the model', () => {
    const h = [op(0, 1, write('1'), wrote), op(2, 3, read, got('1'))];
    expect(checkLinearizability(registerModel, h).verdict).toBe('linearizable');
  });

  it('rejects a read of a value that was overwritten before it started', () => {
    const h = [op(0, 1, write('1'), wrote), op(2, 3, write('2'), wrote), op(4, 5, read, got('1'))];
    const r = checkLinearizability(registerModel, h);
    expect(r.verdict).toBe('not-linearizable');
    expect(r.failedPartition).toBe(0);
    expect(r.counterexample?.operations).toEqual(h);
    expect(r.counterexample?.longestLinearizable).toEqual([h[0], h[1]]);
  });

  it('lets concurrent operations take effect in either order', () => {
    const h = [op(0, 3, write('1'), wrote), op(1, 2, read, got('1')), op(4, 5, read, got('1'))];
    expect(checkLinearizability(registerModel, h).verdict).toBe('linearizable');
  });

  it('rejects a read that sees a value and then the older one (no going back)', () => {
    const h = [op(0, 10, write('1'), wrote), op(1, 2, read, got('1')), op(3, 4, read, got(null))];
    expect(checkLinearizability(registerModel, h).verdict).toBe('not-linearizable');
  });

  it('lets a pending write take effect late, or never', () => {
    const pending = op(0, undefined, write('1'), undefined);
    expect(checkLinearizability(registerModel, [pending, op(1, 2, read, got(null))]).verdict).toBe(
      'linearizable',
    );
    expect(checkLinearizability(registerModel, [pending, op(1, 2, read, got('1'))]).verdict).toBe(
      'linearizable',
    );
    expect(
      checkLinearizability(registerModel, [
        pending,
        op(1, 2, read, got('1')),
        op(3, 4, read, got(null)),
      ]).verdict,
    ).toBe('not-linearizable');
  });

  it('does not let a pending write take effect before its invocation', () => {
    const h = [op(0, 1, read, got('1')), op(2, undefined, write('1'), undefined)];
    expect(checkLinearizability(registerModel, h).verdict).toBe('not-linearizable');
  });

  it('answers unknown when the time budget runs out', () => {
    // Many concurrent writes and a contradiction at the end: a large search.
    const h: RegOp[] = [];
    for (let i = 0; i < 11; i++) h.push(op(i, 100, write(String(i)), wrote, i));
    h.push(op(101, 102, read, got('x')));
    let t = 0;
    const r = checkLinearizability(registerModel, h, { timeBudgetMs: 5, now: () => t++ });
    expect(r.verdict).toBe('unknown');
    expect(checkLinearizability(registerModel, h).verdict).toBe('not-linearizable');
  });

  it('searches small partitions first, so a budget spent on a large one still finds a violation', () => {
    type KvOp = Operation<PorcupineKvInput, PorcupineKvOutput>;
    const kv = (call: number, ret: number, input: PorcupineKvInput, value = ''): KvOp => ({
      clientId: call,
      input,
      call,
      output: { value },
      return: ret,
    });
    const h: KvOp[] = [];
    for (let i = 0; i < 11; i++) h.push(kv(i, 100, { op: 'put', key: 'big', value: String(i) }));
    h.push(kv(101, 102, { op: 'get', key: 'big', value: '' }, 'none of them'));
    h.push(kv(200, 201, { op: 'put', key: 'small', value: 'x' }));
    h.push(kv(202, 203, { op: 'get', key: 'small', value: '' }, 'y'));
    let t = 0;
    const r = checkLinearizability(porcupineKvModel, h, { timeBudgetMs: 5, now: () => t++ });
    expect(r.verdict).toBe('not-linearizable');
    expect(r.failedPartition).toBe(1);
  });

  it('asserts that no operation returns before its call', () => {
    expect(() => checkLinearizability(registerModel, [op(5, 4, read, got(null))])).toThrow(
      /operation 0/,
    );
  });

  it('asserts that a time budget comes with a clock', () => {
    expect(() => checkLinearizability(registerModel, [], { timeBudgetMs: 1 })).toThrow(/clock/);
  });
});

const valueArb = fc.constantFrom<RegisterValue>(null, '1', '2');
const registerHistoryArb = fc
  .array(
    fc.record({
      input: fc.oneof(
        fc.constant<RegisterInput>({ f: 'read' }),
        valueArb.map((v): RegisterInput => ({ f: 'write', value: v })),
        fc.tuple(valueArb, valueArb).map(([from, to]): RegisterInput => ({ f: 'cas', from, to })),
      ),
      readValue: valueArb,
      casOk: fc.boolean(),
      start: fc.nat(12),
      length: fc.nat(6),
      pending: fc.boolean(),
    }),
    { maxLength: 6 },
  )
  .map((specs) =>
    specs.map((s, i): RegOp => {
      const output: RegisterOutput =
        s.input.f === 'read'
          ? { f: 'read', value: s.readValue }
          : s.input.f === 'write'
            ? { f: 'write' }
            : { f: 'cas', ok: s.casOk };
      const pending = s.pending && s.input.f !== 'read';
      return {
        clientId: i,
        input: s.input,
        call: s.start * 2,
        output: pending ? undefined : output,
        return: pending ? undefined : s.start * 2 + s.length * 2 + 1,
      };
    }),
  );

describe('checkLinearizability against a brute-force search', () => {
  it('agrees with the definition on small random register histories', () => {
    let seenBoth = { yes: 0, no: 0 };
    fc.assert(
      fc.property(registerHistoryArb, (ops) => {
        const expected = naiveLinearizable(registerModel, ops);
        const v = checkLinearizability(registerModel, ops).verdict;
        seenBoth = expected
          ? { ...seenBoth, yes: seenBoth.yes + 1 }
          : { ...seenBoth, no: seenBoth.no + 1 };
        expect(v).toBe(expected ? 'linearizable' : 'not-linearizable');
      }),
      { seed: 20261122, numRuns: 400 },
    );
    expect(seenBoth.yes).toBeGreaterThan(20);
    expect(seenBoth.no).toBeGreaterThan(20);
  });
});

describe('HistoryRecorder', () => {
  it('stamps invocations and responses in call order and keeps abandoned operations pending', () => {
    const h = new HistoryRecorder<RegisterInput, RegisterOutput>();
    const a = h.invoke('c1', write('1'));
    const b = h.invoke('c2', read);
    h.complete(b, got('1'));
    h.abandon(a);
    const c = h.invoke('c3', write('2'));
    h.fail(c);
    const ops = h.operations();
    expect(ops).toEqual([
      { clientId: 'c1', input: write('1'), call: 0, output: undefined, return: undefined },
      { clientId: 'c2', input: read, call: 1, output: got('1'), return: 2 },
    ]);
    expect(checkLinearizability(registerModel, ops).verdict).toBe('linearizable');
    expect(() => h.complete(b, got('1'))).toThrow(/not pending/);
  });
});
