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
);
const response: fc.Arbitrary<Response> = fc.oneof(
  fc.record({ kind: fc.constant('result' as const), result: bytes }),
  fc.record({
    kind: fc.constant('not-leader' as const),
    leader: fc.option(fc.integer({ min: 1, max: 2 ** 32 - 1 }), { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant('error' as const),
    code: fc.constantFrom('bad-request' as const, 'unavailable' as const, 'too-large' as const),
    message: fc.string(),
  }),
  fc.record({ kind: fc.constant('batch' as const), items: fc.array(bytes, { maxLength: 5 }) }),
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

describe('decodeRequest', () => {
  it('refuses other versions, unknown kinds and short frames without throwing', () => {
    expect(decodeRequest(Uint8Array.of(2, 1, 0)).ok).toBe(false);
    expect(decodeRequest(Uint8Array.of(1, 9)).ok).toBe(false);
    expect(decodeRequest(Uint8Array.of(1)).ok).toBe(false);
    expect(decodeRequest(Uint8Array.of(1, 1, 7)).ok).toBe(false);
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
