/**
 * The deterministic key-value state machine that every replica applies the log to.
 *
 * Invariant: the state is a function of the applied log alone (slot numbers and command
 * bytes): no clock, no randomness, no iteration over insertion order that could differ
 * between a replica that applied the log and one that restored a snapshot. Two machines fed
 * the same log produce byte-identical `snapshot()`s.
 */
import { assert, assertNever } from './assert.js';
import { binaryStringToBytes, bytesToBinaryString } from './bytes.js';
import { decodeCommandView, encodeResult, validateCommand } from './codec.js';
import type { StateWrite } from './state-write.js';
import type {
  CasResult,
  DeleteResult,
  KeyValue,
  KvCommand,
  KvReadOp,
  KvResult,
  KvWriteOp,
  PutResult,
} from './types.js';
import { ByteReader, ByteWriter, varintSize } from './wire.js';

/** Limits of the exactly-once session table; both count log slots, never wall time. */
export interface KvConfig {
  /** Most client sessions kept; the least recently used one is evicted beyond it. */
  readonly sessionsMax: number;
  /**
   * A session unused for this many slots expires (the "log time" of the design brief). A
   * client that stays silent longer loses its session and gets `session-expired`.
   */
  readonly sessionExpirySlots: number;
}

/** Defaults: 10,000 sessions, expiring after 1,000,000 slots without use. */
export const DEFAULT_KV_CONFIG: KvConfig = { sessionsMax: 10_000, sessionExpirySlots: 1_000_000 };

/** Every problem with a config, each naming the field and the rule (empty when valid). */
export function validateKvConfig(config: KvConfig): string[] {
  const problems: string[] = [];
  if (!Number.isSafeInteger(config.sessionsMax) || config.sessionsMax < 1)
    problems.push('sessionsMax: must be a positive safe integer');
  if (!Number.isSafeInteger(config.sessionExpirySlots) || config.sessionExpirySlots < 1)
    problems.push('sessionExpirySlots: must be a positive safe integer');
  return problems;
}

/** What applying one command (or a no-op) produced. */
export interface ApplyResult {
  /** The encoded result for the client (see `decodeResult`). */
  readonly reply: Uint8Array;
  /** Records to write in the same atomic batch as the applied index. */
  readonly writes: readonly StateWrite[];
}

/** The shape of the Paxos core's `SlotValue` (structural, so this package stays standalone). */
export type SlotValueLike =
  | { readonly kind: 'noop' }
  | { readonly kind: 'commands'; readonly commands: readonly Uint8Array[] };

/** What applying a whole slot produced. */
export interface SlotApplyResult {
  /** One encoded result per command, in order. */
  readonly replies: readonly Uint8Array[];
  /** Every record the slot changed, in order; persist them with the applied index. */
  readonly writes: readonly StateWrite[];
}

interface Entry {
  /** A view of the end of `record` (never mutated). */
  readonly value: Uint8Array;
  readonly version: number;
  readonly revision: number;
  /** The encoded data record (version, revision, value), encoded once and kept. */
  readonly record: Uint8Array;
}

interface Session {
  readonly lastSeq: number;
  readonly lastSlot: number;
  readonly reply: Uint8Array;
}

const RECORD_VERSION = 1;
const SNAPSHOT_MAGIC = [0x46, 0x50, 0x4b, 0x56]; // "FPKV"

/** A new entry and its data record: one allocation, `value` copied into it. */
function makeEntry(value: Uint8Array, version: number, revision: number): Entry {
  const head = 1 + varintSize(version) + varintSize(revision);
  const record = new ByteWriter(head + value.length)
    .u8(RECORD_VERSION)
    .varint(version)
    .varint(revision)
    .raw(value)
    .finish();
  return { value: record.subarray(head), version, revision, record };
}

function decodeEntry(bytes: Uint8Array): Entry {
  const r = new ByteReader(bytes);
  assert(r.u8() === RECORD_VERSION, 'data record version');
  const version = r.varint();
  const revision = r.varint();
  const value = r.view(r.remaining()); // copied once, by makeEntry
  assert(r.error === undefined && version >= 1, `corrupt data record: ${r.error}`);
  return makeEntry(value, version, revision);
}

function encodeSession(s: Session): Uint8Array {
  return new ByteWriter(1 + varintSize(s.lastSeq) + varintSize(s.lastSlot) + s.reply.length)
    .u8(RECORD_VERSION)
    .varint(s.lastSeq)
    .varint(s.lastSlot)
    .raw(s.reply)
    .finish();
}

function decodeSession(bytes: Uint8Array): Session {
  const r = new ByteReader(bytes);
  assert(r.u8() === RECORD_VERSION, 'session record version');
  const lastSeq = r.varint();
  const lastSlot = r.varint();
  const reply = r.rest();
  assert(r.error === undefined, `corrupt session record: ${r.error}`);
  return { lastSeq, lastSlot, reply };
}

/** Index of the first element of sorted `arr` that is >= `x`. */
function lowerBound(arr: readonly string[], x: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((arr[mid] ?? '') < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The KV state machine: data, per-key versions and revisions, and the exactly-once session
 * table. Pure and synchronous. The host applies chosen slots in order with {@link apply} (one
 * call per command; a batch calls it once per command with the same slot) or
 * {@link applyNoop}, and persists the returned writes atomically with the applied index.
 */
export class KvStateMachine {
  private readonly config: KvConfig;
  /** Data keyed by the binary-string form of the key. */
  private readonly data = new Map<string, Entry>();
  /** The keys of `data`, sorted (byte order). */
  private sortedKeys: string[] = [];
  /**
   * Sessions keyed by the binary-string form of the client id.
   *
   * Invariant: iteration order is by non-decreasing `lastSlot` (a used session is moved to
   * the end), so expiry and eviction look only at the front. Ties within one slot are broken
   * by client id where it matters (eviction), never by insertion order.
   */
  private sessions = new Map<string, Session>();
  private appliedSlot = 0;

  /** An empty machine at applied index 0. Throws listing every config problem. */
  constructor(config: KvConfig = DEFAULT_KV_CONFIG) {
    const problems = validateKvConfig(config);
    if (problems.length > 0) throw new Error(`invalid KvConfig: ${problems.join('; ')}`);
    this.config = config;
  }

  /**
   * Rebuilds a machine from the records a store kept (the union of all `writes` it applied,
   * deletes removed), and the applied index stored with them.
   */
  static fromRecords(
    data: Iterable<readonly [Uint8Array, Uint8Array]>,
    sessions: Iterable<readonly [Uint8Array, Uint8Array]>,
    applied: number,
    config: KvConfig = DEFAULT_KV_CONFIG,
  ): KvStateMachine {
    assert(Number.isSafeInteger(applied) && applied >= 0, `applied index ${applied}`);
    const m = new KvStateMachine(config);
    for (const [key, value] of data) m.data.set(bytesToBinaryString(key), decodeEntry(value));
    m.sortedKeys = [...m.data.keys()].sort();
    const list: [string, Session][] = [];
    for (const [id, value] of sessions) list.push([bytesToBinaryString(id), decodeSession(value)]);
    m.setSessions(list);
    m.appliedSlot = applied;
    return m;
  }

  private setSessions(list: [string, Session][]): void {
    list.sort((a, b) => a[1].lastSlot - b[1].lastSlot || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    this.sessions = new Map(list);
  }

  /** The highest slot applied so far (0 before any). */
  get applied(): number {
    return this.appliedSlot;
  }

  /** Number of keys present. */
  get size(): number {
    return this.data.size;
  }

  /** Number of live client sessions. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /**
   * Moves the applied index to `slot` and expires sessions unused for
   * `sessionExpirySlots`. `slot` may equal the applied index (the next command of the same
   * batch) but never go back.
   */
  private advance(slot: number, writes: StateWrite[]): void {
    assert(Number.isSafeInteger(slot) && slot >= 1, `slot ${slot} must be a positive safe integer`);
    assert(slot >= this.appliedSlot, `slot ${slot} is below the applied index ${this.appliedSlot}`);
    if (slot === this.appliedSlot) return;
    this.appliedSlot = slot;
    const expired: string[] = [];
    for (const [id, s] of this.sessions) {
      if (slot - s.lastSlot < this.config.sessionExpirySlots) break;
      expired.push(id);
    }
    // Sorted so the writes do not depend on the order sessions were restored in.
    for (const id of expired.sort()) {
      this.sessions.delete(id);
      writes.push({ space: 'sessions', key: binaryStringToBytes(id), value: undefined });
    }
  }

  /**
   * Applies a whole chosen slot, shaped like the Paxos core's `SlotValue`: a no-op, or a batch
   * of commands applied in order. Returns one reply per command and all writes of the slot in
   * order (a later write to the same record wins), for one atomic batch with the applied index.
   */
  applySlot(slot: number, value: SlotValueLike): SlotApplyResult {
    assert(
      slot > this.appliedSlot,
      `slot ${slot} must be above the applied index ${this.appliedSlot}`,
    );
    const writes: StateWrite[] = [];
    this.advance(slot, writes);
    if (value.kind === 'noop') return { replies: [], writes };
    const replies: Uint8Array[] = [];
    for (const command of value.commands) replies.push(this.applyInto(slot, command, writes));
    return { replies, writes };
  }

  /** Applies a no-op slot: advances the applied index and may expire sessions. */
  applyNoop(slot: number): readonly StateWrite[] {
    const writes: StateWrite[] = [];
    this.advance(slot, writes);
    return writes;
  }

  /**
   * Applies one command from `slot`. Never throws on bad input: undecodable or invalid
   * commands yield an error reply and change nothing but the applied index.
   *
   * Exactly once: for a command with a session, `seq` equal to the session's last one
   * returns the recorded reply unchanged; a lower `seq` gets `stale-sequence`; an unknown
   * client with `seq` > 1 gets `session-expired`.
   */
  apply(slot: number, commandBytes: Uint8Array): ApplyResult {
    const writes: StateWrite[] = [];
    return { reply: this.applyInto(slot, commandBytes, writes), writes };
  }

  /**
   * {@link apply} appending its writes to `writes`. The command is decoded as views of
   * `commandBytes` (log bytes are never mutated): what the machine keeps is copied (data
   * records, binary-string keys); the writes may hold views of `commandBytes`.
   */
  private applyInto(slot: number, commandBytes: Uint8Array, writes: StateWrite[]): Uint8Array {
    this.advance(slot, writes);
    const decoded = decodeCommandView(commandBytes);
    if (!decoded.ok)
      return encodeResult({ type: 'error', code: 'bad-command', message: decoded.error });
    return this.applyCommand(slot, decoded.value, writes);
  }

  private applyCommand(slot: number, command: KvCommand, writes: StateWrite[]): Uint8Array {
    const problems = validateCommand(command);
    if (problems.length > 0)
      return encodeResult({ type: 'error', code: 'invalid', message: problems.join('; ') });
    const op = command.op;
    if (op.type === 'get' || op.type === 'range') return encodeResult(this.read(op));
    const session = command.session;
    if (session === undefined) return encodeResult(this.write(slot, op, writes));

    const id = bytesToBinaryString(session.clientId);
    const known = this.sessions.get(id);
    if (known !== undefined) {
      if (session.seq === known.lastSeq) return known.reply;
      if (session.seq < known.lastSeq) {
        return encodeResult({
          type: 'error',
          code: 'stale-sequence',
          message: `seq ${session.seq} is older than the last applied seq ${known.lastSeq}`,
        });
      }
    } else if (session.seq > 1) {
      return encodeResult({
        type: 'error',
        code: 'session-expired',
        message: `no session for this client (expired or evicted); seq ${session.seq} needs one`,
      });
    }
    const reply = encodeResult(this.write(slot, op, writes));
    const next: Session = { lastSeq: session.seq, lastSlot: slot, reply };
    this.sessions.delete(id);
    if (known === undefined) this.evictFor(writes);
    this.sessions.set(id, next);
    writes.push({ space: 'sessions', key: session.clientId, value: encodeSession(next) });
    return reply;
  }

  /** Makes room for one new session: evicts the least recently used (smallest id on ties). */
  private evictFor(writes: StateWrite[]): void {
    while (this.sessions.size >= this.config.sessionsMax) {
      let victim: string | undefined;
      let victimSlot = 0;
      for (const [id, s] of this.sessions) {
        if (victim === undefined) {
          victim = id;
          victimSlot = s.lastSlot;
        } else if (s.lastSlot !== victimSlot) break;
        else if (id < victim) victim = id;
      }
      assert(victim !== undefined, 'a full session table has a victim');
      this.sessions.delete(victim);
      writes.push({ space: 'sessions', key: binaryStringToBytes(victim), value: undefined });
    }
  }

  private write(
    slot: number,
    op: KvWriteOp,
    writes: StateWrite[],
  ): PutResult | DeleteResult | CasResult {
    const k = bytesToBinaryString(op.key);
    const cur = this.data.get(k);
    switch (op.type) {
      case 'put': {
        const e = this.set(k, op.key, op.value, (cur?.version ?? 0) + 1, slot, writes);
        return { type: 'put', version: e.version, revision: e.revision };
      }
      case 'cas': {
        const curVersion = cur?.version ?? 0;
        if (curVersion !== op.expectedVersion) {
          return {
            type: 'cas',
            succeeded: false,
            version: curVersion,
            revision: cur?.revision ?? 0,
          };
        }
        const e = this.set(k, op.key, op.value, curVersion + 1, slot, writes);
        return { type: 'cas', succeeded: true, version: e.version, revision: e.revision };
      }
      case 'delete': {
        if (cur === undefined)
          return { type: 'delete', deleted: false, prevVersion: 0, revision: 0 };
        this.data.delete(k);
        const i = lowerBound(this.sortedKeys, k);
        assert(this.sortedKeys[i] === k, 'sorted keys track data');
        this.sortedKeys.splice(i, 1);
        writes.push({ space: 'data', key: op.key, value: undefined });
        return { type: 'delete', deleted: true, prevVersion: cur.version, revision: slot };
      }
      default:
        return assertNever(op, 'write op');
    }
  }

  private set(
    k: string,
    key: Uint8Array,
    value: Uint8Array,
    version: number,
    slot: number,
    writes: StateWrite[],
  ): Entry {
    const e = makeEntry(value, version, slot);
    if (!this.data.has(k)) this.sortedKeys.splice(lowerBound(this.sortedKeys, k), 0, k);
    this.data.set(k, e);
    writes.push({ space: 'data', key, value: e.record });
    return e;
  }

  private kvOf(k: string, e: Entry): KeyValue {
    return {
      key: binaryStringToBytes(k),
      value: e.value.slice(),
      version: e.version,
      revision: e.revision,
    };
  }

  /**
   * Answers a get or range from the applied state, with no session effects: what the leader
   * serves under its lease and any replica serves as a stale read.
   */
  read(op: KvReadOp): KvResult {
    const problems = validateCommand({ session: undefined, op });
    if (problems.length > 0)
      return { type: 'error', code: 'invalid', message: problems.join('; ') };
    switch (op.type) {
      case 'get': {
        const k = bytesToBinaryString(op.key);
        const e = this.data.get(k);
        return { type: 'get', kv: e === undefined ? undefined : this.kvOf(k, e) };
      }
      case 'range': {
        const p = bytesToBinaryString(op.prefix);
        const kvs: KeyValue[] = [];
        let more = false;
        for (let i = lowerBound(this.sortedKeys, p); i < this.sortedKeys.length; i++) {
          const k = this.sortedKeys[i] ?? '';
          if (!k.startsWith(p)) break;
          if (kvs.length === op.limit) {
            more = true;
            break;
          }
          const e = this.data.get(k);
          assert(e !== undefined, 'sorted keys track data');
          kvs.push(this.kvOf(k, e));
        }
        return { type: 'range', kvs, more };
      }
      default:
        return assertNever(op, 'read op');
    }
  }

  /**
   * The whole state as bytes: applied index, data sorted by key, sessions sorted by client
   * id. Equal states give identical bytes, so replicas can be compared byte for byte.
   */
  snapshot(): Uint8Array {
    const w = new ByteWriter();
    for (const b of SNAPSHOT_MAGIC) w.u8(b);
    w.u8(RECORD_VERSION).varint(this.appliedSlot).varint(this.data.size);
    for (const k of this.sortedKeys) {
      const e = this.data.get(k);
      assert(e !== undefined, 'sorted keys track data');
      w.bytes(binaryStringToBytes(k)).bytes(e.record);
    }
    const ids = [...this.sessions.keys()].sort();
    w.varint(ids.length);
    for (const id of ids) {
      const s = this.sessions.get(id);
      assert(s !== undefined, 'session listed');
      w.bytes(binaryStringToBytes(id)).bytes(encodeSession(s));
    }
    return w.finish();
  }

  /**
   * A machine rebuilt from {@link snapshot} bytes. Snapshots are produced by replicas, not
   * clients, so corrupt bytes are a broken invariant and throw.
   */
  static restore(bytes: Uint8Array, config: KvConfig = DEFAULT_KV_CONFIG): KvStateMachine {
    const r = new ByteReader(bytes);
    for (const b of SNAPSHOT_MAGIC) assert(r.u8() === b, 'snapshot magic');
    assert(r.u8() === RECORD_VERSION, 'snapshot version');
    const applied = r.varint();
    const data: [Uint8Array, Uint8Array][] = [];
    const nData = r.varint();
    for (let i = 0; i < nData && r.error === undefined; i++) data.push([r.bytes(), r.bytes()]);
    const sessions: [Uint8Array, Uint8Array][] = [];
    const nSessions = r.varint();
    for (let i = 0; i < nSessions && r.error === undefined; i++)
      sessions.push([r.bytes(), r.bytes()]);
    r.end();
    assert(r.error === undefined, `corrupt snapshot: ${r.error}`);
    return KvStateMachine.fromRecords(data, sessions, applied, config);
  }

  /**
   * A short fingerprint of {@link snapshot} (two 32-bit FNV-1a hashes, hex) for logs and
   * quick comparisons; compare snapshots themselves where a collision would matter.
   */
  stateDigest(): string {
    const bytes = this.snapshot();
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193 ^ bytes.length;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i] ?? 0;
      h1 = Math.imul(h1 ^ b, 0x01000193) >>> 0;
      h2 = Math.imul(h2 ^ b ^ (i & 0xff), 0x5bd1e995) >>> 0;
    }
    return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
  }
}
