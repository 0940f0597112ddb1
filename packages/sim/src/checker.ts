/**
 * Invariant checkers. The cluster reports events as they happen (applies, durable writes,
 * recoveries, messages sent, client invocations and acknowledgements); the checker records
 * the first violations of each invariant of the design brief it checks:
 *
 * 1. agreement: no two replicas (nor one replica before and after a restart) apply different
 *    values at one slot, and replicas at the same applied index have the same hash chain;
 * 2. validity: every applied command is byte-for-byte a command some client proposed (no-ops
 *    are fine);
 * 3. durability: every acknowledged command is in the final state of every live replica;
 * 4. exactly once: each command id takes effect at one slot only. The Paxos layer may choose a
 *    retried command in two slots; the state machine dedupes by command id, so its effect is
 *    at the first slot holding it. Violation: some replica lets the command take effect at a
 *    slot different from another replica's (or its own earlier) effect slot — i.e. a command
 *    applied twice, or replicas disagreeing on which copy counted;
 *    Deterministic apply (part of 1): replicas at the same applied index hold byte-identical
 *    `KvStateMachine` snapshots;
 * 5. linearizability: decided by `@flexpaxos/checker` over the client history at the end of a
 *    seed (see `simulation.ts`); stale reads are only serializable, so they are checked for
 *    something weaker here: every entry a stale read returns was written by some applied
 *    command, with that value and version, at that revision, and the revision is at most the
 *    serving replica's applied index;
 * 6. lease exclusivity: at no instant of true time do two nodes hold a lease (reported by the
 *    cluster, which reads every node's lease status);
 * 7. promises never regress: each node's durable promised ballot never decreases (across
 *    writes and crashes, and as handed back on recovery); Promise messages a node sends never
 *    go below one it sent before; and persist before send: every Promise sent is covered by
 *    the durable promise, every Accepted sent is covered by a durable log entry of that ballot (or a higher one:
 *    accepting b then b' > b and persisting only the latter is a legal acceptor history);
 * 8. liveness: once faults stop, pending requests complete and live replicas converge within
 *    a bound (decided by the simulation, reported here);
 * 9. configuration intersection: whenever a candidate wins phase 1 in ballot b with promisers V,
 *    every value chosen in a lower ballot at a slot the candidate recovers (above what it and
 *    its promisers knew chosen) was accepted by one of V: the promise of that acceptor reported
 *    it, so the candidate cannot miss it, whatever configurations governed those slots. A value
 *    (slot t, ballot b0) counts as chosen when the acceptors that ever durably accepted it form
 *    a phase-2 quorum of the configuration the leader of b0 counted t with: the newest
 *    configuration among b0's own entries below t, else the one the chosen log has in force at
 *    b0's first slot (below that, b0's leader knew the log chosen). Checked at the end of a seed,
 *    when the chosen log and every acceptance are known;
 * 10. watch delivery: every watcher received, from its start revision, exactly the changes of
 *    the chosen log to its keys (each slot's events at its first apply), in order, with no gap,
 *    duplicate or reorder, and no progress notification ahead of them; a node answered
 *    `compacted` only for a start really below its hub's history (see `watchers.ts`);
 * 11. key-lease expiry: a key attached to a lease disappeared (through a revocation) only after
 *    a client revoked the lease, or after the lease's TTL in true time, less the drift the
 *    clock model allows the leader's clock, since its grant was first applied and since the
 *    last keep-alive a leader acknowledged; no keep-alive was acknowledged after the keys were
 *    gone.
 */
import type { QuorumSystem } from '@flexpaxos/quorum';
import type {
  SimAcceptedEntry,
  SimBallot,
  SimConfigState,
  SimHardState,
  SimMessage,
  SimSlotValue,
} from './core-types.js';
import { compareBallots, formatBallot } from './core-types.js';
import { bytesToText, commandId, valueKey } from './commands.js';
import { decodeCommand, decodeReply, type KvCommandOp, type KvEvent, type KvResult } from '@flexpaxos/kv';
import {
  checkLeaseExpiry,
  checkWatchDelivery,
  type LeaseExpiryProblem,
  type LeasedKeyLoss,
  type WatchDelivery,
  type WatchEventRecord,
  type WatchProblem,
} from '@flexpaxos/checker';
import type { ApplyOutcome } from './state-machine.js';

/** The invariants checked, by their number in the design brief. */
export const INVARIANTS = {
  0: 'no-exception',
  1: 'agreement',
  2: 'validity',
  3: 'durability',
  4: 'exactly-once',
  5: 'linearizability',
  6: 'lease-exclusivity',
  7: 'promises-never-regress',
  8: 'liveness',
  9: 'config-intersection',
  10: 'watch-delivery',
  11: 'key-lease-expiry',
} as const;

/** An invariant number. */
export type InvariantNumber = keyof typeof INVARIANTS;

/** One detected violation. */
export interface Violation {
  readonly invariant: InvariantNumber;
  readonly name: (typeof INVARIANTS)[InvariantNumber];
  readonly tick: number;
  readonly detail: string;
}

const ZERO_BALLOT: SimBallot = { round: 0, nodeId: 0 };

/** A candidate that won phase 1, as the cluster saw it (invariant 9). */
export interface ElectionRecord {
  readonly tick: number;
  readonly leader: number;
  readonly ballot: SimBallot;
  /** The promisers whose promise of this ballot reached the winner, the winner included. */
  readonly promisers: ReadonlySet<number>;
  /** The highest slot the winner or a promiser knew every slot up to chosen. */
  readonly knownChosen: number;
}

/** Records events and detects violations. */
export class InvariantChecker {
  readonly violations: Violation[] = [];
  /** Violations per invariant (only the first few are kept in detail). */
  readonly counts = new Map<InvariantNumber, number>();
  private readonly slotValue = new Map<number, { key: string; node: number }>();
  private readonly chainAt = new Map<number, { chain: number; node: number }>();
  private readonly proposed = new Map<string, string>();
  /** Commands proposed without a session (reads through the log). */
  private readonly proposedAnonymous = new Set<string>();
  private readonly effectSlot = new Map<string, { slot: number; node: number }>();
  private readonly maxDurablePromised = new Map<number, SimBallot>();
  private readonly maxPromiseSent = new Map<number, SimBallot>();
  /** Applied index -> the first KV snapshot seen there (latin1) and the node. */
  private readonly kvAt = new Map<number, { state: string; node: number }>();
  /** `key@revision` -> value and version some applied command wrote there. */
  private readonly written = new Map<string, { value: string; version: number }>();
  /** Statistics: KV states compared, stale reads checked. */
  kvStatesCompared = 0;
  staleReadsChecked = 0;
  /** Configurations the applied log holds, by slot (the chosen log's; invariant 9). */
  readonly configAt = new Map<number, SimConfigState>();
  /** Elections won, for invariant 9. */
  readonly elections: ElectionRecord[] = [];
  /** Per slot and ballot (`round.node`), the acceptors that durably accepted it. */
  private readonly acceptedBy = new Map<number, Map<string, { ballot: SimBallot; nodes: Set<number> }>>();
  /** Per ballot: its lowest slot and the configurations among its entries, by slot. */
  private readonly ballotLogs = new Map<string, { first: number; configs: Map<number, SimConfigState> }>();
  /**
   * The change events of the chosen log in order (each slot's at its first apply), when
   * `recordChanges` is set: what every watcher must see (invariant 10).
   */
  readonly changeLog: WatchEventRecord[] = [];
  recordChanges = false;
  /** True simulated time per tick, in ms (lease timelines are in true time). */
  tickMs = 10;
  /**
   * Invariant 11: per lease, its TTL, when its grant was first applied, the keep-alives the
   * leader acknowledged and when a client's revoke was first applied (true time, ms).
   */
  private readonly leaseTimelines = new Map<number, { ttlMs: number; grantedAtMs: number; keepalivesAtMs: number[]; revokedAtMs?: number }>();
  /** Leased keys deleted by a revocation (expiry or a client's), at the first apply. */
  private readonly leaseLosses: LeasedKeyLoss[] = [];
  /** Keep-alives acknowledged before the grant's apply was seen (checked, then dropped). */
  private readonly orphanKeepalives: { lease: number; atMs: number }[] = [];
  /** Called at the first apply of a command without session (a lessor's): bytes (latin1), reply. */
  onChosenAnonymous: ((text: string, reply: Uint8Array) => void) | undefined;
  /** Statistics of invariant 11. */
  keepalivesAcked = 0;
  leasesExpired = 0;
  /** Statistics of invariant 10. */
  watchSegmentsChecked = 0;
  watchEventsChecked = 0;
  /** Tick at which each command was first proposed. */
  readonly proposedAt = new Map<string, number>();
  /** Command ids acknowledged to clients, with the ack tick. */
  readonly acked = new Map<string, number>();
  /** Statistics. */
  appliedSlots = 0;
  commandsTookEffect = 0;
  duplicatesDeduped = 0;
  now = 0;

  /** Records a violation. */
  report(invariant: InvariantNumber, detail: string): void {
    this.counts.set(invariant, (this.counts.get(invariant) ?? 0) + 1);
    if (this.violations.length < 20) {
      this.violations.push({ invariant, name: INVARIANTS[invariant], tick: this.now, detail });
    }
  }

  /** Whether any violation was found. */
  get failed(): boolean {
    return this.counts.size > 0;
  }

  /** A client invoked (or re-invoked) a command. */
  onPropose(bytes: Uint8Array): void {
    const id = commandId(bytes);
    if (id === undefined) this.proposedAnonymous.add(bytesToText(bytes));
    else if (!this.proposed.has(id)) {
      this.proposed.set(id, bytesToText(bytes));
      this.proposedAt.set(id, this.now);
    }
  }

  /** A client got its acknowledgement. */
  onAck(id: string): void {
    if (!this.acked.has(id)) this.acked.set(id, this.now);
  }

  /** Node `node` applied `value` at `slot`, with the state machine's per-command outcomes. */
  onApply(
    node: number,
    slot: number,
    value: SimSlotValue,
    outcomes: readonly { id: string | undefined; outcome: ApplyOutcome; reply?: Uint8Array; command?: Uint8Array; events?: readonly KvEvent[] }[],
    events: readonly KvEvent[] = [],
  ): void {
    this.appliedSlots++;
    const key = valueKey(value);
    const seen = this.slotValue.get(slot);
    if (seen === undefined) {
      this.slotValue.set(slot, { key, node });

      if (this.recordChanges) for (const e of events) this.changeLog.push(eventRecord(e));
      for (const o of outcomes) {
        if (o.outcome !== 'deduped' && o.command !== undefined && o.reply !== undefined) {
          const c = decodeCommand(o.command);
          if (c.ok) {
            const op = c.value.op;
            if (o.outcome === 'applied') this.recordWrite(op, o.reply);
            if (op.type === 'lease-grant' || op.type === 'lease-revoke') this.recordLease(op, o.reply, o.events);
          }
        }
        if (o.outcome === 'not-a-command' && o.id !== undefined && o.reply !== undefined) this.onChosenAnonymous?.(o.id, o.reply);
      }
    } else if (seen.key !== key) {
      this.report(1, `slot ${slot}: node ${node} applied ${short(key)} but node ${seen.node} applied ${short(seen.key)}`);
    }
    if (value.kind === 'config' && !this.configAt.has(slot)) this.configAt.set(slot, value.config);
    if (value.kind !== 'noop' && value.kind !== 'commands' && value.kind !== 'config') {
      this.report(2, `node ${node} applied a value of unknown kind at slot ${slot}`);
      return;
    }
    if (value.kind === 'commands') {
      for (const c of value.commands) {
        const id = commandId(c);
        const text = bytesToText(c);
        if (id === undefined ? !this.proposedAnonymous.has(text) : this.proposed.get(id) !== text) {
          this.report(2, `node ${node} applied ${short(text)} at slot ${slot}, which no client proposed`);
        }
      }
    }
    for (const o of outcomes) {
      if (o.id === undefined) continue;
      if (o.outcome === 'deduped') this.duplicatesDeduped++;
      if (o.outcome !== 'applied') continue;
      this.commandsTookEffect++;
      const first = this.effectSlot.get(o.id);
      if (first === undefined) this.effectSlot.set(o.id, { slot, node });
      else if (first.slot !== slot) {
        this.report(4, `command ${o.id} took effect at slot ${slot} on node ${node} and at slot ${first.slot} on node ${first.node}`);
      }
    }
  }

  /** A keep-alive of `lease` the leader acknowledged at true time `atMs` (invariant 11). */
  onKeepaliveAck(lease: number, atMs: number): void {
    this.keepalivesAcked++;
    const t = this.leaseTimelines.get(lease);
    if (t === undefined) this.orphanKeepalives.push({ lease, atMs });
    else t.keepalivesAtMs.push(atMs);
  }

  /** Follows grants, client revokes and the keys revocations delete, at a slot's first apply. */
  private recordLease(op: KvCommandOp, reply: Uint8Array, events: readonly KvEvent[] | undefined): void {
    if (op.type !== 'lease-grant' && op.type !== 'lease-revoke') return;
    const r = decodeReply(reply);
    if (!r.ok) return;
    const atMs = this.now * this.tickMs;
    if (op.type === 'lease-grant' && r.value.type === 'lease-grant') {
      this.leaseTimelines.set(r.value.lease, { ttlMs: r.value.ttlMs, grantedAtMs: atMs, keepalivesAtMs: [] });
      return;
    }
    if (op.type !== 'lease-revoke' || r.value.type !== 'lease-revoke' || !r.value.revoked) return;
    if (op.reason === 'client') {
      const t = this.leaseTimelines.get(op.lease);
      if (t !== undefined) t.revokedAtMs = atMs;
    } else this.leasesExpired++;
    for (const e of events ?? []) if (e.type === 'delete') this.leaseLosses.push({ key: utf8.decode(e.kv.key), lease: op.lease, atMs });
  }

  /**
   * Invariant 11 at the end of a seed: no leased key disappeared before its lease was revoked
   * by a client or had gone its TTL, in true time, without an acknowledged keep-alive (after
   * the grant's first apply and the last acknowledged keep-alive); `slackMs(ttl)` is the drift
   * the clock model allows the leader's clock over a TTL. Also: no keep-alive acknowledged
   * after the lease's keys were gone, none for a lease never granted.
   */
  checkLeaseExpiry(slackMs: (ttlMs: number) => number): void {
    for (const k of this.orphanKeepalives) {
      this.report(11, `a keep-alive of lease ${k.lease} was acknowledged at ${k.atMs} ms, before any grant of it was applied`);
    }
    const byLease = new Map<number, LeasedKeyLoss[]>();
    for (const l of this.leaseLosses) {
      let list = byLease.get(l.lease);
      if (list === undefined) byLease.set(l.lease, (list = []));
      list.push(l);
    }
    for (const [lease, losses] of byLease) {
      const t = this.leaseTimelines.get(lease);
      const timeline = t === undefined ? [] : [{ lease, ...t }];
      const r = checkLeaseExpiry(timeline, losses, { slackMs: t === undefined ? 0 : slackMs(t.ttlMs) });
      const p = r.problems[0];
      if (p !== undefined) {
        this.report(11, `${describeLeaseProblem(p, t)}${r.problems.length > 1 ? ` (and ${r.problems.length - 1} more problems)` : ''}`);
      }
    }
  }

  /** Remembers what an applied write stored (for the stale read check). */
  private recordWrite(op: KvCommandOp, reply: Uint8Array): void {
    if (op.type !== 'put' && op.type !== 'cas' && op.type !== 'txn') return;
    const r = decodeReply(reply);
    if (!r.ok) return;
    const res = r.value;
    if (op.type === 'put' && res.type === 'put') {
      this.written.set(`${bytesToText(op.key)}@${res.revision}`, { value: bytesToText(op.value), version: res.version });
    } else if (op.type === 'cas' && res.type === 'cas' && res.succeeded) {
      this.written.set(`${bytesToText(op.key)}@${res.revision}`, { value: bytesToText(op.value), version: res.version });
    } else if (op.type === 'txn' && res.type === 'txn') {
      // The last put to a key in the branch is what the key holds at the transaction's revision.
      const branch = res.succeeded ? op.success : op.failure;
      branch.forEach((o, i) => {
        const x = res.results[i];
        if (o.type === 'put' && x?.type === 'put') {
          this.written.set(`${bytesToText(o.key)}@${x.revision}`, { value: bytesToText(o.value), version: x.version });
        }
      });
    }
  }

  /** Node `node`'s KV state machine reached `applied` with snapshot bytes `snapshot`. */
  onKvState(node: number, applied: number, snapshot: Uint8Array): void {
    const state = bytesToText(snapshot);
    const seen = this.kvAt.get(applied);
    this.kvStatesCompared++;
    if (seen === undefined) this.kvAt.set(applied, { state, node });
    else if (seen.state !== state) {
      this.report(1, `nodes ${seen.node} and ${node} hold different KV states at applied index ${applied} (non-deterministic apply)`);
    }
  }

  /** Node `node` answered a stale read at applied index `applied` with `result`. */
  onStaleRead(node: number, applied: number, result: KvResult): void {
    this.staleReadsChecked++;
    const kvs = result.type === 'get' ? (result.kv === undefined ? [] : [result.kv]) : result.type === 'range' ? result.kvs : [];
    if (result.type === 'error') this.report(5, `node ${node} answered a stale read with an error: ${result.message}`);
    for (const kv of kvs) {
      const key = bytesToText(kv.key);
      const w = this.written.get(`${key}@${kv.revision}`);
      const value = bytesToText(kv.value);
      if (kv.revision > applied) {
        this.report(5, `node ${node} answered a stale read of ${key} with revision ${kv.revision} above its applied index ${applied}`);
      } else if (w === undefined || w.value !== value || w.version !== kv.version) {
        this.report(5, `node ${node} answered a stale read with ${key}=${short(value)} version ${kv.version} revision ${kv.revision}, which no applied write stored`);
      }
    }
  }

  /** Node `node`'s state machine reached `applied` with hash chain `chain`. */
  onChain(node: number, applied: number, chain: number): void {
    const seen = this.chainAt.get(applied);
    if (seen === undefined) this.chainAt.set(applied, { chain, node });
    else if (seen.chain !== chain) {
      this.report(1, `node ${node} and node ${seen.node} reached applied index ${applied} through different histories`);
    }
  }

  /** A write of node `node` became durable. */
  onDurableHardState(node: number, hs: SimHardState): void {
    const max = this.maxDurablePromised.get(node) ?? ZERO_BALLOT;
    if (compareBallots(hs.promised, max) < 0) {
      this.report(7, `node ${node} durably wrote promised ${formatBallot(hs.promised)} after ${formatBallot(max)}`);
    } else this.maxDurablePromised.set(node, hs.promised);
  }

  /** Node `node` restarts from `hs` (undefined = empty disk). */
  onRecover(node: number, hs: SimHardState | undefined): void {
    const promised = hs?.promised ?? ZERO_BALLOT;
    const max = this.maxDurablePromised.get(node) ?? ZERO_BALLOT;
    if (compareBallots(promised, max) < 0) {
      this.report(7, `node ${node} restarted with promised ${formatBallot(promised)} below its durable ${formatBallot(max)}`);
    }
  }

  /**
   * Node `node` sends `m`; `durablePromised` and `durableEntry` describe its disk at that
   * instant, `snapshotIndex` its durable snapshot index.
   */
  onSend(
    node: number,
    m: SimMessage,
    durablePromised: SimBallot | undefined,
    durableEntry: (slot: number) => SimAcceptedEntry | undefined,
    snapshotIndex: number,
  ): void {
    if (m.type === 'promise') {
      const b = (m as unknown as { ballot: SimBallot }).ballot;
      const prev = this.maxPromiseSent.get(node);
      if (prev !== undefined && compareBallots(b, prev) < 0) {
        this.report(7, `node ${node} sent Promise ${formatBallot(b)} after Promise ${formatBallot(prev)}`);
      } else this.maxPromiseSent.set(node, b);
      if (compareBallots(durablePromised ?? ZERO_BALLOT, b) < 0) {
        this.report(7, `node ${node} sent Promise ${formatBallot(b)} while its durable promise is ${formatBallot(durablePromised ?? ZERO_BALLOT)} (persist before send)`);
      }
    } else if (m.type === 'accepted') {
      const am = m as unknown as { ballot: SimBallot; slots: readonly number[] };
      for (const slot of am.slots) {
        if (slot <= snapshotIndex) continue;
        const e = durableEntry(slot);
        if (e === undefined || compareBallots(e.ballot, am.ballot) < 0) {
          this.report(7, `node ${node} sent Accepted slot ${slot} ballot ${formatBallot(am.ballot)} but its disk holds ${e === undefined ? 'nothing' : formatBallot(e.ballot)} there (persist before send)`);
        }
      }
    }
  }

  /** Final durability check: every acked command is in each live replica's state. */
  checkDurability(live: readonly { id: number; has: (commandId: string) => boolean }[]): void {
    for (const [cmd] of this.acked) {
      for (const n of live) {
        if (!n.has(cmd)) this.report(3, `acknowledged command ${cmd} is missing on live node ${n.id}`);
      }
    }
  }

  /** Node `node` durably accepted `entries` (invariant 9). */
  onDurableEntries(node: number, entries: readonly SimAcceptedEntry[]): void {
    for (const e of entries) {
      // A value learned as chosen (a `chosen` message) is stored with the zero ballot: no vote.
      if (e.ballot.round === 0) continue;
      let bySlot = this.acceptedBy.get(e.slot);
      if (bySlot === undefined) {
        bySlot = new Map();
        this.acceptedBy.set(e.slot, bySlot);
      }
      const key = formatBallot(e.ballot);
      let got = bySlot.get(key);
      if (got === undefined) {
        got = { ballot: e.ballot, nodes: new Set() };
        bySlot.set(key, got);
      }
      got.nodes.add(node);
      let log = this.ballotLogs.get(key);
      if (log === undefined) {
        log = { first: e.slot, configs: new Map() };
        this.ballotLogs.set(key, log);
      }
      log.first = Math.min(log.first, e.slot);
      if (e.value.kind === 'config') log.configs.set(e.slot, e.value.config);
    }
  }

  /**
   * Invariant 9 over every recorded election, against the chosen log: `bootstrap` governs the
   * slots below the first configuration entry. `quorumOf` builds a configuration's quorum
   * system (joint during a joint step).
   */
  checkConfigIntersection(bootstrap: SimConfigState, quorumOf: (s: SimConfigState) => QuorumSystem): void {
    const configSlots = [...this.configAt.keys()].sort((a, b) => a - b);
    const governing = (slot: number): SimConfigState => {
      let state = bootstrap;
      for (const s of configSlots) {
        if (s >= slot) break;
        state = this.configAt.get(s) ?? state;
      }
      return state;
    };
    /** The configuration the leader of `ballot` counted `slot` with (see the module comment). */
    const countedWith = (slot: number, ballot: SimBallot): SimConfigState => {
      const log = this.ballotLogs.get(formatBallot(ballot));
      if (log === undefined) return governing(slot);
      let best: SimConfigState | undefined;
      let bestSlot = -1;
      for (const [s, state] of log.configs) {
        if (s < slot && s > bestSlot) {
          bestSlot = s;
          best = state;
        }
      }
      return best ?? governing(Math.min(slot, log.first));
    };
    // Every (slot, ballot) whose acceptors form a phase-2 quorum of the configuration it was
    // counted with.
    const chosen: { slot: number; ballot: SimBallot; nodes: ReadonlySet<number> }[] = [];
    for (const [slot, byBallot] of this.acceptedBy) {
      for (const { ballot, nodes } of byBallot.values()) {
        if (quorumOf(countedWith(slot, ballot)).isPhase2Quorum(nodes)) chosen.push({ slot, ballot, nodes });
      }
    }
    for (const e of this.elections) {
      for (const c of chosen) {
        if (c.slot <= e.knownChosen || compareBallots(c.ballot, e.ballot) >= 0) continue;
        if ([...c.nodes].some((n) => e.promisers.has(n))) continue;
        const tick = this.now;
        this.now = e.tick;
        this.report(
          9,
          `node ${e.leader} won ballot ${formatBallot(e.ballot)} with promises from [${[...e.promisers].sort((a, b) => a - b).join(',')}], ` +
            `none of which accepted slot ${c.slot} in ballot ${formatBallot(c.ballot)}, chosen there by [${[...c.nodes].sort((a, b) => a - b).join(',')}] ` +
            `(known chosen up to ${e.knownChosen})`,
        );
        this.now = tick;
        break;
      }
    }
  }

  /**
   * Invariant 10 at the end of a seed: every segment of every watcher received exactly the
   * changes of the chosen log to its keys from its start, in order (no gap, duplicate or
   * reorder, no progress before everything up to it), through `through` when the watcher was
   * drained at the end.
   */
  checkWatchers(
    watchers: readonly {
      readonly label: string;
      readonly prefix: string;
      readonly segments: readonly { readonly start: number; readonly received: readonly WatchDelivery[] }[];
      readonly through: number | undefined;
    }[],
  ): void {
    for (const w of watchers) {
      w.segments.forEach((seg, i) => {
        this.watchSegmentsChecked++;
        const last = i === w.segments.length - 1;
        const r = checkWatchDelivery(
          this.changeLog,
          { key: w.prefix, prefix: true, startRevision: seg.start },
          seg.received,
          last && w.through !== undefined ? { throughRevision: w.through } : {},
        );
        this.watchEventsChecked += r.delivered;
        const p = r.problems[0];
        if (p !== undefined) {
          this.report(
            10,
            `watcher ${w.label} (prefix '${w.prefix}', segment from revision ${seg.start}): ${describeWatchProblem(p)}` +
              `${r.problems.length > 1 ? ` (and ${r.problems.length - 1} more problems)` : ''}; ${r.delivered} of ${r.expected} changes delivered in order`,
          );
        }
      });
    }
  }

  /** Proposed command count. */
  get proposedCount(): number {
    return this.proposed.size;
  }
}

const utf8 = new TextDecoder();

/** A KV change event as the watch check compares it (keys and values as UTF-8). */
export function eventRecord(e: KvEvent): WatchEventRecord {
  return { type: e.type, key: utf8.decode(e.kv.key), revision: e.kv.revision, version: e.kv.version, value: utf8.decode(e.kv.value) };
}

function describeLeaseProblem(p: LeaseExpiryProblem, t: { ttlMs: number; grantedAtMs: number; keepalivesAtMs: number[] } | undefined): string {
  const timeline = t === undefined ? 'no timeline' : `TTL ${t.ttlMs} ms, granted at ${t.grantedAtMs} ms, keep-alives acknowledged at [${t.keepalivesAtMs.slice(-4).join(', ')}] ms`;
  switch (p.kind) {
    case 'early-expiry':
      return `key ${p.key} of lease ${p.lease} disappeared at ${p.atMs} ms, before ${p.earliestMs} ms (${timeline})`;
    case 'keepalive-after-loss':
      return `a keep-alive of lease ${p.lease} was acknowledged at ${p.keepaliveAtMs} ms, after its keys were gone at ${p.lostAtMs} ms (${timeline})`;
    case 'unknown-lease':
      return `key ${p.key} of lease ${p.lease}, whose grant was never applied, disappeared at ${p.atMs} ms`;
  }
}

function describeChange(e: WatchEventRecord): string {
  return `${e.type} ${e.key}${e.type === 'put' ? `=${short(e.value ?? '')}` : ''} version ${e.version} at revision ${e.revision}`;
}

function describeWatchProblem(p: WatchProblem): string {
  switch (p.kind) {
    case 'gap':
      return `missed ${describeChange(p.missing)} (delivery ${p.index})`;
    case 'reorder':
      return `got ${describeChange(p.event)} before ${describeChange(p.expected)}`;
    case 'duplicate':
      return `got ${describeChange(p.event)} twice (delivery ${p.index})`;
    case 'unexpected':
      return `got ${describeChange(p.event)}, which the chosen log does not hold`;
    case 'early-progress':
      return `progress at revision ${p.revision} before ${describeChange(p.missing)}`;
  }
}

function short(s: string): string {
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
}
