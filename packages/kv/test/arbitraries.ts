/** fast-check arbitraries for every command and result of the codec. */
import fc from 'fast-check';
import type {
  CompareOp,
  KeyValue,
  KvCommand,
  KvCommandOp,
  KvErrorCode,
  KvReply,
  LeaseId,
  SessionId,
  TxnCompare,
  TxnOp,
  TxnOpResult,
} from '../src/index.js';

export const bytes = fc.uint8Array({ maxLength: 12 });
export const nat = fc.maxSafeNat();
const pos = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const leaseArb = pos.map((n) => n as LeaseId);

const getArb = bytes.map((key) => ({ type: 'get' as const, key }));
const rangeArb = fc.record({ type: fc.constant('range' as const), prefix: bytes, limit: nat });
const putArb = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: bytes, value: bytes }),
  fc.record({ type: fc.constant('put' as const), key: bytes, value: bytes, lease: leaseArb }),
);
const deleteArb = bytes.map((key) => ({ type: 'delete' as const, key }));
const compareOpArb = fc.constantFrom<CompareOp>('=', '!=', '<', '>');

export const compareArb: fc.Arbitrary<TxnCompare> = fc.oneof(
  fc.record({
    target: fc.constantFrom(
      'version' as const,
      'create-revision' as const,
      'mod-revision' as const,
      'lease' as const,
    ),
    key: bytes,
    op: compareOpArb,
    operand: nat,
  }),
  fc.record({ target: fc.constant('value' as const), key: bytes, op: compareOpArb, value: bytes }),
);
const txnOpArb: fc.Arbitrary<TxnOp> = fc.oneof(getArb, rangeArb, putArb, deleteArb);

export const commandOpArb: fc.Arbitrary<KvCommandOp> = fc.oneof(
  getArb,
  rangeArb,
  putArb,
  deleteArb,
  fc.record({ type: fc.constant('cas' as const), key: bytes, expectedVersion: nat, value: bytes }),
  fc.record({
    type: fc.constant('txn' as const),
    compare: fc.array(compareArb, { maxLength: 3 }),
    success: fc.array(txnOpArb, { maxLength: 3 }),
    failure: fc.array(txnOpArb, { maxLength: 3 }),
  }),
  fc.record({ type: fc.constant('lease-grant' as const), ttlMs: nat }),
  fc.record({
    type: fc.constant('lease-revoke' as const),
    lease: nat.map((n) => n as LeaseId),
    reason: fc.constant('client' as const),
  }),
  fc.record({
    type: fc.constant('lease-revoke' as const),
    lease: nat.map((n) => n as LeaseId),
    reason: fc.constant('expired' as const),
    epoch: nat,
  }),
  fc.record({ type: fc.constant('lease-keepalive' as const), lease: nat.map((n) => n as LeaseId) }),
  fc.record({
    type: fc.constant('lease-ttl' as const),
    lease: nat.map((n) => n as LeaseId),
    keys: fc.boolean(),
  }),
  fc.constantFrom(
    { type: 'lease-list' as const },
    { type: 'open-session' as const },
    { type: 'close-session' as const },
    { type: 'session-keepalive' as const },
  ),
  fc.record({ type: fc.constant('lessor-epoch' as const), holder: bytes }),
);

export const commandArb: fc.Arbitrary<KvCommand> = fc.oneof(
  fc.record({
    session: fc.option(fc.record({ clientId: bytes, seq: nat }), { nil: undefined }),
    op: commandOpArb,
  }),
  fc.record({
    sessionRef: fc.record({ sessionId: nat.map((n) => n as SessionId), seq: nat }),
    op: commandOpArb,
  }),
);

export const kvArb: fc.Arbitrary<KeyValue> = fc.record({
  key: bytes,
  value: bytes,
  version: nat,
  revision: nat,
  createRevision: nat,
  lease: nat.map((n) => n as LeaseId | 0),
});

const getResultArb = fc.record({
  type: fc.constant('get' as const),
  kv: fc.option(kvArb, { nil: undefined }),
});
const rangeResultArb = fc.record({
  type: fc.constant('range' as const),
  kvs: fc.array(kvArb, { maxLength: 4 }),
  more: fc.boolean(),
});
const putResultArb = fc.record({ type: fc.constant('put' as const), version: nat, revision: nat });
const deleteResultArb = fc.record({
  type: fc.constant('delete' as const),
  deleted: fc.boolean(),
  prevVersion: nat,
  revision: nat,
});
const txnOpResultArb: fc.Arbitrary<TxnOpResult> = fc.oneof(
  getResultArb,
  rangeResultArb,
  putResultArb,
  deleteResultArb,
);
const errorCodes: KvErrorCode[] = [
  'bad-command',
  'invalid',
  'stale-sequence',
  'session-expired',
  'lease-not-found',
  'limit-exceeded',
];

/** The basic results (`KvResult`). */
export const basicResultArb = fc.oneof(
  getResultArb,
  rangeResultArb,
  putResultArb,
  deleteResultArb,
  fc.record({
    type: fc.constant('cas' as const),
    succeeded: fc.boolean(),
    version: nat,
    revision: nat,
  }),
  fc.record({
    type: fc.constant('error' as const),
    code: fc.constantFrom(...errorCodes),
    message: fc.string(),
  }),
);

export const replyArb: fc.Arbitrary<KvReply> = fc.oneof(
  basicResultArb,
  fc.record({
    type: fc.constant('txn' as const),
    succeeded: fc.boolean(),
    revision: nat,
    results: fc.array(txnOpResultArb, { maxLength: 3 }),
  }),
  fc.record({
    type: fc.constant('lease-grant' as const),
    lease: leaseArb,
    ttlMs: nat,
    revision: nat,
  }),
  fc.record({
    type: fc.constant('lease-revoke' as const),
    revoked: fc.boolean(),
    deleted: nat,
    revision: nat,
  }),
  fc.record({ type: fc.constant('lease-keepalive' as const), lease: leaseArb, ttlMs: nat }),
  fc.record({
    type: fc.constant('lease-ttl' as const),
    lease: leaseArb,
    ttlMs: nat,
    grantedRevision: nat,
    remainingMs: fc.option(nat, { nil: undefined }),
    keys: fc.array(bytes, { maxLength: 3 }),
  }),
  fc.record({
    type: fc.constant('lease-list' as const),
    leases: fc.array(fc.record({ lease: leaseArb, ttlMs: nat }), { maxLength: 3 }),
  }),
  fc.record({
    type: fc.constant('open-session' as const),
    sessionId: pos.map((n) => n as SessionId),
    revision: nat,
  }),
  fc.record({ type: fc.constant('close-session' as const), revision: nat }),
  fc.record({ type: fc.constant('session-keepalive' as const), revision: nat }),
  fc.record({ type: fc.constant('lessor-epoch' as const), epoch: nat, revision: nat }),
);
