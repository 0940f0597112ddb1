/**
 * The deterministic key-value state machine that every replica applies the log to.
 *
 * Invariant: the state is a function of the applied log alone (slot numbers and command
 * bytes): no clock, no randomness, no iteration over insertion order that could differ
 * between a replica that applied the log and one that restored a snapshot. Two machines fed
 * the same log produce byte-identical `snapshot()`s. Lease expiry is no exception: the leader's
 * lessor decides it on its own clock and proposes a `lease-revoke`, which every replica applies
 * at the same slot.
 */
import { assert } from './assert.js';
import { binaryStringToBytes, bytesToBinaryString } from './bytes.js';
import { decodeCommandView } from './command-codec.js';
import type { KvEvent, LeaseChange } from './events.js';
import type { SessionId } from './ids.js';
import type { KvConfig } from './kv-config.js';
import { resolveKvConfig } from './kv-config.js';
import type { Effects, LeaseInfo } from './kv-state.js';
import { KvState, effects, error } from './kv-state.js';
import type { Entry, SessionRecord } from './records.js';
import {
  META_KEY,
  META_TAGS,
  RECORD_VERSION,
  clientSessionKey,
  decodeEntry,
  decodeLease,
  decodeMeta,
  decodeSession,
  encodeLease,
  encodeMeta,
  encodeSession,
  idKey,
  idOfKey,
} from './records.js';
import { encodeResult } from './result-codec.js';
import type { KvReply, KvResult } from './results.js';
import { SessionTable } from './session-table.js';
import type { StateWrite } from './state-write.js';
import type { KvCommand, KvQueryOp, KvReadOp } from './types.js';
import { validateCommand } from './validate.js';
import { ByteReader, ByteWriter } from './wire.js';

/** What applying one command produced. */
export interface ApplyResult {
  /** The encoded result for the client (see `decodeReply`). */
  readonly reply: Uint8Array;
  /** Records to write in the same atomic batch as the applied index. */
  readonly writes: readonly StateWrite[];
  /** Key changes, in order, for watchers (see `WatchHub.publish`). */
  readonly events: readonly KvEvent[];
  /** Lease-table and lessor-epoch changes, in order, for the lessor (`Lessor.observe`). */
  readonly leaseChanges: readonly LeaseChange[];
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
  /** Every key change of the slot, in order: one watch batch at revision `slot`. */
  readonly events: readonly KvEvent[];
  /** Every lease change of the slot, in order. */
  readonly leaseChanges: readonly LeaseChange[];
}

/** The current lessor epoch (0 and an empty holder before the first `lessor-epoch`). */
export interface LessorEpochInfo {
  readonly epoch: number;
  readonly holder: Uint8Array;
}

const SNAPSHOT_MAGIC = [0x46, 0x50, 0x4b, 0x56]; // "FPKV"
const EMPTY = new Uint8Array(0);

/**
 * The KV state machine: data with per-key versions, revisions, create revisions and leases;
 * the lease table; the exactly-once session table; the id counters and the lessor epoch. Pure
 * and synchronous. The host applies chosen slots in order with {@link applySlot} (or
 * {@link apply} once per command, then {@link applyNoop} for empty slots), persists the
 * returned writes atomically with the applied index, feeds `events` to a watch hub and
 * `leaseChanges` to the leader's lessor.
 */
export class KvStateMachine {
  private readonly config: KvConfig;
  private readonly state: KvState;
  private readonly sessions = new SessionTable();
  private appliedSlot = 0;

  /** An empty machine at applied index 0. Throws listing every config problem. */
  constructor(config: Partial<KvConfig> = {}) {
    this.config = resolveKvConfig(config);
    this.state = new KvState(this.config);
  }

  /**
   * Rebuilds a machine from the records a store kept (the union of all `writes` it applied,
   * deletes removed) and the applied index stored with them. `sessions` are the records of the
   * `sessions` space: the session table, the lease table and the id counters.
   */
  static fromRecords(
    data: Iterable<readonly [Uint8Array, Uint8Array]>,
    sessions: Iterable<readonly [Uint8Array, Uint8Array]>,
    applied: number,
    config: Partial<KvConfig> = {},
  ): KvStateMachine {
    assert(Number.isSafeInteger(applied) && applied >= 0, `applied index ${applied}`);
    const m = new KvStateMachine(config);
    const entries: [string, Entry][] = [];
    for (const [key, value] of data) entries.push([bytesToBinaryString(key), decodeEntry(value)]);
    m.state.keyspace.load(entries);
    const list: [string, SessionRecord][] = [];
    let maxSession = 0;
    for (const [keyB, value] of sessions) {
      const key = bytesToBinaryString(keyB);
      const tag = key.charCodeAt(0);
      // A format-1 session record (untagged client id) fails here with the upgrade message.
      if (value[0] !== RECORD_VERSION) decodeSession(value);
      if (tag === META_TAGS.clientSession) list.push([key, decodeSession(value)]);
      else if (tag === META_TAGS.session) {
        list.push([key, decodeSession(value)]);
        maxSession = Math.max(maxSession, idOfKey(key));
      } else if (tag === META_TAGS.lease)
        m.state.leaseTable.grant(idOfKey(key), decodeLease(value));
      else if (tag === META_TAGS.meta && key.length === 1) m.state.meta = decodeMeta(value);
      else assert(false, `unknown sessions-space record (tag ${tag}, ${key.length} bytes)`);
    }
    m.sessions.load(list);
    for (const [k, e] of entries) if (e.lease !== 0) m.state.leaseTable.attach(e.lease, k);
    const maxLease = m.state.leaseTable.ids().at(-1) ?? 0;
    assert(
      m.state.meta.nextSessionId > maxSession && m.state.meta.nextLeaseId > maxLease,
      'id counters are above every id handed out',
    );
    m.appliedSlot = applied;
    return m;
  }

  /** The highest slot applied so far (0 before any). */
  get applied(): number {
    return this.appliedSlot;
  }

  /** Number of keys present. */
  get size(): number {
    return this.state.keyspace.size;
  }

  /** Number of live client sessions (both kinds). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Number of live leases. */
  get leaseCount(): number {
    return this.state.leaseTable.size;
  }

  /** The current lessor epoch; a leader's lessor revokes only under the epoch it started. */
  get lessorEpoch(): LessorEpochInfo {
    return { epoch: this.state.meta.epoch, holder: this.state.meta.holder };
  }

  /** Every live lease, by id: what a newly promoted lessor rebuilds its deadlines from. */
  leases(): LeaseInfo[] {
    return this.state.leases();
  }

  /**
   * Moves the applied index to `slot` and expires sessions unused for `sessionExpirySlots`.
   * `slot` may equal the applied index (the next command of the same batch) but never go back.
   */
  private advance(slot: number, writes: StateWrite[]): void {
    assert(Number.isSafeInteger(slot) && slot >= 1, `slot ${slot} must be a positive safe integer`);
    assert(slot >= this.appliedSlot, `slot ${slot} is below the applied index ${this.appliedSlot}`);
    if (slot === this.appliedSlot) return;
    this.appliedSlot = slot;
    this.sessions.expire(slot, this.config.sessionExpirySlots, writes);
  }

  /**
   * Applies a whole chosen slot, shaped like the Paxos core's `SlotValue`: a no-op, or a batch
   * of commands applied in order. Returns one reply per command and all writes, events and
   * lease changes of the slot in order (a later write to the same record wins).
   */
  applySlot(slot: number, value: SlotValueLike): SlotApplyResult {
    assert(
      slot > this.appliedSlot,
      `slot ${slot} must be above the applied index ${this.appliedSlot}`,
    );
    const fx = effects();
    this.advance(slot, fx.writes);
    const replies: Uint8Array[] = [];
    if (value.kind === 'commands')
      for (const command of value.commands) replies.push(this.applyInto(slot, command, fx));
    return { replies, ...fx };
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
   * Exactly once: for a command with a session, `seq` equal to the session's last one returns
   * the recorded reply unchanged; a lower `seq` gets `stale-sequence`; an unknown registered
   * session (or an unknown client-chosen one with `seq` > 1) gets `session-expired`.
   */
  apply(slot: number, commandBytes: Uint8Array): ApplyResult {
    const fx = effects();
    return { reply: this.applyInto(slot, commandBytes, fx), ...fx };
  }

  /**
   * {@link apply} appending to `fx`. The command is decoded as views of `commandBytes` (log
   * bytes are never mutated): what the machine keeps is copied (data records, binary-string
   * keys); the writes may hold views of `commandBytes`.
   */
  private applyInto(slot: number, commandBytes: Uint8Array, fx: Effects): Uint8Array {
    this.advance(slot, fx.writes);
    const decoded = decodeCommandView(commandBytes);
    if (!decoded.ok) return encodeResult(error('bad-command', decoded.error));
    return this.applyCommand(slot, decoded.value, fx);
  }

  private applyCommand(slot: number, command: KvCommand, fx: Effects): Uint8Array {
    const problems = validateCommand(command);
    if (problems.length > 0) return encodeResult(error('invalid', problems.join('; ')));
    const op = command.op;
    if (
      op.type === 'get' ||
      op.type === 'range' ||
      op.type === 'lease-ttl' ||
      op.type === 'lease-list'
    )
      return encodeResult(this.state.query(op, false));
    if (op.type === 'lease-keepalive') {
      return encodeResult(
        error('invalid', "lease-keepalive is answered by the leader's lessor, not through the log"),
      );
    }
    if (op.type === 'open-session') return encodeResult(this.openSession(slot, fx));

    let key: string;
    let seq: number;
    let known: SessionRecord | undefined;
    if (command.sessionRef !== undefined) {
      key = idKey(META_TAGS.session, command.sessionRef.sessionId);
      seq = command.sessionRef.seq;
      known = this.sessions.get(key);
      if (known === undefined) {
        return encodeResult(
          error(
            'session-expired',
            `session ${command.sessionRef.sessionId} is unknown (expired, evicted, closed or ` +
              'never opened): open a new session; the outcome of this command is unknown',
          ),
        );
      }
    } else if (command.session !== undefined) {
      if (!this.config.legacySessions) {
        return encodeResult(
          error('invalid', 'client-chosen session ids are disabled: open a session (open-session)'),
        );
      }
      key = clientSessionKey(command.session.clientId);
      seq = command.session.seq;
      known = this.sessions.get(key);
      if (known === undefined && seq > 1) {
        return encodeResult(
          error(
            'session-expired',
            `no session for this client (expired or evicted); seq ${seq} needs one`,
          ),
        );
      }
    } else {
      return encodeResult(this.state.execute(slot, op, fx));
    }

    if (known !== undefined) {
      if (seq === known.lastSeq) return known.reply;
      if (seq < known.lastSeq) {
        return encodeResult(
          error('stale-sequence', `seq ${seq} is older than the last applied seq ${known.lastSeq}`),
        );
      }
    }
    const reply = encodeResult(this.state.execute(slot, op, fx));
    if (op.type === 'close-session') {
      if (known !== undefined) this.sessions.remove(key, fx.writes);
      return reply;
    }
    let recordKey: Uint8Array | undefined;
    if (command.session !== undefined) {
      // The record key is the tag byte and the client id: built from the bytes at hand.
      recordKey = new Uint8Array(1 + command.session.clientId.length);
      recordKey[0] = META_TAGS.clientSession;
      recordKey.set(command.session.clientId, 1);
    }
    this.sessions.put(
      key,
      { lastSeq: seq, lastSlot: slot, reply },
      this.config.sessionsMax,
      fx.writes,
      recordKey,
    );
    return reply;
  }

  private openSession(slot: number, fx: Effects): KvReply {
    const id = this.state.nextSessionId(fx);
    const key = idKey(META_TAGS.session, id);
    this.sessions.put(
      key,
      { lastSeq: 0, lastSlot: slot, reply: EMPTY },
      this.config.sessionsMax,
      fx.writes,
    );
    return { type: 'open-session', sessionId: id as SessionId, revision: slot };
  }

  /**
   * Answers a query from the applied state, with no session effects: what the leader serves
   * under its leader lease and any replica serves as a stale read. A `lease-ttl` answer has no
   * `remainingMs`: only the leader's lessor knows it (`Lessor.remainingMs`).
   */
  read(op: KvReadOp): KvResult;
  read(op: KvQueryOp): KvReply;
  read(op: KvQueryOp): KvReply {
    const problems = validateCommand({ session: undefined, op });
    if (problems.length > 0) return error('invalid', problems.join('; '));
    return this.state.query(op, true);
  }

  /** Every `sessions`-space record (sessions, leases, counters), by key. */
  private metaRecords(): [string, Uint8Array][] {
    const out: [string, Uint8Array][] = this.sessions
      .inKeyOrder()
      .map(([k, s]): [string, Uint8Array] => [k, encodeSession(s)]);
    for (const id of this.state.leaseTable.ids()) {
      const l = this.state.leaseTable.get(id);
      assert(l !== undefined, 'listed lease is live');
      out.push([idKey(META_TAGS.lease, id), encodeLease(l)]);
    }
    out.push([META_KEY, encodeMeta(this.state.meta)]);
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /**
   * The whole state as bytes: applied index, data records by key, then the `sessions`-space
   * records (sessions, leases, counters) by key. Equal states give identical bytes, so replicas
   * can be compared byte for byte.
   */
  snapshot(): Uint8Array {
    const w = new ByteWriter();
    for (const b of SNAPSHOT_MAGIC) w.u8(b);
    w.u8(RECORD_VERSION).varint(this.appliedSlot).varint(this.state.keyspace.size);
    for (const [k, e] of this.state.keyspace.inOrder())
      w.bytes(binaryStringToBytes(k)).bytes(e.record);
    const meta = this.metaRecords();
    w.varint(meta.length);
    for (const [k, v] of meta) w.bytes(binaryStringToBytes(k)).bytes(v);
    return w.finish();
  }

  /**
   * A machine rebuilt from {@link snapshot} bytes. Snapshots are produced by replicas, not
   * clients, so corrupt bytes are a broken invariant and throw.
   */
  static restore(bytes: Uint8Array, config: Partial<KvConfig> = {}): KvStateMachine {
    const r = new ByteReader(bytes);
    for (const b of SNAPSHOT_MAGIC) assert(r.u8() === b, 'snapshot magic');
    assert(r.u8() === RECORD_VERSION, 'snapshot version');
    const applied = r.varint();
    const data: [Uint8Array, Uint8Array][] = [];
    const nData = r.varint();
    for (let i = 0; i < nData && r.error === undefined; i++) data.push([r.bytes(), r.bytes()]);
    const meta: [Uint8Array, Uint8Array][] = [];
    const nMeta = r.varint();
    for (let i = 0; i < nMeta && r.error === undefined; i++) meta.push([r.bytes(), r.bytes()]);
    r.end();
    assert(r.error === undefined, `corrupt snapshot: ${r.error}`);
    return KvStateMachine.fromRecords(data, meta, applied, config);
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
