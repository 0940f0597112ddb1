/**
 * Simulated clients running a key-value workload through the real `@flexpaxos/kv` state
 * machine. Each client has at most one operation outstanding:
 *
 * - writes (`put` of a unique value, `delete`, `cas` on the version the client last saw, and
 *   transactions: compares on the version or value of keys, then a list of puts, deletes and
 *   gets, or another) are KV commands with the client's session (client id + sequence
 *   number, exactly once). The
 *   client proposes to the node it believes leads, follows `leaderHint`, and when no answer
 *   arrives within its retry timeout re-proposes the *same bytes* elsewhere. A write is
 *   answered when a node it was proposed to applies it (or already had it applied when
 *   retried there), with that node's KV reply;
 * - reads (`get` or `range` by prefix) in one of three modes: `lease` and `quorum` go to the
 *   believed leader through the core's `read` (a lease read the lease cannot serve falls back
 *   to a quorum read); `stale` goes to any node and is answered from what it applied;
 * - a lease client instead grants key leases (`lease-grant`, a write), attaches `l/` keys to
 *   them (puts with the lease), keeps them alive for a while (`lease-keepalive` to the leader,
 *   answered by its lessor, never through the log) and then revokes them (a write) or stops
 *   and lets them expire; it also reads its keys.
 *
 * Every write and every lease/quorum read is recorded in the seed's history for the
 * linearizability check; reads that never got an answer are dropped from it (they had no
 * effect), writes that never got one stay pending (they may take effect later or never).
 * Stale reads stay out of it (they are only serializable; the invariant checker checks them
 * for something weaker), and so do keep-alives (invariant 11 checks what they promise).
 */
import {
  decodeReply,
  kvCas,
  kvCompare,
  kvDelete,
  kvGet,
  kvLeaseGrant,
  kvLeaseKeepalive,
  kvLeaseRevoke,
  kvPut,
  kvRange,
  kvTxn,
  type KvCommandOp,
  type KvOp,
  type KvReply,
  type KvResult,
  type LeaseId,
  type TxnCompare,
  type TxnOp,
} from '@flexpaxos/kv';
import { fromKvOp, fromKvResult, type FlexKvInput, type FlexKvOutput, type HistoryRecorder, type KvOpLike, type KvResultLike } from '@flexpaxos/checker';
import type { SimCluster } from './cluster.js';
import type { SimReadMode } from './core-types.js';
import { commandId, encodeWrite } from './commands.js';
import type { Prng, Ratio } from './prng.js';

const utf8 = new TextDecoder();

/** Read modes the clients use. */
export type ClientReadMode = SimReadMode | 'stale';

/** An operation in flight. */
interface Outstanding {
  readonly op: KvCommandOp;
  /** Command bytes and id of a write; undefined for a read. */
  readonly bytes: Uint8Array | undefined;
  readonly id: string;
  readonly mode: ClientReadMode | undefined;
  /** Index in the history, or undefined (stale reads are not recorded). */
  readonly historyId: number | undefined;
  readonly invokedAt: number;
  readonly triedAt: Set<number>;
  /** Read ids of this operation's attempts. */
  readonly readIds: Set<number>;
  nextTryAt: number;
  deadline: number;
}

/** Client behaviour settings. */
export interface ClientConfig {
  /** Probability per tick that an idle client issues a new operation. */
  readonly issue: Ratio;
  /** Ticks to wait for an answer before retrying. */
  readonly retryTimeoutTicks: number;
  readonly padBytes: number;
  /** The keys written and read (`a/0`, `b/1`, ...). */
  readonly keys: readonly string[];
  /** Prefixes ranges use. */
  readonly prefixes: readonly string[];
  /** Out of 100: the share of reads among operations. */
  readonly readPercent: number;
  /** Read modes to pick from (repeat a mode to weigh it). */
  readonly readModes: readonly ClientReadMode[];
  /** Out of 100: the share of transactions among writes (0: none). */
  readonly txnPercent: number;
  /** The keys lease clients attach to their leases (`l/0`, ...). */
  readonly leaseKeys: readonly string[];
  /** TTLs lease clients grant (ms). */
  readonly leaseTtlsMs: readonly number[];
  /** True simulated time per tick (ms), to turn TTLs into ticks. */
  readonly tickMs: number;
}

/** A lease a lease client holds, and what it plans to do with it. */
interface HeldLease {
  readonly id: LeaseId;
  readonly ttlTicks: number;
  /** The tick of the last acknowledged keep-alive (at first: when the grant was sent). */
  lastAckTick: number;
  /** Keep-alives every this many ticks. */
  readonly intervalTicks: number;
  /** Keep-alives stop at this tick; then the client revokes, or lets the lease expire. */
  readonly keepUntil: number;
  readonly revoke: boolean;
}

/** What a lease client will do with the lease it is granting. */
interface LeasePlan {
  readonly ttlTicks: number;
  readonly intervalTicks: number;
  readonly keepTicks: number;
  readonly revoke: boolean;
}

/** What the clients share: the history, read ids, the client registry for answers. */
export class ClientContext {
  readonly history: HistoryRecorder<FlexKvInput, FlexKvOutput>;
  /** Read id -> client. */
  readonly readOwner = new Map<number, SimClient>();
  private nextReadId = 1;
  /** Statistics. */
  readonly stats = { writes: 0, reads: { lease: 0, quorum: 0, stale: 0 }, readsAnswered: 0, errors: 0, txns: { succeeded: 0, failed: 0 }, leases: { granted: 0, keepalives: 0, lost: 0 } };
  /**
   * When set, lease reads go to this node whatever the client believes (the lease nemesis
   * keeps clients reading from the leader it isolates).
   */
  leaseReadTarget: number | undefined;
  /** When set, writes go to this node (the lease nemesis sends them to a candidate). */
  writeTarget: number | undefined;
  /** Receives unexpected error replies (a broken session table). */
  onError: ((detail: string) => void) | undefined;

  constructor(history: HistoryRecorder<FlexKvInput, FlexKvOutput>) {
    this.history = history;
  }

  /** A fresh read id for `client`. */
  newReadId(client: SimClient): number {
    const id = this.nextReadId++;
    this.readOwner.set(id, client);
    return id;
  }
}

/** One simulated client. */
export class SimClient {
  readonly id: number;
  private seq = 0;
  outstanding: Outstanding | undefined;
  private leaderGuess: number | undefined;
  private readonly context: ClientContext;
  /** The version the client last saw per key (its cas guesses). */
  private readonly versions = new Map<string, number>();
  /** The value the client last saw per key (its transactions' value compares). */
  private readonly values = new Map<string, string>();
  /**
   * A lease client grants key leases, attaches keys to them, keeps them alive for a while, then
   * revokes them or stops (they expire); it also reads its keys. Others run the KV workload.
   */
  readonly leaseClient: boolean;
  private lease: HeldLease | undefined;
  private plan: LeasePlan | undefined;
  completed = 0;
  retries = 0;
  /** Sum of answer latencies in ticks. */
  latencyTicks = 0;

  constructor(id: number, context: ClientContext, leaseClient = false) {
    this.id = id;
    this.context = context;
    this.leaseClient = leaseClient;
  }

  /** Starts a new operation drawn from `config` (must be idle); returns its id, if any. */
  invoke(now: number, config: ClientConfig, random: Prng): string | undefined {
    if (this.leaseClient) return this.invokeLease(now, config, random);
    const key = random.pick(config.keys);
    if (random.nextInt(100) < config.readPercent) {
      const mode = random.pick(config.readModes);
      const op: KvOp = random.nextInt(3) === 0 ? kvRange(random.pick(config.prefixes), random.between(1, 3)) : kvGet(key);
      return this.start(now, op, undefined, mode);
    }
    const value = `v${this.id}.${this.seq + 1}${'x'.repeat(config.padBytes)}`;
    // Drawn only when transactions are on, so a workload without them draws as before.
    if (config.txnPercent > 0 && random.nextInt(100) < config.txnPercent) return this.invokeWrite(now, this.drawTxn(config, random));
    const draw = random.nextInt(10);
    const op: KvOp =
      draw < 5 ? kvPut(key, value) : draw < 7 ? kvDelete(key) : kvCas(key, random.nextInt(4) === 0 ? random.nextInt(3) : (this.versions.get(key) ?? 0), value);
    return this.invokeWrite(now, op);
  }

  /** The lease client's next operation (see `leaseClient`), or undefined when it waits. */
  private invokeLease(now: number, config: ClientConfig, random: Prng): string | undefined {
    const l = this.lease;
    if (l === undefined) {
      const ttlMs = random.pick(config.leaseTtlsMs);
      const ttlTicks = Math.ceil(ttlMs / config.tickMs);
      this.plan = {
        ttlTicks,
        intervalTicks: Math.floor(ttlTicks / random.pick([3, 4, 6])),
        keepTicks: random.pick([0, 1, 2, 3]) * ttlTicks,
        revoke: random.nextInt(3) === 0,
      };
      return this.invokeWrite(now, kvLeaseGrant(ttlMs));
    }
    const key = random.pick(config.leaseKeys);
    const read = (): string => this.start(now, kvGet(key), undefined, random.pick(config.readModes));
    if (now >= l.keepUntil) {
      if (l.revoke) return this.invokeWrite(now, kvLeaseRevoke(l.id));
      // Let it expire: watch its keys go (reads), then grant a new one.
      if (now - l.lastAckTick > 2 * l.ttlTicks) {
        this.lease = undefined;
        return undefined;
      }
      return random.nextInt(4) === 0 ? read() : undefined;
    }
    if (now - l.lastAckTick >= l.intervalTicks) return this.start(now, kvLeaseKeepalive(l.id), undefined, undefined);
    // Mostly idle between keep-alives: a put (attach or overwrite) or a read now and then.
    const draw = random.nextInt(4);
    if (draw === 0) return read();
    if (draw === 1) return this.invokeWrite(now, kvPut(key, `v${this.id}.${this.seq + 1}${'x'.repeat(config.padBytes)}`, l.id));
    return undefined;
  }

  /**
   * A transaction: 1..3 compares on the version or value of keys (mostly what the client last
   * saw, so both branches run), then a success list of 1..3 operations (put of a unique value,
   * delete, get) and a failure list: mostly gets of the compared keys, else 0..2 operations.
   */
  private drawTxn(config: ClientConfig, random: Prng): KvCommandOp {
    const compares: TxnCompare[] = [];
    for (let i = random.pick([1, 1, 2, 3]); i > 0; i--) {
      const key = random.pick(config.keys);
      const draw = random.nextInt(10);
      const seenValue = this.values.get(key);
      if (draw < 3) {
        // Values: equal to the one last seen, or another one (never written: `v` and a digit).
        const op = random.pick(['=', '=', '!=', '<', '>'] as const);
        compares.push(kvCompare('value', key, op, seenValue !== undefined && random.nextInt(4) !== 0 ? seenValue : `v${random.nextInt(10)}`));
      } else {
        const seen = this.versions.get(key) ?? 0;
        if (draw < 8) compares.push(kvCompare('version', key, '=', seen));
        else if (draw < 9) compares.push(kvCompare('version', key, '<', seen + 1));
        else compares.push(kvCompare('version', key, random.pick(['!=', '>'] as const), random.nextInt(3)));
      }
    }
    const pad = 'x'.repeat(config.padBytes);
    const branch = (n: number, tag: string): TxnOp[] => {
      const ops: TxnOp[] = [];
      for (let i = 0; i < n; i++) {
        const key = random.pick(config.keys);
        const draw = random.nextInt(10);
        ops.push(draw < 5 ? kvPut(key, `v${this.id}.${this.seq + 1}${tag}${i}${pad}`) : draw < 7 ? kvDelete(key) : kvGet(key));
      }
      return ops;
    };
    // Mostly the etcd pattern: on failure, read what the compares looked at (so the next
    // transaction compares with fresher versions); else 0..2 random operations.
    const failure = random.nextInt(3) < 2 ? [...new Set(compares.map((c) => utf8.decode(c.key)))].map((k) => kvGet(k)) : branch(random.nextInt(3), 'f');
    return kvTxn(compares, branch(random.between(1, 3), 's'), failure);
  }

  /** Starts write `op` (must be idle); returns its command id. */
  invokeWrite(now: number, op: KvCommandOp): string {
    if (op.type === 'get' || op.type === 'range') throw new Error('invokeWrite needs a write');
    this.seq++;
    const bytes = encodeWrite(this.id, this.seq, op);
    return this.start(now, op, bytes, undefined);
  }

  private start(now: number, op: KvCommandOp, bytes: Uint8Array | undefined, mode: ClientReadMode | undefined): string {
    const id = bytes === undefined ? `${this.id}:read@${now}` : (commandId(bytes) as string);
    const recorded = mode !== 'stale' && op.type !== 'lease-keepalive';
    const historyId = recorded ? this.context.history.invoke(`c${this.id}`, fromKvOp(op as KvOpLike)) : undefined;
    if (bytes !== undefined) this.context.stats.writes++;
    else if (mode !== undefined) this.context.stats.reads[mode]++;
    this.outstanding = { op, bytes, id, mode, historyId, invokedAt: now, triedAt: new Set(), readIds: new Set(), nextTryAt: now, deadline: 0 };
    return id;
  }

  /** Called when node `node` applied command `id` with KV reply `reply`. */
  onApplied(node: number, id: string, reply: Uint8Array, now: number, cluster: SimCluster): void {
    const o = this.outstanding;
    if (o === undefined || o.id !== id || !o.triedAt.has(node)) return;
    const d = decodeReply(reply);
    if (!d.ok) throw new Error(`undecodable KV reply for ${id}: ${d.error}`);
    this.complete(now, cluster, node, d.value);
  }

  /** Called when node `node` answered read `readId` with `result`. */
  onReadAnswer(readId: number, node: number, result: KvResult, now: number, cluster: SimCluster): void {
    const o = this.outstanding;
    if (o === undefined || !o.readIds.has(readId)) return;
    this.context.stats.readsAnswered++;
    this.complete(now, cluster, node, result);
  }

  /** Called when node `node` gave up on read `readId` (it stepped down). */
  onReadFailed(readId: number, leaderHint: number | undefined, now: number, random: Prng, cluster: SimCluster): void {
    const o = this.outstanding;
    if (o === undefined || !o.readIds.has(readId)) return;
    this.leaderGuess = leaderHint ?? random.pick(cluster.members);
    o.deadline = 0;
    o.nextTryAt = now + 1 + random.nextInt(3);
  }

  private complete(now: number, cluster: SimCluster, node: number, result: KvReply): void {
    const o = this.outstanding;
    if (o === undefined) return;
    if (o.bytes !== undefined) cluster.checker.onAck(o.id);
    const out = fromKvResult(result as KvResultLike);
    if (o.historyId !== undefined) {
      if (out === undefined) this.context.history.fail(o.historyId);
      else this.context.history.complete(o.historyId, out);
    }
    // A lease can run out while a client uses it: its puts and the client's revoke then find
    // it gone.
    const leaseGone = result.type === 'error' && result.code === 'lease-not-found' && ((o.op.type === 'put' && o.op.lease !== undefined) || o.op.type === 'lease-revoke');
    if (result.type === 'error' && !leaseGone) {
      this.context.stats.errors++;
      this.context.onError?.(`client ${this.id} got ${result.code} for ${o.id}: ${result.message}`);
    }
    if (leaseGone || result.type === 'lease-revoke') this.lease = undefined;
    if (result.type === 'lease-grant' && this.plan !== undefined) {
      // The client counts the TTL from when it sent the grant.
      const p = this.plan;
      this.lease = { id: result.lease, ttlTicks: p.ttlTicks, lastAckTick: o.invokedAt, intervalTicks: Math.max(1, p.intervalTicks), keepUntil: o.invokedAt + p.keepTicks, revoke: p.revoke };
      this.context.stats.leases.granted++;
    }
    if (result.type === 'txn') this.context.stats.txns[result.succeeded ? 'succeeded' : 'failed']++;
    this.learn(o.op, result);
    this.latencyTicks += now - o.invokedAt;
    this.completed++;
    if (o.mode !== 'stale') this.leaderGuess = node;
    for (const r of o.readIds) this.context.readOwner.delete(r);
    this.outstanding = undefined;
  }

  /** Remembers versions and values seen, for later cas and transaction compares. */
  private learn(op: KvCommandOp, result: KvReply): void {
    if (op.type === 'txn' && result.type === 'txn') {
      const branch = result.succeeded ? op.success : op.failure;
      branch.forEach((o, i) => {
        const r = result.results[i];
        if (r !== undefined) this.learn(o, r);
      });
      return;
    }
    if (op.type !== 'get' && op.type !== 'put' && op.type !== 'delete' && op.type !== 'cas') return;
    const key = utf8.decode(op.key);
    if (result.type === 'get') {
      this.versions.set(key, result.kv?.version ?? 0);
      if (result.kv === undefined) this.values.delete(key);
      else this.values.set(key, utf8.decode(result.kv.value));
    } else if (result.type === 'put') {
      this.versions.set(key, result.version);
      if (op.type === 'put') this.values.set(key, utf8.decode(op.value));
    } else if (result.type === 'cas') {
      this.versions.set(key, result.version);
      if (result.succeeded && op.type === 'cas') this.values.set(key, utf8.decode(op.value));
    } else if (result.type === 'delete') {
      this.versions.set(key, 0);
      this.values.delete(key);
    }
  }

  /** The history ids of reads that never got an answer (dropped at the end: no effect). */
  unansweredRead(): number | undefined {
    const o = this.outstanding;
    return o !== undefined && o.bytes === undefined ? o.historyId : undefined;
  }

  /** Does whatever is due at tick `now`. */
  act(now: number, cluster: SimCluster, random: Prng, config: ClientConfig): void {
    const o = this.outstanding;
    if (o === undefined) return;
    if (now >= o.deadline && o.deadline > 0) {
      // No answer in time: try someone else.
      this.retries++;
      this.leaderGuess = random.pick(cluster.members);
      o.deadline = 0;
      o.nextTryAt = now;
    }
    if (o.deadline > 0 || now < o.nextTryAt) return;
    if (o.op.type === 'lease-keepalive') {
      this.actKeepalive(o, o.op.lease, now, cluster, random);
      return;
    }
    if (o.bytes === undefined) {
      this.actRead(o, now, cluster, random, config);
      return;
    }
    const guess = this.leaderGuess ?? random.pick(cluster.members);
    const target = this.context.writeTarget ?? guess;
    o.triedAt.add(target);
    const node = cluster.node(target);
    const reply = node.up ? node.sm.replies.get(o.id) : undefined;
    if (reply !== undefined && node.sm.effects.has(o.id)) {
      const d = decodeReply(reply);
      if (!d.ok) throw new Error(`undecodable KV reply for ${o.id}: ${d.error}`);
      this.complete(now, cluster, target, d.value);
      return;
    }
    const r = cluster.propose(target, o.bytes);
    if (r === undefined) {
      // Node down or paused: the request times out.
      o.deadline = now + config.retryTimeoutTicks;
    } else if (r.kind === 'queued') {
      o.deadline = now + config.retryTimeoutTicks;
    } else {
      this.leaderGuess = r.leaderHint !== undefined && r.leaderHint !== target ? r.leaderHint : random.pick(cluster.members);
      o.nextTryAt = now + 1 + random.nextInt(3);
    }
  }

  /**
   * A keep-alive goes to the believed leader and follows hints; one not answered within the
   * lease's TTL is given up with the lease (it may have expired meanwhile).
   */
  private actKeepalive(o: Outstanding, lease: LeaseId, now: number, cluster: SimCluster, random: Prng): void {
    const done = (): void => {
      this.completed++;
      this.latencyTicks += now - o.invokedAt;
      this.outstanding = undefined;
    };
    const l = this.lease;
    if (l === undefined || l.id !== lease || now - o.invokedAt > l.ttlTicks) {
      this.context.stats.leases.lost++;
      this.lease = undefined;
      done();
      return;
    }
    const target = this.leaderGuess ?? random.pick(cluster.members);
    const r = cluster.keepalive(target, lease);
    switch (r.kind) {
      case 'renewed':
        this.context.stats.leases.keepalives++;
        l.lastAckTick = now;
        this.leaderGuess = target;
        done();
        return;
      case 'not-found':
        this.context.stats.leases.lost++;
        this.lease = undefined;
        done();
        return;
      case 'not-leader':
        this.leaderGuess = r.leaderHint !== undefined && r.leaderHint !== target ? r.leaderHint : random.pick(cluster.members);
        break;
      case 'unavailable':
        break;
      case 'down':
        this.leaderGuess = random.pick(cluster.members);
        break;
    }
    o.nextTryAt = now + 1 + random.nextInt(3);
  }

  private actRead(o: Outstanding, now: number, cluster: SimCluster, random: Prng, config: ClientConfig): void {
    const mode = o.mode ?? 'lease';
    const guess = mode === 'stale' ? random.pick(cluster.members) : (this.leaderGuess ?? random.pick(cluster.members));
    const target = mode === 'lease' ? (this.context.leaseReadTarget ?? guess) : guess;
    o.triedAt.add(target);
    const readId = this.context.newReadId(this);
    o.readIds.add(readId);
    if (o.op.type !== 'get' && o.op.type !== 'range') throw new Error('a read needs get or range');
    const r = cluster.read(target, readId, o.op, mode);
    switch (r.kind) {
      case 'answered':
        return; // completed through onReadAnswer
      case 'waiting':
      case 'down':
        o.deadline = now + config.retryTimeoutTicks;
        return;
      case 'not-leader':
        this.leaderGuess = r.leaderHint !== undefined && r.leaderHint !== target ? r.leaderHint : random.pick(cluster.members);
        o.nextTryAt = now + 1 + random.nextInt(3);
        return;
      case 'unavailable':
        // The leader cannot serve yet (own ballot not committed, ...): ask again shortly.
        o.nextTryAt = now + 1 + random.nextInt(3);
        return;
    }
  }
}
