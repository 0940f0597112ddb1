import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  commandSessionKey,
  decodeCommand,
  decodeCommandView,
  decodeResult,
  encodeCommand,
  encodeResult,
  KV_FORMAT_VERSION,
} from '../src/index.js';
import type { KeyValue, KvCommand, KvOp, KvResult } from '../src/index.js';

const bytes = fc.uint8Array({ maxLength: 12 });
const nat = fc.maxSafeNat();
const opArb: fc.Arbitrary<KvOp> = fc.oneof(
  bytes.map((key) => ({ type: 'get' as const, key })),
  fc.record({ type: fc.constant('range' as const), prefix: bytes, limit: nat }),
  fc.record({ type: fc.constant('put' as const), key: bytes, value: bytes }),
  bytes.map((key) => ({ type: 'delete' as const, key })),
  fc.record({ type: fc.constant('cas' as const), key: bytes, expectedVersion: nat, value: bytes }),
);
const commandArb: fc.Arbitrary<KvCommand> = fc.record({
  session: fc.option(fc.record({ clientId: bytes, seq: nat }), { nil: undefined }),
  op: opArb,
});
const kvArb: fc.Arbitrary<KeyValue> = fc.record({
  key: bytes,
  value: bytes,
  version: nat,
  revision: nat,
});
const resultArb: fc.Arbitrary<KvResult> = fc.oneof(
  fc.record({ type: fc.constant('get' as const), kv: fc.option(kvArb, { nil: undefined }) }),
  fc.record({
    type: fc.constant('range' as const),
    kvs: fc.array(kvArb, { maxLength: 4 }),
    more: fc.boolean(),
  }),
  fc.record({ type: fc.constant('put' as const), version: nat, revision: nat }),
  fc.record({
    type: fc.constant('delete' as const),
    deleted: fc.boolean(),
    prevVersion: nat,
    revision: nat,
  }),
  fc.record({
    type: fc.constant('cas' as const),
    succeeded: fc.boolean(),
    version: nat,
    revision: nat,
  }),
  fc.record({
    type: fc.constant('error' as const),
    code: fc.constantFrom(
      'bad-command' as const,
      'invalid' as const,
      'stale-sequence' as const,
      'session-expired' as const,
    ),
    message: fc.string(),
  }),
);

describe('encodeCommand', () => {
  it('round-trips every command through decodeCommand', () => {
    fc.assert(
      fc.property(commandArb, (c) => {
        expect(decodeCommand(encodeCommand(c))).toEqual({ ok: true, value: c });
      }),
      { seed: 1, numRuns: 500 },
    );
  });

  it('starts with the format version byte', () => {
    const b = encodeCommand({ session: undefined, op: { type: 'get', key: new Uint8Array([1]) } });
    expect(b[0]).toBe(KV_FORMAT_VERSION);
    expect(b.length).toBe(5);
  });
});

describe('encodeResult', () => {
  it('round-trips every result through decodeResult', () => {
    fc.assert(
      fc.property(resultArb, (r) => {
        expect(decodeResult(encodeResult(r))).toEqual({ ok: true, value: r });
      }),
      { seed: 2, numRuns: 500 },
    );
  });
});

describe('decodeCommand', () => {
  it('returns an error, never throws, on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        const d = decodeCommand(b);
        if (d.ok) expect(encodeCommand(d.value)).toEqual(b);
        else expect(d.error).toMatch(/./);
      }),
      { seed: 3, numRuns: 2000 },
    );
  });

  it('rejects truncated, trailing, unknown-version and unknown-tag input', () => {
    const good = encodeCommand({
      session: undefined,
      op: { type: 'put', key: new Uint8Array([1]), value: new Uint8Array([2, 3]) },
    });
    expect(decodeCommand(good.subarray(0, good.length - 1))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/truncated|exceeds/) as unknown,
    });
    expect(decodeCommand(new Uint8Array([...good, 0]))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/trailing/) as unknown,
    });
    expect(decodeCommand(new Uint8Array([2, ...good.subarray(1)]))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/version/) as unknown,
    });
    expect(decodeCommand(new Uint8Array([1, 0, 99]))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/tag/) as unknown,
    });
    expect(decodeCommand(new Uint8Array([]))).toMatchObject({ ok: false });
  });

  it('rejects a huge length prefix without allocating it', () => {
    const b = new Uint8Array([1, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(decodeCommand(b)).toMatchObject({ ok: false });
  });
});

describe('decodeResult', () => {
  it('returns an error, never throws, on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        const d = decodeResult(b);
        expect(typeof d.ok).toBe('boolean');
      }),
      { seed: 4, numRuns: 2000 },
    );
  });
});

describe('encoded sizes', () => {
  it('sizes commands and write results exactly (no spare bytes, no growth)', () => {
    fc.assert(
      fc.property(commandArb, (c) => {
        const bytes = encodeCommand(c);
        // An exactly pre-sized writer hands over its own buffer: nothing beyond the bytes.
        expect(bytes.buffer.byteLength).toBe(bytes.length);
      }),
    );
    for (const r of [
      { type: 'put' as const, version: 300, revision: 2 ** 40 },
      { type: 'cas' as const, succeeded: true, version: 1, revision: 128 },
      { type: 'delete' as const, deleted: true, prevVersion: 127, revision: 16384 },
    ]) {
      const bytes = encodeResult(r);
      expect(bytes.buffer.byteLength).toBe(bytes.length);
      expect(decodeResult(bytes)).toEqual({ ok: true, value: r });
    }
  });
});

describe('decodeCommandView', () => {
  it('decodes like decodeCommand, its byte strings being views of the input', () => {
    fc.assert(
      fc.property(commandArb, (c) => {
        const bytes = encodeCommand(c);
        const view = decodeCommandView(bytes);
        expect(view).toEqual(decodeCommand(bytes));
        if (view.ok && view.value.op.type === 'put') {
          expect(view.value.op.value.buffer).toBe(bytes.buffer);
          const copy = decodeCommand(bytes);
          expect(copy.ok && copy.value.op.type === 'put' && copy.value.op.value.buffer).not.toBe(
            bytes.buffer,
          );
        }
      }),
    );
  });
});

describe('commandSessionKey', () => {
  it('is equal for two commands exactly when their (client id, seq) are equal', () => {
    fc.assert(
      fc.property(commandArb, commandArb, (a, b) => {
        const ka = commandSessionKey(encodeCommand(a));
        const kb = commandSessionKey(encodeCommand(b));
        expect(ka === undefined).toBe(a.session === undefined);
        expect(kb === undefined).toBe(b.session === undefined);
        if (a.session === undefined || b.session === undefined) return;
        const same =
          a.session.seq === b.session.seq &&
          a.session.clientId.length === b.session.clientId.length &&
          a.session.clientId.every((x, i) => x === b.session?.clientId[i]);
        expect(ka === kb).toBe(same);
      }),
    );
  });

  it('is undefined for a truncated header or another format version', () => {
    const bytes = encodeCommand({
      session: { clientId: new Uint8Array([1, 2, 3]), seq: 300 },
      op: { type: 'get', key: new Uint8Array([9]) },
    });
    expect(commandSessionKey(bytes)).toBeDefined();
    expect(commandSessionKey(bytes.subarray(0, 6))).toBeUndefined();
    expect(commandSessionKey(Uint8Array.of(2, ...bytes.subarray(1)))).toBeUndefined();
  });
});
