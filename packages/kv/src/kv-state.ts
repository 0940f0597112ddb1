/**
 * The replicated data the state machine applies commands to, apart from the session table:
 * keys (with versions, revisions, create revisions and leases), the lease table, and the meta
 * record (id counters, lessor epoch). `KvStateMachine` handles decoding, sessions and
 * persistence around it; this class runs the operations.
 */
import { assert, assertNever, unreachable } from './assert.js';
import { binaryStringToBytes, bytesToBinaryString } from './bytes.js';
import type { KvEvent, LeaseChange } from './events.js';
import type { LeaseId } from './ids.js';
import type { KvConfig } from './kv-config.js';
import { Keyspace } from './keyspace.js';
import { LeaseTable } from './lease-table.js';
import type { Entry, MetaRecord } from './records.js';
import {
  INITIAL_META,
  META_KEY,
  META_TAGS,
  encodeLease,
  encodeMeta,
  idKey,
  keyBytes,
  makeEntry,
} from './records.js';
import type {
  ErrorResult,
  GetResult,
  KeyValue,
  KvErrorCode,
  KvReply,
  LeaseRevokeResult,
  RangeResult,
  TxnOpResult,
  TxnResult,
} from './results.js';
import type { StateWrite } from './state-write.js';
import type { BranchProblem } from './txn.js';
import { checkBranchLeases, compareHolds } from './txn.js';
import type {
  KvCommandOp,
  KvQueryOp,
  KvReadOp,
  LeaseRevokeOp,
  TxnOp,
  TxnRequest,
} from './types.js';

/** A live lease as the replicated state knows it (what a new leader's lessor starts from). */
export interface LeaseInfo {
  readonly lease: LeaseId;
  readonly ttlMs: number;
  readonly grantedRevision: number;
  /** Number of attached keys. */
  readonly keys: number;
}

/** Everything one apply call produces besides the reply. */
export interface Effects {
  readonly writes: StateWrite[];
  readonly events: KvEvent[];
  readonly leaseChanges: LeaseChange[];
}

/** Empty effects. */
export function effects(): Effects {
  return { writes: [], events: [], leaseChanges: [] };
}

/** An error result. */
export function error(code: KvErrorCode, message: string): ErrorResult {
  return { type: 'error', code, message };
}

const EMPTY = new Uint8Array(0);

function branchError(p: BranchProblem, keysPerLeaseMax: number): ErrorResult {
  return p.code === 'lease-not-found'
    ? error(
        'lease-not-found',
        `lease ${p.lease} does not exist (never granted, revoked or expired)`,
      )
    : error(
        'limit-exceeded',
        `lease ${p.lease} would hold ${p.keys} keys, more than keysPerLeaseMax (${keysPerLeaseMax})`,
      );
}

/** A key's entry as a result or event carries it; `value` is a view unless `copy`. */
function kvOf(key: Uint8Array, e: Entry, copy: boolean): KeyValue {
  return {
    key,
    value: copy ? e.value.slice() : e.value,
    version: e.version,
    revision: e.revision,
    createRevision: e.createRevision,
    lease: e.lease as LeaseId | 0,
  };
}

/**
 * Keys, leases and the meta record.
 *
 * Invariant: a key with lease L is in L's key set and L is live; the meta counters are above
 * every id handed out.
 */
export class KvState {
  readonly config: KvConfig;
  readonly keyspace = new Keyspace();
  readonly leaseTable = new LeaseTable();
  meta: MetaRecord = INITIAL_META;

  constructor(config: KvConfig) {
    this.config = config;
  }

  /** Every live lease, by id: what a newly promoted lessor rebuilds its deadlines from. */
  leases(): LeaseInfo[] {
    return this.leaseTable.ids().map((id) => {
      const l = this.leaseTable.get(id);
      assert(l !== undefined, 'listed lease is live');
      return {
        lease: id as LeaseId,
        ttlMs: l.ttlMs,
        grantedRevision: l.grantedRevision,
        keys: l.keys.size,
      };
    });
  }

  /** Hands out the next session id (recording the counter). */
  nextSessionId(fx: Effects): number {
    const id = this.meta.nextSessionId;
    this.setMeta({ ...this.meta, nextSessionId: id + 1 }, fx);
    return id;
  }

  /** Runs a command's operation (session checks done). */
  execute(slot: number, op: KvCommandOp, fx: Effects): KvReply {
    switch (op.type) {
      case 'get':
      case 'range':
      case 'lease-ttl':
      case 'lease-list':
        return this.query(op, false);
      case 'put': {
        const problem = this.checkLeases([op]);
        if (problem !== undefined) return problem;
        const e = this.putKey(
          slot,
          bytesToBinaryString(op.key),
          op.key,
          op.value,
          op.lease ?? 0,
          fx,
        );
        return { type: 'put', version: e.version, revision: e.revision };
      }
      case 'delete':
        return this.deleteOp(slot, op.key, fx);
      case 'cas': {
        const k = bytesToBinaryString(op.key);
        const cur = this.keyspace.get(k);
        const curVersion = cur?.version ?? 0;
        if (curVersion !== op.expectedVersion)
          return {
            type: 'cas',
            succeeded: false,
            version: curVersion,
            revision: cur?.revision ?? 0,
          };
        const e = this.putKey(slot, k, op.key, op.value, 0, fx);
        return { type: 'cas', succeeded: true, version: e.version, revision: e.revision };
      }
      case 'txn':
        return this.txn(slot, op, fx);
      case 'lease-grant': {
        if (this.leaseTable.size >= this.config.leasesMax) {
          return error(
            'limit-exceeded',
            `${this.leaseTable.size} leases live, the most leasesMax (${this.config.leasesMax}) allows`,
          );
        }
        const id = this.meta.nextLeaseId;
        this.setMeta({ ...this.meta, nextLeaseId: id + 1 }, fx);
        const record = { ttlMs: op.ttlMs, grantedRevision: slot };
        this.leaseTable.grant(id, record);
        fx.writes.push({
          space: 'sessions',
          key: keyBytes(idKey(META_TAGS.lease, id)),
          value: encodeLease(record),
        });
        fx.leaseChanges.push({ kind: 'granted', lease: id as LeaseId, ttlMs: op.ttlMs });
        return { type: 'lease-grant', lease: id as LeaseId, ttlMs: op.ttlMs, revision: slot };
      }
      case 'lease-revoke':
        return this.revoke(slot, op, fx);
      case 'lessor-epoch': {
        const epoch = this.meta.epoch + 1;
        this.setMeta({ ...this.meta, epoch, holder: op.holder.slice() }, fx);
        fx.leaseChanges.push({ kind: 'epoch', epoch, holder: this.meta.holder });
        return { type: 'lessor-epoch', epoch, revision: slot };
      }
      case 'close-session':
      case 'session-keepalive':
        return { type: op.type, revision: slot };
      case 'open-session':
      case 'lease-keepalive':
        // Routed before any session handling; reaching here is a bug.
        return unreachable(`${op.type} is not executed as a write`);
      default:
        return assertNever(op, 'op');
    }
  }

  setMeta(meta: MetaRecord, fx: Effects): void {
    this.meta = meta;
    fx.writes.push({ space: 'sessions', key: keyBytes(META_KEY), value: encodeMeta(meta) });
  }

  checkLeases(ops: readonly TxnOp[]): ErrorResult | undefined {
    const p = checkBranchLeases(
      ops,
      (k) => this.keyspace.get(k),
      (lease) => this.leaseTable.get(lease)?.keys.size,
      this.config.keysPerLeaseMax,
    );
    return p === undefined ? undefined : branchError(p, this.config.keysPerLeaseMax);
  }

  /** Writes `value` at key `k` (bytes `key`), attached to `lease` (0: none). */
  putKey(
    slot: number,
    k: string,
    key: Uint8Array,
    value: Uint8Array,
    lease: number,
    fx: Effects,
  ): Entry {
    const cur = this.keyspace.get(k);
    const e = makeEntry(value, (cur?.version ?? 0) + 1, slot, cur?.createRevision ?? slot, lease);
    this.keyspace.set(k, e);
    const prevLease = cur?.lease ?? 0;
    if (prevLease !== lease) {
      if (prevLease !== 0) this.leaseTable.detach(prevLease, k);
      if (lease !== 0) this.leaseTable.attach(lease, k);
    }
    fx.writes.push({ space: 'data', key, value: e.record });
    const own = key.slice(); // events outlive the command bytes `key` may view
    fx.events.push({
      type: 'put',
      kv: kvOf(own, e, false),
      prev: cur === undefined ? undefined : kvOf(own, cur, false),
    });
    return e;
  }

  /** Deletes key `k` if present; returns the entry it had. */
  deleteKey(slot: number, k: string, key: Uint8Array, fx: Effects): Entry | undefined {
    const cur = this.keyspace.get(k);
    if (cur === undefined) return undefined;
    this.keyspace.remove(k);
    if (cur.lease !== 0) this.leaseTable.detach(cur.lease, k);
    fx.writes.push({ space: 'data', key, value: undefined });
    const own = key.slice();
    fx.events.push({
      type: 'delete',
      kv: { key: own, value: EMPTY, version: 0, revision: slot, createRevision: 0, lease: 0 },
      prev: kvOf(own, cur, false),
    });
    return cur;
  }

  deleteOp(slot: number, key: Uint8Array, fx: Effects): TxnOpResult {
    const cur = this.deleteKey(slot, bytesToBinaryString(key), key, fx);
    return cur === undefined
      ? { type: 'delete', deleted: false, prevVersion: 0, revision: 0 }
      : { type: 'delete', deleted: true, prevVersion: cur.version, revision: slot };
  }

  /** A transaction: compares, then one branch, atomically (checked before anything runs). */
  txn(slot: number, op: TxnRequest, fx: Effects): TxnResult | ErrorResult {
    const succeeded = op.compare.every((c) =>
      compareHolds(c, this.keyspace.get(bytesToBinaryString(c.key))),
    );
    const branch = succeeded ? op.success : op.failure;
    const problem = this.checkLeases(branch);
    if (problem !== undefined) return problem;
    const results: TxnOpResult[] = [];
    for (const o of branch) {
      switch (o.type) {
        case 'get':
        case 'range':
          results.push(this.readKv(o, false));
          break;
        case 'put': {
          const e = this.putKey(slot, bytesToBinaryString(o.key), o.key, o.value, o.lease ?? 0, fx);
          results.push({ type: 'put', version: e.version, revision: e.revision });
          break;
        }
        case 'delete':
          results.push(this.deleteOp(slot, o.key, fx));
          break;
        default:
          assertNever(o, 'txn op');
      }
    }
    return { type: 'txn', succeeded, revision: slot, results };
  }

  revoke(slot: number, op: LeaseRevokeOp, fx: Effects): LeaseRevokeResult | ErrorResult {
    const nothing: LeaseRevokeResult = {
      type: 'lease-revoke',
      revoked: false,
      deleted: 0,
      revision: 0,
    };
    // A revocation decided under an older epoch comes from a deposed leader's lessor: the
    // current leader may have kept the lease alive since (see Lessor).
    if (op.reason === 'expired' && op.epoch !== this.meta.epoch) return nothing;
    if (this.leaseTable.get(op.lease) === undefined) {
      return op.reason === 'expired'
        ? nothing
        : error(
            'lease-not-found',
            `lease ${op.lease} does not exist (never granted, revoked or expired)`,
          );
    }
    const keys = this.leaseTable.revoke(op.lease);
    for (const k of keys) this.deleteKey(slot, k, binaryStringToBytes(k), fx);
    fx.writes.push({
      space: 'sessions',
      key: keyBytes(idKey(META_TAGS.lease, op.lease)),
      value: undefined,
    });
    fx.leaseChanges.push({ kind: 'revoked', lease: op.lease });
    return { type: 'lease-revoke', revoked: true, deleted: keys.length, revision: slot };
  }

  /** A get or range; values are views of the records unless `copy`. */
  readKv(op: KvReadOp, copy: boolean): GetResult | RangeResult {
    if (op.type === 'get') {
      const e = this.keyspace.get(bytesToBinaryString(op.key));
      return { type: 'get', kv: e === undefined ? undefined : kvOf(op.key.slice(), e, copy) };
    }
    const { keys, more } = this.keyspace.range(bytesToBinaryString(op.prefix), op.limit);
    const kvs = keys.map((k) => {
      const e = this.keyspace.get(k);
      assert(e !== undefined, 'ranged key is present');
      return kvOf(binaryStringToBytes(k), e, copy);
    });
    return { type: 'range', kvs, more };
  }

  query(op: KvQueryOp, copy: boolean): KvReply {
    switch (op.type) {
      case 'get':
      case 'range':
        return this.readKv(op, copy);
      case 'lease-ttl': {
        const l = this.leaseTable.get(op.lease);
        if (l === undefined)
          return error(
            'lease-not-found',
            `lease ${op.lease} does not exist (never granted, revoked or expired)`,
          );
        return {
          type: 'lease-ttl',
          lease: op.lease,
          ttlMs: l.ttlMs,
          grantedRevision: l.grantedRevision,
          remainingMs: undefined,
          keys: op.keys ? [...l.keys].sort().map(binaryStringToBytes) : [],
        };
      }
      case 'lease-list':
        return {
          type: 'lease-list',
          leases: this.leases().map((l) => ({ lease: l.lease, ttlMs: l.ttlMs })),
        };
      default:
        return assertNever(op, 'query');
    }
  }
}
