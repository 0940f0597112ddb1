import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../src/protocol.js';
import type { Request, Response } from '../src/protocol.js';

const bytes = fc.uint8Array({ maxLength: 64 }).map((b) => Uint8Array.from(b));
const request: fc.Arbitrary<Request> = fc.oneof(
  fc.record({
    kind: fc.constant('command' as const),
    readMode: fc.constantFrom(
      'none' as const,
      'lease' as const,
      'quorum' as const,
      'stale' as const,
    ),
    command: bytes,
  }),
  fc.constant({ kind: 'status' as const }),
  fc.record({ kind: fc.constant('batch' as const), items: fc.array(bytes, { maxLength: 5 }) }),
  fc.record({
    kind: fc.constant('watch-create' as const),
    key: bytes,
    prefix: fc.boolean(),
    prevKv: fc.boolean(),
    startRevision: fc.option(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), {
      nil: undefined,
    }),
    inbox: fc.string({ maxLength: 40 }),
  }),
  fc.record({
    kind: fc.constant('watch-control' as const),
    op: fc.constantFrom('keepalive' as const, 'cancel' as const, 'progress' as const),
    watches: fc.array(
      fc.record({ id: fc.nat({ max: 2 ** 32 - 1 }), ackSeq: fc.nat({ max: 2 ** 32 - 1 }) }),
      { maxLength: 4 },
    ),
  }),
);
const revision = fc.nat({ max: Number.MAX_SAFE_INTEGER });
const response: fc.Arbitrary<Response> = fc.oneof(
  fc.record({ kind: fc.constant('result' as const), result: bytes }),
  fc.record({
    kind: fc.constant('not-leader' as const),
    leader: fc.option(fc.integer({ min: 1, max: 2 ** 32 - 1 }), { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant('not-leader' as const),
    leader: fc.option(fc.integer({ min: 1, max: 2 ** 32 - 1 }), { nil: undefined }),
    proposed: fc.constant(true),
  }),
  fc.record({
    kind: fc.constant('error' as const),
    code: fc.constantFrom(
      'bad-request' as const,
      'unavailable' as const,
      'too-large' as const,
      'limit-exceeded' as const,
    ),
    message: fc.string(),
  }),
  fc.record({ kind: fc.constant('batch' as const), items: fc.array(bytes, { maxLength: 5 }) }),
  fc.record({
    kind: fc.constant('watch' as const),
    reply: fc.oneof(
      fc.record({
        type: fc.constant('created' as const),
        watchId: fc.nat({ max: 2 ** 32 - 1 }),
        nodeId: fc.nat({ max: 2 ** 32 - 1 }),
        startRevision: revision,
        applied: revision,
        windowEvents: fc.nat({ max: 2 ** 32 - 1 }),
      }),
      fc.record({
        type: fc.constant('compacted' as const),
        compactRevision: revision,
        applied: revision,
        nodeId: fc.nat({ max: 2 ** 32 - 1 }),
      }),
      fc.record({
        type: fc.constant('ack' as const),
        applied: revision,
        unknown: fc.array(fc.nat({ max: 2 ** 32 - 1 }), { maxLength: 4 }),
      }),
    ),
  }),
);

describe('encodeRequest', () => {
  it('round-trips through decodeRequest', () => {
    fc.assert(
      fc.property(request, (r) => {
        expect(decodeRequest(encodeRequest(r))).toEqual({ ok: true, value: r });
      }),
      { seed: 5, numRuns: 300 },
    );
  });
});

describe('encodeResponse', () => {
  it('round-trips through decodeResponse', () => {
    fc.assert(
      fc.property(response, (r) => {
        expect(decodeResponse(encodeResponse(r))).toEqual({ ok: true, value: r });
      }),
      { seed: 5, numRuns: 300 },
    );
  });
});

/** The error of a request frame that must not decode. */
function refusal(frame: Uint8Array): string {
  const r = decodeRequest(frame);
  if (r.ok) throw new Error('decoded');
  return r.error;
}

describe('decodeRequest', () => {
  it('refuses other versions, unknown kinds and short frames without throwing', () => {
    expect(decodeRequest(Uint8Array.of(2, 1, 0)).ok).toBe(false);
    expect(decodeRequest(Uint8Array.of(1, 9)).ok).toBe(false);
    expect(decodeRequest(Uint8Array.of(1)).ok).toBe(false);
    expect(decodeRequest(Uint8Array.of(1, 1, 7)).ok).toBe(false);
  });

  it('refuses malformed watch requests, naming what is wrong', () => {
    const create = encodeRequest({
      kind: 'watch-create',
      key: Uint8Array.of(97),
      prefix: true,
      prevKv: false,
      startRevision: undefined,
      inbox: '_INBOX.x',
    });
    expect(decodeRequest(create.subarray(0, 12))).toMatchObject({ ok: false });
    const badFlags = create.slice();
    badFlags[2] = 8;
    expect(refusal(badFlags)).toMatch(/flags/);
    const longInbox = create.slice();
    longInbox[12] = 200; // inbox length past the frame
    expect(refusal(longInbox)).toMatch(/inbox/);
    const control = encodeRequest({
      kind: 'watch-control',
      op: 'cancel',
      watches: [{ id: 1, ackSeq: 0 }],
    });
    expect(decodeRequest(control.subarray(0, 10))).toMatchObject({ ok: false });
    const badOp = control.slice();
    badOp[2] = 4;
    expect(refusal(badOp)).toMatch(/op/);
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        decodeRequest(b);
        decodeResponse(b);
      }),
      { seed: 7, numRuns: 500 },
    );
  });
});
