import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  commandSessionKey,
  decodeCommand,
  decodeCommandView,
  decodeReply,
  decodeResult,
  encodeCommand,
  encodeResult,
  KV_FORMAT_VERSION,
  kvCommand,
  kvCompare,
  kvGet,
  kvLeaseGrant,
  kvPut,
  kvTxn,
  leaseId,
} from '../src/index.js';
import type { KvCommand } from '../src/index.js';
import { basicResultArb, commandArb, replyArb } from './arbitraries.js';

describe('encodeCommand', () => {
  it('round-trips every command through decodeCommand', () => {
    fc.assert(
      fc.property(commandArb, (c) => {
        expect(decodeCommand(encodeCommand(c))).toEqual({ ok: true, value: c });
      }),
      { seed: 1, numRuns: 1000 },
    );
  });

  it('starts with the format version byte', () => {
    const b = encodeCommand({ session: undefined, op: { type: 'get', key: new Uint8Array([1]) } });
    expect(b[0]).toBe(KV_FORMAT_VERSION);
    expect(KV_FORMAT_VERSION).toBe(2);
    expect(b.length).toBe(5);
  });

  it('keeps the layout of the basic commands: only the version byte differs from format 1', () => {
    const b = encodeCommand(kvCommand(kvPut('k', 'v'), 'c', 7));
    expect(Array.from(b)).toEqual([2, 1, 1, 0x63, 7, 3, 1, 0x6b, 1, 0x76]);
  });
});

describe('encodeResult', () => {
  it('round-trips every result through decodeReply', () => {
    fc.assert(
      fc.property(replyArb, (r) => {
        expect(decodeReply(encodeResult(r))).toEqual({ ok: true, value: r });
      }),
      { seed: 2, numRuns: 1000 },
    );
  });
});

describe('decodeResult', () => {
  it('decodes the basic results like decodeReply', () => {
    fc.assert(
      fc.property(basicResultArb, (r) => {
        expect(decodeResult(encodeResult(r))).toEqual({ ok: true, value: r });
      }),
      { seed: 21, numRuns: 300 },
    );
  });

  it('refuses the other results, pointing at decodeReply', () => {
    const bytes = encodeResult({ type: 'txn', succeeded: true, revision: 3, results: [] });
    expect(decodeResult(bytes)).toEqual({
      ok: false,
      error: 'a txn result is not a basic result: use decodeReply',
    });
  });

  it('returns an error, never throws, on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        expect(typeof decodeResult(b).ok).toBe('boolean');
      }),
      { seed: 4, numRuns: 2000 },
    );
  });
});

describe('decodeCommand', () => {
  it('returns an error, never throws, on arbitrary bytes; what decodes re-encodes exactly', () => {
    let decoded = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 40 }),
          fc.uint8Array({ maxLength: 40 }).map((b) => Uint8Array.of(2, ...b)),
          fc.uint8Array({ maxLength: 40 }).map((b) => Uint8Array.of(2, 0, ...b)),
          // Valid commands with one byte changed: near misses that often still decode.
          fc.tuple(commandArb, fc.nat(), fc.nat(255)).map(([c, i, v]) => {
            const b = encodeCommand(c);
            b[i % b.length] = v;
            return b;
          }),
        ),
        (b) => {
          const d = decodeCommand(b);
          if (d.ok) {
            decoded++;
            // Format 1 input re-encodes as format 2, byte for byte otherwise.
            expect(encodeCommand(d.value)).toEqual(Uint8Array.of(2, ...b.subarray(1)));
          } else expect(d.error).toMatch(/./);
        },
      ),
      { seed: 3, numRuns: 5000 },
    );
    expect(decoded).toBeGreaterThan(50);
  });

  it('still decodes format 1 commands, without the later tags and session kinds', () => {
    const v2 = encodeCommand(kvCommand(kvPut('k', 'v'), 'c', 7));
    const v1 = Uint8Array.of(1, ...v2.subarray(1));
    expect(decodeCommand(v1)).toEqual(decodeCommand(v2));
    const grant = encodeCommand(kvCommand(kvLeaseGrant(5000)));
    expect(decodeCommand(Uint8Array.of(1, ...grant.subarray(1)))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/op tag 8 needs format version 2/) as unknown,
    });
    const registered = encodeCommand({
      sessionRef: { sessionId: 4 as never, seq: 1 },
      op: kvGet('k'),
    });
    expect(decodeCommand(Uint8Array.of(1, ...registered.subarray(1)))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/session flag 2/) as unknown,
    });
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
    expect(decodeCommand(new Uint8Array([3, ...good.subarray(1)]))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/version/) as unknown,
    });
    expect(decodeCommand(new Uint8Array([2, 0, 99]))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/tag/) as unknown,
    });
    expect(decodeCommand(new Uint8Array([]))).toMatchObject({ ok: false });
  });

  it('rejects a huge length prefix without allocating it', () => {
    const b = new Uint8Array([2, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(decodeCommand(b)).toMatchObject({ ok: false });
  });

  it('rejects malformed transactions: bad compare target or operator, a lease op inside', () => {
    const txn = encodeCommand(
      kvCommand(kvTxn([kvCompare('version', 'k', '=', 1)], [kvPut('k', 'v')])),
    );
    // Layout: 2 0 | 7 | 1 (compares) | target op key operand | ...
    const badTarget = txn.slice();
    badTarget[4] = 9;
    expect(decodeCommand(badTarget)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/compare target 9/) as unknown,
    });
    const badOp = txn.slice();
    badOp[5] = 0;
    expect(decodeCommand(badOp)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/compare operator 0/) as unknown,
    });
    const withGrant = encodeCommand({
      session: undefined,
      op: { type: 'txn', compare: [], success: [kvLeaseGrant(5000) as never], failure: [] },
    });
    expect(decodeCommand(withGrant)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/lease-grant is not allowed in a transaction/) as unknown,
    });
    const txnCount = encodeCommand(kvCommand(kvTxn([], [])));
    expect(decodeCommand(Uint8Array.of(...txnCount.subarray(0, 3), 0xff, 0x7f))).toMatchObject({
      ok: false,
    });
  });

  it('rejects a put-with-lease naming lease 0 (not canonical: a plain put has no lease)', () => {
    const b = encodeCommand(kvCommand(kvPut('k', 'v', leaseId(1))));
    const zero = b.slice();
    zero[zero.length - 1] = 0;
    expect(decodeCommand(zero)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/lease 0/) as unknown,
    });
  });
});

describe('decodeReply', () => {
  it('returns an error, never throws, on arbitrary bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 40 }),
          fc.uint8Array({ maxLength: 40 }).map((b) => Uint8Array.of(2, ...b)),
        ),
        (b) => {
          const d = decodeReply(b);
          expect(typeof d.ok).toBe('boolean');
        },
      ),
      { seed: 5, numRuns: 3000 },
    );
  });

  it('rejects an id of 0, a lease op result inside a txn result, and trailing bytes', () => {
    const grant = encodeResult({
      type: 'lease-grant',
      lease: leaseId(1),
      ttlMs: 1000,
      revision: 1,
    });
    const zero = grant.slice();
    zero[2] = 0;
    expect(decodeReply(zero)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/lease 0/) as unknown,
    });
    const txn = encodeResult({ type: 'txn', succeeded: true, revision: 1, results: [] });
    const nested = Uint8Array.of(...txn.subarray(0, 4), 1, ...grant.subarray(1));
    expect(decodeReply(nested)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/not allowed in a transaction result/) as unknown,
    });
    expect(decodeReply(Uint8Array.of(...grant, 0))).toMatchObject({ ok: false });
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
      { type: 'open-session' as const, sessionId: 300 as never, revision: 5 },
      { type: 'session-keepalive' as const, revision: 5 },
    ]) {
      const bytes = encodeResult(r);
      expect(bytes.buffer.byteLength).toBe(bytes.length);
      expect(decodeReply(bytes)).toEqual({ ok: true, value: r });
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

function sameSession(a: KvCommand, b: KvCommand): boolean | undefined {
  if (a.sessionRef !== undefined || b.sessionRef !== undefined) {
    if (a.sessionRef === undefined || b.sessionRef === undefined) return false;
    return (
      a.sessionRef.sessionId === b.sessionRef.sessionId && a.sessionRef.seq === b.sessionRef.seq
    );
  }
  if (a.session === undefined || b.session === undefined) return undefined;
  return (
    a.session.seq === b.session.seq &&
    a.session.clientId.length === b.session.clientId.length &&
    a.session.clientId.every((x, i) => x === b.session?.clientId[i])
  );
}

describe('commandSessionKey', () => {
  it('is equal for two commands exactly when their sessions (kind, id, seq) are equal', () => {
    fc.assert(
      fc.property(commandArb, commandArb, (a, b) => {
        const ka = commandSessionKey(encodeCommand(a));
        const kb = commandSessionKey(encodeCommand(b));
        const hasA = a.session !== undefined || a.sessionRef !== undefined;
        const hasB = b.session !== undefined || b.sessionRef !== undefined;
        expect(ka === undefined).toBe(!hasA);
        expect(kb === undefined).toBe(!hasB);
        if (!hasA || !hasB) return;
        expect(ka === kb).toBe(sameSession(a, b));
      }),
      { seed: 9, numRuns: 500 },
    );
  });

  it('tells a client-chosen id from a registered id with the same bytes', () => {
    // clientId [5] with seq 1 and session id 5 with seq 1 share the payload bytes 05 01 (after
    // the client id's length byte): the flag byte keeps them apart.
    const a = commandSessionKey(encodeCommand(kvCommand(kvGet('k'), Uint8Array.of(1), 5)));
    const b = commandSessionKey(
      encodeCommand({ sessionRef: { sessionId: 1 as never, seq: 5 }, op: kvGet('k') }),
    );
    expect(a).toBeDefined();
    expect(a).not.toBe(b);
  });

  it('is undefined for a truncated header or another format version', () => {
    const bytes = encodeCommand({
      session: { clientId: new Uint8Array([1, 2, 3]), seq: 300 },
      op: { type: 'get', key: new Uint8Array([9]) },
    });
    expect(commandSessionKey(bytes)).toBeDefined();
    expect(commandSessionKey(bytes.subarray(0, 6))).toBeUndefined();
    expect(commandSessionKey(Uint8Array.of(3, ...bytes.subarray(1)))).toBeUndefined();
    expect(commandSessionKey(Uint8Array.of(1, ...bytes.subarray(1)))).toBe(
      commandSessionKey(bytes),
    );
  });
});
