/**
 * The sans-IO Multi-Paxos replica: proposer, acceptor and learner in one deterministic state
 * machine. Messages, ticks and proposals go in; a `Ready` bundle comes out (see `ready.ts` for
 * the persist-before-send contract). The replica never awaits, reads no clock and draws
 * randomness only from the injected `RandomSource`.
 *
 * Protocol summary (Lamport, "Paxos Made Simple", §3 for Multi-Paxos; Howard, Malkhi,
 * Spiegelman, "Flexible Paxos", arXiv 1608.06696, for the quorums):
 *
 * - Election is phase 1 over every slot from the candidate's first unknown one. With a phase-1
 *   quorum of promises the candidate leads, re-proposes the highest-ballot accepted value of
 *   every reported slot, fills holes with no-ops, and only then proposes new commands.
 * - Replication is phase 2: a slot is chosen once a phase-2 quorum accepted it in one ballot.
 *   Flexible Paxos (§3, "quorum intersection") needs only that every phase-1 quorum meets every
 *   phase-2 quorum; the `QuorumSystem` guarantees that.
 * - Learning: a follower treats an entry as chosen when it accepted it in ballot B and the
 *   leader of ballot B announced a committed index at or above the slot (that leader proposes
 *   one value per slot, so the follower's entry is the leader's chosen value), or when it
 *   received the value in a `chosen` message. Anything else it fetches.
 *
 * Invariants (checked by assertions where cheap):
 * - `promised` never decreases (it is persisted before any reply that depends on it leaves).
 * - Every log entry's ballot is <= `promised`.
 * - Every entry (b, x) has b = the zero ballot or x = the value proposed in ballot b at its slot
 *   (one proposer per ballot, one proposal per slot per ballot).
 * - A leader of ballot B announces a committed index covering slot s only if B's proposal at s
 *   (if any) is the chosen value; on learning otherwise it steps down.
 * - Every slot in (snapshotIndex, committed] has a log entry flagged chosen.
 * - `applied <= committed`.
 *
 * Storing a learned chosen value. An acceptor that learns the chosen value v of slot s (from a
 * `chosen` message or a promise's committed prefix) flags its entry chosen with value v; it
 * keeps its own ballot when its value already is v (never lowering it), and otherwise takes the
 * reported ballot (the zero ballot for `chosen` messages). This keeps the Paxos safety argument
 * intact: let b be the lowest ballot in which s was chosen; every proposal in a ballot >= b is v
 * (induction), and every phase-1 quorum of a later ballot contains an acceptor that accepted
 * (b, v) and whose entry ballot at s has not decreased since (its value stayed v). Every entry
 * whose value differs from v has a ballot below b, so the highest reported entry has a ballot
 * >= b and holds v: the new leader re-proposes v.
 */
import {
  AcceptorLease,
  LeaderLease,
  type LeaseConfig,
  type LeaseReadRefusal,
  type LeaseRoundId,
} from '@flexpaxos/lease';
import { pickPhase2Quorum, type QuorumSystem } from '@flexpaxos/quorum';
import { assert, assertNever } from './assert.js';
import { ballotEquals, compareBallots, maxBallot, ZERO_BALLOT } from './ballot.js';
import {
  ReplicaConfigError,
  validateReplicaConfig,
  type MonotonicClock,
  type ReplicaConfig,
} from './config.js';
import type {
  AcceptedMessage,
  AcceptMessage,
  ChosenMessage,
  FetchMessage,
  HeartbeatMessage,
  HeartbeatReplyMessage,
  Message,
  PrepareMessage,
  PromiseMessage,
  RejectMessage,
  SnapshotMessage,
} from './messages.js';
import type { AfterPersistMessage, CompletedRead, FailedRead, Ready } from './ready.js';
import type {
  AcceptedEntry,
  Ballot,
  ChosenEntry,
  HardState,
  NodeId,
  PersistRequest,
  RecoveredState,
  Round,
  Slot,
  SlotValue,
  Snapshot,
} from './types.js';

import { planRecovery, PromiseTally } from './phase1.js';
import type {
  LeaseStatus,
  ProposeResult,
  ReadMode,
  ReadResult,
  ReadUnavailableReason,
  ReplicaStatus,
  Role,
  TransferResult,
} from './replica-status.js';
import {
  chunkEntries,
  ENTRY_OVERHEAD_BYTES,
  NOOP,
  slotValuesEqual,
  valueBytes,
} from './slot-value.js';

/** One slot of the in-memory log. */
interface LogEntry {
  ballot: Ballot;
  value: SlotValue;
  /** The value is known to be chosen. */
  chosen: boolean;
}

/** Phase-1 bookkeeping of a candidate. */
interface CandidateState {
  readonly ballot: Ballot;
  readonly fromSlot: Slot;
  readonly tally: PromiseTally;
}

/** Per-slot phase-2 bookkeeping of a leader. */
interface InflightSlot {
  readonly acks: Set<number>;
  /** Tick at which the Accept was last sent. */
  sentTick: number;
}

/** Phase-2 bookkeeping of a leader. */
interface LeaderState {
  readonly ballot: Ballot;
  /** Next slot for a new proposal. */
  nextSlot: number;
  readonly inflight: Map<number, InflightSlot>;
  /** Client commands waiting for a slot. */
  readonly pending: Uint8Array[];
  /** Tick of the last acknowledgement from each peer (for thrifty target choice). */
  readonly lastAckTick: Map<number, number>;
  /** Peers heard from in the current check-quorum period. */
  readonly heardFrom: Set<number>;
  /** Slots below this that the leader must learn by fetching (chosen but unknown to it). */
  fetchUpTo: number;
  fetchFrom: NodeId | undefined;
  /**
   * Once `committed` reaches this slot, an entry of this ballot is committed AND every value
   * chosen before the election is committed here (reads need both): the last slot proposed at
   * election (recovery re-proposals, fetched gaps, the optional no-op), or, when nothing was
   * proposed then, the first slot of a new command.
   */
  readBarrierSlot: number;
  /** Leader side of the lease (only with `config.lease`). */
  readonly lease: LeaderLease | undefined;
  /** Highest lease round id begun (acknowledgements above it are ignored). */
  maxLeaseRound: number;
  /** A leadership transfer began (only with `config.lease`): no grants are solicited any more. */
  transferring: boolean;
  /** Tick at which the transfer began. */
  transferStartTick: number;
  /** Quorum reads: the last read-confirmation round started and the last one confirmed. */
  readRoundStarted: number;
  readRoundConfirmed: number;
  /** Quorum reads: per peer, the highest read round it echoed in this ballot. */
  readonly readAcks: Map<number, number>;
  /** Quorum reads waiting for a round >= `round` to be acknowledged by a phase-2 quorum. */
  readonly pendingReads: PendingRead[];
}

/** A quorum read waiting for its confirmation round. */
interface PendingRead {
  readonly id: number;
  readonly index: Slot;
  readonly round: number;
}

/** What an outstanding ready promised to do at `advance`. */
interface Outstanding {
  readonly ready: Ready;
  /** Highest slot handed out in `ready.committed` (or installed by its snapshot). */
  readonly appliedThrough: number;
  /** Candidate ballot whose self-promise this ready makes durable. */
  readonly selfPromise: Ballot | undefined;
  /** Slots of the leader's own ballot that this ready makes durable. */
  readonly selfAccepted: readonly { slot: number; ballot: Ballot }[];
}

/** A fetch is answered with at most this many `chosen` messages (each up to maxBatchBytes). */
const FETCH_ANSWER_MAX_MESSAGES = 16;

/**
 * A Multi-Paxos replica (proposer + acceptor + learner), driven by its host:
 *
 * ```
 * replica.tick() / replica.step(msg) / replica.propose(cmd)
 * if (replica.hasReady()) {
 *   const rd = replica.ready();
 *   send(rd.messages); persist(rd.persist); send(rd.messagesAfterPersist);
 *   apply(rd.committed); replica.advance(rd);
 * }
 * ```
 *
 * The leader counts its own acceptance of a slot only at `advance()` of the ready whose
 * `persist` carried that entry (its write is durable by then); a candidate counts its own
 * promise the same way. Peers' Promise and Accepted replies are always in
 * `messagesAfterPersist`.
 */
export class Replica {
  readonly #config: ReplicaConfig;
  readonly #id: NodeId;
  readonly #quorum: QuorumSystem;
  readonly #peers: readonly NodeId[];
  readonly #isVoter: boolean;

  // Durable acceptor state (mirrored; changes are flushed through `persist`).
  #promised: Ballot;
  #committed: number;
  readonly #log = new Map<number, LogEntry>();
  #lastSlot: number;
  #snapshotIndex: number;
  #snapshot: Snapshot | undefined;

  // Volatile state.
  #applied: number;
  #role: Role = 'follower';
  #leader: NodeId | undefined;
  #candidate: CandidateState | undefined;
  #leaderState: LeaderState | undefined;
  #tick = 0;
  #electionElapsed = 0;
  #randomizedElectionTimeout = 0;
  #heartbeatElapsed = 0;
  #checkQuorumElapsed = 0;
  #maxRoundSeen: number;
  /** Highest committed index announced by the leader of `#promised`. */
  #leaderCommit = 0;
  /** Tick at which the last fetch was sent (fetches are rate-limited). */
  #lastFetchTick: number | undefined;
  /** Highest committed index heard of from anyone (to know what to fetch). */
  #knownCommit = 0;

  // Pending output.
  #hardStateDirty = false;
  /** The promised ballot rose since the last ready (its persist must be synced). */
  #promisedDirty = false;
  readonly #dirtySlots = new Set<number>();
  #pendingSnapshotInstall: Snapshot | undefined;
  #pendingTruncateBelow: number | undefined;
  #messages: Message[] = [];
  #messagesAfterPersist: AfterPersistMessage[] = [];
  /** Readies handed out and not yet advanced, oldest first (at most one unless pipelined). */
  readonly #outstanding: Outstanding[] = [];
  /** Highest slot handed out for applying in any ready so far (>= `#applied`). */
  #handedOutThrough: number;
  /** Self-acknowledgements recorded for the next ready. */
  #pendingSelfPromise: Ballot | undefined;
  #readsOut: CompletedRead[] = [];
  #failedReadsOut: FailedRead[] = [];

  // Leases (only with `config.lease`).
  readonly #clock: MonotonicClock | undefined;
  readonly #leaseConfig: LeaseConfig | undefined;
  /** Acceptor side; a new object per `Replica` (start or restart), hence the restart wait. */
  readonly #acceptorLease: AcceptorLease | undefined;
  #preparesRefused = 0;

  /**
   * Builds a replica. Throws `ReplicaConfigError` listing every problem when the config is
   * invalid. With `recovered`, resumes from durable state: committed-but-unapplied entries are
   * handed out again in the first ready.
   */
  constructor(config: ReplicaConfig, recovered?: RecoveredState) {
    const problems = validateReplicaConfig(config);
    if (problems.length > 0) {
      throw new ReplicaConfigError(problems);
    }
    this.#config = config;
    this.#id = config.id;
    this.#quorum = config.quorum;
    this.#peers = config.members.filter((m) => m !== config.id);
    this.#isVoter = config.quorum.voters.includes(config.id);
    this.#promised = recovered?.hardState.promised ?? ZERO_BALLOT;
    this.#snapshotIndex = recovered?.snapshot?.index ?? 0;
    const committed = Math.max(recovered?.hardState.committed ?? 0, this.#snapshotIndex);
    this.#committed = committed;
    this.#applied = recovered?.applied ?? this.#snapshotIndex;
    this.#handedOutThrough = this.#applied;
    assert(
      this.#applied >= this.#snapshotIndex && this.#applied <= committed,
      `recovered applied ${this.#applied} outside [snapshot ${this.#snapshotIndex}, committed ${committed}]`,
    );
    this.#lastSlot = this.#snapshotIndex;
    for (const e of recovered?.entries ?? []) {
      if (e.slot <= this.#snapshotIndex) {
        continue;
      }
      assert(
        compareBallots(e.ballot, this.#promised) <= 0,
        `recovered entry at slot ${e.slot} has a ballot above the promised one`,
      );
      this.#log.set(e.slot, { ballot: e.ballot, value: e.value, chosen: e.slot <= committed });
      this.#lastSlot = Math.max(this.#lastSlot, e.slot);
    }
    for (let s = this.#snapshotIndex + 1; s <= committed; s++) {
      assert(this.#log.has(s), `recovered committed index ${committed} but slot ${s} is missing`);
    }
    this.#maxRoundSeen = this.#promised.round;
    this.#knownCommit = committed;
    const lease = config.lease;
    if (lease !== undefined) {
      this.#clock = lease.clock;
      this.#leaseConfig = {
        leaseDurationMs: lease.leaseDurationMs,
        clockDriftBoundMs: lease.clockDriftBoundMs,
        electionTimeoutMs: lease.electionTimeoutMs,
        ...(lease.unsafeLease === undefined ? {} : { unsafeLease: lease.unsafeLease }),
      };
      // A new object has forgotten every grant of an earlier run: it refuses promises for one
      // full lease duration from now (the restart wait; packages/lease/README.md, rule 3).
      this.#acceptorLease = new AcceptorLease(this.#leaseConfig, this.#nowMs());
    }
    this.#resetElectionTimer();
  }

  // ---------------------------------------------------------------- public inputs

  /** Advances logical time by one tick: election timeouts, heartbeats, re-sends. */
  tick(): void {
    this.#tick++;
    if (this.#role === 'leader') {
      this.#tickLeader();
      return;
    }
    this.#electionElapsed++;
    if (this.#electionElapsed >= this.#randomizedElectionTimeout && this.#isVoter) {
      this.campaign();
    }
  }

  /**
   * Starts phase 1 now with a ballot above every ballot seen (also when already leading). With
   * leases, does nothing while this node's own acceptor may not promise (it grants a lease to
   * another ballot, or its restart wait runs); the election timer retries on the next tick.
   */
  campaign(): void {
    this.becomeCandidate();
  }

  /**
   * Queues a client command. Only the leader accepts; it batches queued commands into slots
   * when the host next calls `ready()`. Queued commands are dropped if the leader steps down
   * before proposing them (clients retry; the state machine deduplicates).
   */
  propose(command: Uint8Array): ProposeResult {
    const ls = this.#leaderState;
    if (this.#role !== 'leader' || ls === undefined) {
      return {
        kind: 'not-leader',
        leaderHint: this.#leader === this.#id ? undefined : this.#leader,
      };
    }
    ls.pending.push(command);
    return { kind: 'queued' };
  }

  /**
   * Leadership transfer (for example to a preferred leader): the leader asks `to` to campaign
   * now with a heartbeat carrying `campaignNow`. It keeps leading until the target's higher
   * ballot arrives; if the transfer fails, nothing changes (without leases).
   *
   * With leases (design brief, "Leader lease": transfer ends the old leader's lease reads
   * first): the leader ends its lease reads at once (`LeaderLease.beginTransfer`), and only then
   * tells every acceptor (itself included) to release its grant, so the target can be promised;
   * from now on its heartbeats and Accepts carry `leaseRelease` and solicit no grant. If it
   * still leads an election timeout later, the transfer failed and it steps down, so that a new
   * ballot (possibly its own again) can hold a lease.
   */
  transferLeadership(to: NodeId): TransferResult {
    const ls = this.#leaderState;
    if (this.#role !== 'leader' || ls === undefined) {
      return {
        kind: 'not-leader',
        leaderHint: this.#leader === this.#id ? undefined : this.#leader,
      };
    }
    if (to === this.#id || !this.#quorum.voters.includes(to)) {
      return { kind: 'invalid-target' };
    }
    if (ls.lease !== undefined && !ls.transferring) {
      // Order matters: lease reads end before any grant is released (safety argument,
      // packages/lease/README.md: no lease read relies on a released grant).
      ls.lease.beginTransfer();
      ls.transferring = true;
      ls.transferStartTick = this.#tick;
      this.#acceptorLease?.release(ls.ballot, this.#nowMs());
      for (const peer of this.#peers) {
        if (peer !== to) {
          this.#send({
            type: 'heartbeat',
            from: this.#id,
            to: peer,
            ballot: ls.ballot,
            committed: this.#committed as Slot,
            leaseRelease: true,
          });
        }
      }
    }
    this.#send({
      type: 'heartbeat',
      from: this.#id,
      to,
      ballot: ls.ballot,
      committed: this.#committed as Slot,
      campaignNow: true,
      ...(ls.transferring ? { leaseRelease: true } : {}),
    });
    return { kind: 'started' };
  }

  /**
   * A linearizable read, served by the leader (design brief, "Reads"). `id` is chosen by the
   * host, unique among its outstanding reads.
   *
   * - `lease`: answered at once when the leader holds its lease, an entry of its own ballot is
   *   committed, everything committed is applied and no transfer began: `{ kind: 'ready',
   *   index }` (answer from the state machine once applied >= index). Otherwise
   *   `unavailable` with the reason; the host may fall back to a quorum read.
   * - `quorum` (ReadIndex; Ongaro's thesis §6.4): needs an own-ballot entry committed; the
   *   read index is the committed index now; the leader starts a heartbeat round at once
   *   (reads arriving while a round is in flight join the next round). Once a phase-2 quorum
   *   (the leader counts itself) acknowledged a round >= the read's round in this ballot, the
   *   read appears in `Ready.reads`; if the leader steps down first, in `Ready.failedReads`.
   *   Why it is linearizable: every phase-1 quorum of a higher ballot meets that phase-2
   *   quorum, whose members acknowledged this ballot after the read began, so no higher ballot
   *   had completed phase 1 (nor chosen anything) when the read began; every write completed
   *   before the read is therefore at or below the read index.
   */
  read(request: { readonly id: number; readonly mode: ReadMode }): ReadResult {
    const ls = this.#leaderState;
    if (this.#role !== 'leader' || ls === undefined) {
      return {
        kind: 'not-leader',
        leaderHint: this.#leader === this.#id ? undefined : this.#leader,
      };
    }
    const mode = request.mode;
    switch (mode) {
      case 'lease': {
        if (ls.lease === undefined) {
          return { kind: 'unavailable', reason: 'no-lease' };
        }
        const decision = ls.lease.canServeLeaseRead({
          nowMs: this.#nowMs(),
          ownBallotEntryCommitted: this.#ownBallotCommitted(ls),
          appliedIndex: this.#applied,
          committedIndex: this.#committed,
        });
        if (decision.ok) {
          return { kind: 'ready', index: this.#committed as Slot };
        }
        if (decision.reason === 'own-ballot-entry-not-committed') {
          this.#proposeReadBarrier(ls);
        }
        return { kind: 'unavailable', reason: leaseRefusalReason(decision.reason) };
      }
      case 'quorum': {
        if (!this.#ownBallotCommitted(ls)) {
          this.#proposeReadBarrier(ls);
          return { kind: 'unavailable', reason: 'own-ballot-not-committed' };
        }
        const inFlight = ls.readRoundStarted > ls.readRoundConfirmed;
        ls.pendingReads.push({
          id: request.id,
          index: this.#committed as Slot,
          round: ls.readRoundStarted + 1,
        });
        if (!inFlight) {
          this.#startReadRound(ls);
        }
        return { kind: 'pending' };
      }
      default:
        return assertNever(mode, 'read mode');
    }
  }

  /**
   * A read found the read barrier uncommitted. When the leader proposed nothing at its election
   * and nothing since (no `commitNoopOnElection`, no client write yet), the barrier is a slot
   * nobody would ever fill: propose a no-op there, so a read-only workload does not wait for a
   * write forever (sim seed 22 without `commitNoopOnElection`). The read itself is still
   * refused; the host retries.
   */
  #proposeReadBarrier(ls: LeaderState): void {
    if (ls.readBarrierSlot !== ls.nextSlot || ls.pending.length > 0) {
      return; // already proposed (in flight) or a queued command will take the slot
    }
    const entry = this.#proposeAt(ls, ls.nextSlot, NOOP);
    ls.nextSlot++;
    this.#broadcastAccept(ls, [entry]);
  }

  /** Feeds one peer message. Messages not addressed to this node or from non-members are ignored. */
  step(message: Message): void {
    if (
      message.to !== this.#id ||
      message.from === this.#id ||
      !this.#config.members.includes(message.from)
    ) {
      return;
    }
    switch (message.type) {
      case 'prepare':
        this.#onPrepare(message);
        return;
      case 'promise':
        this.#onPromise(message);
        return;
      case 'accept':
        this.#onAccept(message);
        return;
      case 'accepted':
        this.#onAccepted(message);
        return;
      case 'reject':
        this.#onReject(message);
        return;
      case 'heartbeat':
        this.#onHeartbeat(message);
        return;
      case 'heartbeat-reply':
        this.#onHeartbeatReply(message);
        return;
      case 'fetch':
        this.#onFetch(message);
        return;
      case 'chosen':
        this.#onChosen(message);
        return;
      case 'snapshot':
        this.#onSnapshot(message);
        return;
      default:
        assertNever(message, 'message');
    }
  }

  /**
   * The host has applied everything through `snapshot.meta.index` and hands over a snapshot of
   * its state machine at that index. The replica keeps it (to send to laggards) and truncates its
   * log below through the next ready's `persist.truncateBelow`. The host is responsible for
   * storing the snapshot itself (it is not repeated in `persist.snapshot`, which is reserved for
   * snapshots the host must install). After a restart, the host passes its stored snapshot
   * here again (same index as `RecoveredState.snapshot`) so the replica can send it to laggards.
   */
  compact(snapshot: Snapshot): void {
    const index = snapshot.meta.index;
    assert(
      index <= this.#applied,
      `compact(${index}) above the applied index ${this.#applied}: the host must apply first`,
    );
    if (index < this.#snapshotIndex) {
      return;
    }
    this.#snapshot = snapshot;
    if (index === this.#snapshotIndex) {
      // After a restart the replica knows only the snapshot's metadata: the host hands the
      // stored snapshot back so that laggards can be sent it.
      return;
    }
    this.#truncateThrough(index);
  }

  // ---------------------------------------------------------------- ready / advance

  /**
   * Whether `ready()` has anything to hand out (false while a ready is outstanding, unless
   * `config.pipelineReadies`).
   */
  hasReady(): boolean {
    if (this.#outstanding.length > 0 && this.#config.pipelineReadies !== true) {
      return false;
    }
    return (
      this.#messages.length > 0 ||
      this.#messagesAfterPersist.length > 0 ||
      this.#hardStateDirty ||
      this.#dirtySlots.size > 0 ||
      this.#pendingSnapshotInstall !== undefined ||
      this.#pendingTruncateBelow !== undefined ||
      this.#committed > this.#handedOutThrough ||
      this.#readsOut.length > 0 ||
      this.#failedReadsOut.length > 0 ||
      this.#canPropose()
    );
  }

  /**
   * Collects the pending output. Also turns queued commands into slots (batching): everything
   * proposed since the last ready shares slots, up to the batch bounds and the in-flight window.
   * Calling `ready()` again before `advance()` is an assertion failure, unless
   * `config.pipelineReadies` (then readies are advanced in the order they were handed out).
   */
  ready(): Ready {
    assert(
      this.#outstanding.length === 0 || this.#config.pipelineReadies === true,
      'ready() called twice without advance()',
    );
    this.#flushPending();

    const snapshot = this.#pendingSnapshotInstall;
    let truncateBelow = this.#pendingTruncateBelow;
    if (snapshot !== undefined) {
      truncateBelow = Math.max(truncateBelow ?? 0, snapshot.meta.index + 1);
    }
    const entries: AcceptedEntry[] = [];
    const selfAccepted: { slot: number; ballot: Ballot }[] = [];
    const leaderBallot = this.#role === 'leader' ? this.#leaderState?.ballot : undefined;
    const dirty = [...this.#dirtySlots].sort((a, b) => a - b);
    for (const slot of dirty) {
      const e = this.#log.get(slot);
      if (e === undefined || slot <= this.#snapshotIndex) {
        continue;
      }
      entries.push({ slot: slot as Slot, ballot: e.ballot, value: e.value });
      if (leaderBallot !== undefined && ballotEquals(e.ballot, leaderBallot)) {
        selfAccepted.push({ slot, ballot: leaderBallot });
      }
    }
    const hardState: HardState | undefined = this.#hardStateDirty
      ? { promised: this.#promised, committed: this.#committed as Slot }
      : undefined;
    const persist: PersistRequest | undefined =
      hardState !== undefined ||
      entries.length > 0 ||
      snapshot !== undefined ||
      truncateBelow !== undefined
        ? {
            hardState,
            entries,
            snapshot,
            truncateBelow: truncateBelow === undefined ? undefined : (truncateBelow as Slot),
          }
        : undefined;

    let from = this.#handedOutThrough;
    if (snapshot !== undefined) {
      from = Math.max(from, snapshot.meta.index);
    }
    const committed: ChosenEntry[] = [];
    for (let s = from + 1; s <= this.#committed; s++) {
      const e = this.#log.get(s);
      assert(e !== undefined && e.chosen, `committed slot ${s} has no chosen entry`);
      committed.push({ slot: s as Slot, value: e.value });
    }
    const mustSync =
      persist !== undefined &&
      (this.#promisedDirty ||
        entries.length > 0 ||
        snapshot !== undefined ||
        truncateBelow !== undefined);
    const ready: Ready = {
      persist,
      mustSync,
      messages: this.#messages,
      messagesAfterPersist: this.#messagesAfterPersist,
      committed,
      reads: this.#readsOut,
      failedReads: this.#failedReadsOut,
    };
    const appliedThrough = Math.max(from, this.#committed);
    this.#outstanding.push({
      ready,
      appliedThrough,
      selfPromise: this.#pendingSelfPromise,
      selfAccepted,
    });
    this.#handedOutThrough = appliedThrough;
    this.#pendingSelfPromise = undefined;
    this.#messages = [];
    this.#messagesAfterPersist = [];
    this.#readsOut = [];
    this.#failedReadsOut = [];
    this.#hardStateDirty = false;
    this.#promisedDirty = false;
    this.#dirtySlots.clear();
    this.#pendingSnapshotInstall = undefined;
    this.#pendingTruncateBelow = undefined;
    return ready;
  }

  /**
   * The host persisted, sent and applied `ready`. Now (and only now) the replica counts its own
   * durable promise (candidate) and its own durable acceptances (leader): this is how "the
   * leader counts itself only after its own write is durable" is implemented. With
   * `config.pipelineReadies`, readies are advanced in the order `ready()` handed them out.
   */
  advance(ready: Ready): void {
    const out = this.#outstanding[0];
    assert(out !== undefined, 'advance() without an outstanding ready()');
    assert(out.ready === ready, 'advance() with a ready that is not the oldest outstanding one');
    this.#outstanding.shift();
    this.#applied = Math.max(this.#applied, out.appliedThrough);

    const cand = this.#candidate;
    if (
      out.selfPromise !== undefined &&
      this.#role === 'candidate' &&
      cand !== undefined &&
      ballotEquals(cand.ballot, out.selfPromise)
    ) {
      this.#recordSelfPromise(cand);
    }
    const ls = this.#leaderState;
    if (this.#role === 'leader' && ls !== undefined) {
      for (const { slot, ballot } of out.selfAccepted) {
        if (ballotEquals(ballot, ls.ballot)) {
          this.#recordAck(ls, this.#id, slot);
        }
      }
      this.maybeCommit();
    }
  }

  // ---------------------------------------------------------------- status

  /** The current role; cheap (unlike `status()`), for hosts that watch it after every step. */
  get role(): Role {
    return this.#role;
  }

  /** The leader this replica follows (itself when leader), if known; cheap like `role`. */
  get leader(): NodeId | undefined {
    return this.#leader;
  }

  /** Observable state, for status pages, tests and the simulator. */
  status(): ReplicaStatus {
    const ls = this.#leaderState;
    return {
      id: this.#id,
      role: this.#role,
      ballot: this.#promised,
      leader: this.#leader,
      committed: this.#committed as Slot,
      applied: this.#applied as Slot,
      lastSlot: this.#lastSlot as Slot,
      snapshotIndex: this.#snapshotIndex as Slot,
      pendingCommands: ls?.pending.length ?? 0,
      inflightSlots: ls === undefined ? 0 : Math.max(0, ls.nextSlot - 1 - this.#committed),
      ownBallotCommitted:
        this.#role === 'leader' && ls !== undefined && this.#ownBallotCommitted(ls),
      lease: this.#leaseStatus(),
    };
  }

  #leaseStatus(): LeaseStatus {
    const al = this.#acceptorLease;
    if (al === undefined) {
      return {
        held: false,
        validUntilMs: undefined,
        servesReads: false,
        grantedTo: undefined,
        preparesRefused: this.#preparesRefused,
      };
    }
    const now = this.#nowMs();
    let grantedTo: Ballot | undefined;
    let grantEnd = -Infinity;
    for (const g of al.runningGrants(now)) {
      if (g.untilMs > grantEnd) {
        grantEnd = g.untilMs;
        // The grants hold the core's own ballots (structural copies of them).
        grantedTo = { round: g.ballot.round as Round, nodeId: g.ballot.nodeId as NodeId };
      }
    }
    const ls = this.#leaderState;
    const lease = this.#role === 'leader' ? ls?.lease : undefined;
    const held = lease !== undefined && lease.holds(now);
    const servesReads =
      ls !== undefined &&
      lease !== undefined &&
      lease.canServeLeaseRead({
        nowMs: now,
        ownBallotEntryCommitted: this.#ownBallotCommitted(ls),
        appliedIndex: this.#applied,
        committedIndex: this.#committed,
      }).ok;
    return {
      held,
      validUntilMs: held ? lease.validUntilMs() : undefined,
      servesReads,
      grantedTo,
      preparesRefused: this.#preparesRefused,
    };
  }

  #ownBallotCommitted(ls: LeaderState): boolean {
    return this.#committed >= ls.readBarrierSlot;
  }

  /** The chosen value at `slot`, if this replica knows it (and it is not compacted). */
  chosenValue(slot: Slot): SlotValue | undefined {
    const e = this.#log.get(slot);
    return e?.chosen === true ? e.value : undefined;
  }

  // ---------------------------------------------------------------- transitions

  /**
   * Follows `leader` (or nobody), dropping candidate / leader state and restarting the
   * randomized election timer (this is also the randomized backoff after a rejection).
   */
  becomeFollower(leader: NodeId | undefined): void {
    this.#role = 'follower';
    this.#leader = leader;
    this.#candidate = undefined;
    this.#failReads(leader);
    this.#leaderState = undefined;
    this.#resetElectionTimer();
  }

  /**
   * Starts phase 1 with a fresh ballot above every round seen: promises it to itself (counted
   * once durable) and sends Prepare for every slot from the first one it does not know chosen.
   */
  becomeCandidate(): void {
    assert(this.#isVoter, `node ${this.#id} is not a voter and cannot campaign`);
    const round = Math.max(this.#maxRoundSeen, this.#promised.round) + 1;
    const ballot: Ballot = { round: round as Round, nodeId: this.#id };
    if (
      this.#acceptorLease !== undefined &&
      !this.#acceptorLease.mayPromise(ballot, this.#nowMs()).ok
    ) {
      // Its own acceptor grants a lease to another ballot (or its restart wait runs): it may
      // not promise itself either. The election timer retries on the next tick.
      return;
    }
    this.#maxRoundSeen = round;
    this.#setPromised(ballot);
    this.#role = 'candidate';
    this.#leader = undefined;
    this.#failReads(undefined);
    this.#leaderState = undefined;
    const fromSlot = (this.#committed + 1) as Slot;
    this.#candidate = {
      ballot,
      fromSlot,
      tally: new PromiseTally(this.#committed),
    };
    this.#pendingSelfPromise = ballot;
    this.#resetElectionTimer();
    for (const peer of this.#quorum.voters) {
      if (peer !== this.#id) {
        this.#send({ type: 'prepare', from: this.#id, to: peer as NodeId, ballot, fromSlot });
      }
    }
  }

  /**
   * Takes over as leader of the candidate ballot (phase 1 won). For each slot from the first
   * unknown one it re-proposes, in its own ballot, the chosen value when known, else the value
   * with the highest accepted ballot among the promises, else a no-op ("Paxos Made Simple", §3:
   * gaps are filled with no-op commands). Slots that promisers report as chosen but compacted
   * are never filled: the leader fetches them instead.
   */
  becomeLeader(): void {
    const cand = this.#candidate;
    assert(this.#role === 'candidate' && cand !== undefined, 'becomeLeader outside candidacy');
    const ballot = cand.ballot;
    assert(ballotEquals(ballot, this.#promised), 'becomeLeader with a stale ballot');
    const tally = cand.tally;
    // Learn the values promises reported as committed.
    for (const e of tally.chosenReported.values()) {
      this.#learnChosen(e.slot, e.ballot, e.value);
    }
    this.maybeCommit();
    this.#role = 'leader';
    this.#leader = this.#id;
    this.#candidate = undefined;
    const ls: LeaderState = {
      ballot,
      nextSlot: 0,
      inflight: new Map(),
      pending: [],
      lastAckTick: new Map(),
      heardFrom: new Set(),
      fetchUpTo: 0,
      fetchFrom: undefined,
      readBarrierSlot: Number.POSITIVE_INFINITY,
      lease:
        this.#leaseConfig === undefined
          ? undefined
          : new LeaderLease(this.#leaseConfig, this.#quorum, ballot, this.#nowMs()),
      maxLeaseRound: 0,
      transferring: false,
      transferStartTick: 0,
      readRoundStarted: 0,
      readRoundConfirmed: 0,
      readAcks: new Map(),
      pendingReads: [],
    };
    this.#leaderState = ls;
    const plan = planRecovery(tally, this.#committed, this.#lastSlot, (slot) =>
      this.chosenValue(slot as Slot),
    );
    const proposals: AcceptedEntry[] = plan.proposals.map((p) =>
      this.#proposeAt(ls, p.slot, p.value),
    );
    ls.nextSlot = plan.nextSlot;
    if (proposals.length === 0 && this.#config.commitNoopOnElection === true) {
      // Nothing to recover: still commit one entry of the own ballot at once (a no-op), so
      // followers learn the committed index and lease reads may start (design brief, "Leader
      // lease": only after the leader committed an entry in its own ballot).
      proposals.push(this.#proposeAt(ls, ls.nextSlot, NOOP));
      ls.nextSlot++;
    }
    // Not just the first own slot: recovery re-proposes slots in order but they commit in any
    // order of acknowledgements, and committed is contiguous. Failure scenario with "first own
    // slot committed" as the barrier: (1) old leader commits y at slot 2 and acknowledges the
    // client; (2) the new leader re-proposes slots 1 and 2, slot 1 commits first; (3) a read at
    // committed = 1 misses y. Every value chosen earlier sits at or below the plan's end
    // (the phase-1 quorum meets the phase-2 quorum that chose it), so this barrier covers it.
    ls.readBarrierSlot = proposals.length > 0 ? ls.nextSlot - 1 : ls.nextSlot;
    if (plan.fetchUpTo > this.#committed) {
      ls.fetchUpTo = plan.fetchUpTo;
      ls.fetchFrom = tally.knownChosenFrom;
      this.#leaderFetch(ls);
    }
    this.#heartbeatElapsed = 0;
    this.#checkQuorumElapsed = 0;
    this.#broadcastAccept(ls, proposals);
    this.#broadcastHeartbeat(ls);
  }

  /**
   * Advances the committed index over every contiguous chosen slot. Returns whether it moved.
   * A leader in thrifty mode streams newly committed values to the acceptors outside its
   * phase-2 set.
   */
  maybeCommit(): boolean {
    const before = this.#committed;
    let c = before;
    while (this.#log.get(c + 1)?.chosen === true) {
      c++;
    }
    if (c === before) {
      return false;
    }
    this.#committed = c;
    this.#knownCommit = Math.max(this.#knownCommit, c);
    this.#hardStateDirty = true;
    const ls = this.#leaderState;
    if (this.#role === 'leader' && ls !== undefined) {
      for (let s = before + 1; s <= c; s++) {
        ls.inflight.delete(s);
      }
      if (this.#config.thrifty) {
        const targets = new Set(this.#thriftyTargets(ls));
        const entries = this.#chosenEntries(before + 1, c);
        for (const peer of this.#peers) {
          if (!targets.has(peer)) {
            for (const chunk of entries) {
              this.#send({
                type: 'chosen',
                from: this.#id,
                to: peer,
                entries: chunk,
                committed: c as Slot,
              });
            }
          }
        }
      }
    }
    return true;
  }

  // ---------------------------------------------------------------- acceptor

  #onPrepare(m: PrepareMessage): void {
    this.#observeRound(m.ballot);
    if (compareBallots(m.ballot, this.#promised) < 0) {
      this.#send({
        type: 'reject',
        from: this.#id,
        to: m.from,
        ballot: m.ballot,
        promised: this.#promised,
      });
      return;
    }
    if (
      this.#acceptorLease !== undefined &&
      !this.#acceptorLease.mayPromise(m.ballot, this.#nowMs()).ok
    ) {
      // A lease grant to another ballot (or the restart wait) runs: drop the Prepare without a
      // reply. This refusal is what makes the granted leader's lease exclusive
      // (packages/lease/README.md, "Safety argument"); the candidate retries after its timeout.
      this.#preparesRefused++;
      return;
    }
    if (compareBallots(m.ballot, this.#promised) > 0) {
      this.#setPromised(m.ballot);
      this.becomeFollower(undefined);
    }
    // Promise every slot >= fromSlot; report what was accepted there. Entries at or below the
    // snapshot are summarized by `snapshotIndex` (all chosen).
    const accepted: AcceptedEntry[] = [];
    for (let s = Math.max(m.fromSlot, this.#snapshotIndex + 1); s <= this.#lastSlot; s++) {
      const e = this.#log.get(s);
      if (e !== undefined) {
        accepted.push({ slot: s as Slot, ballot: e.ballot, value: e.value });
      }
    }
    this.#sendAfterPersist({
      type: 'promise',
      from: this.#id,
      to: m.from,
      ballot: m.ballot,
      fromSlot: m.fromSlot,
      accepted,
      committed: this.#committed as Slot,
      snapshotIndex: this.#snapshotIndex as Slot,
    });
  }

  #onAccept(m: AcceptMessage): void {
    this.#observeRound(m.ballot);
    if (compareBallots(m.ballot, this.#promised) < 0) {
      this.#send({
        type: 'reject',
        from: this.#id,
        to: m.from,
        ballot: m.ballot,
        promised: this.#promised,
      });
      return;
    }
    this.#followLeaderOf(m.ballot);
    const acked: Slot[] = [];
    for (const entry of m.entries) {
      const s = entry.slot;
      if (s <= this.#snapshotIndex) {
        continue; // compacted: chosen long ago
      }
      const existing = this.#log.get(s);
      if (existing?.chosen === true) {
        // Already known chosen: a proposal in a ballot at or above the chosen one carries the
        // same value; acknowledge only then (a stale leader's different value is ignored).
        if (!slotValuesEqual(existing.value, entry.value)) {
          continue;
        }
        if (compareBallots(m.ballot, existing.ballot) > 0) {
          existing.ballot = m.ballot;
          this.#dirtySlots.add(s);
        }
        acked.push(s);
        continue;
      }
      this.#log.set(s, { ballot: m.ballot, value: entry.value, chosen: false });
      this.#lastSlot = Math.max(this.#lastSlot, s);
      this.#dirtySlots.add(s);
      acked.push(s);
    }
    if (acked.length > 0) {
      this.#grantOrRelease(m.ballot, m.leaseRelease);
      this.#sendAfterPersist({
        type: 'accepted',
        from: this.#id,
        to: m.from,
        ballot: m.ballot,
        slots: acked,
        ...(m.leaseRound === undefined ? {} : { leaseRound: m.leaseRound }),
      });
    } else if (m.leaseRelease === true) {
      this.#grantOrRelease(m.ballot, true);
    }
    this.#learnCommit(m.ballot, m.committed);
  }

  #onHeartbeat(m: HeartbeatMessage): void {
    this.#observeRound(m.ballot);
    if (compareBallots(m.ballot, this.#promised) < 0) {
      this.#send({
        type: 'reject',
        from: this.#id,
        to: m.from,
        ballot: m.ballot,
        promised: this.#promised,
      });
      return;
    }
    this.#followLeaderOf(m.ballot);
    this.#learnCommit(m.ballot, m.committed);
    if (this.#committed < m.committed) {
      this.#fetch(m.from, m.committed);
    }
    this.#grantOrRelease(m.ballot, m.leaseRelease);
    this.#sendAfterPersist({
      type: 'heartbeat-reply',
      from: this.#id,
      to: m.from,
      ballot: m.ballot,
      committed: this.#committed as Slot,
      ...(m.leaseRound === undefined ? {} : { leaseRound: m.leaseRound }),
      ...(m.readRound === undefined ? {} : { readRound: m.readRound }),
    });
    if (m.campaignNow === true && this.#isVoter) {
      // Leadership transfer: phase 1 with a higher ballot is the only way to lead; whatever
      // this node lacks, the promises bring (or it fetches).
      this.campaign();
    }
  }

  /** A message of the leader of `ballot` (>= promised) arrived: follow it. */
  #followLeaderOf(ballot: Ballot): void {
    if (compareBallots(ballot, this.#promised) > 0) {
      this.#setPromised(ballot);
    }
    if (this.#role !== 'follower' || this.#leader !== ballot.nodeId) {
      this.becomeFollower(ballot.nodeId);
    } else {
      this.#electionElapsed = 0;
    }
  }

  /**
   * The leader of `ballot` says every slot up to `committed` is chosen: entries this acceptor
   * accepted in that very ballot are that leader's (one value per slot per ballot), so chosen.
   */
  #learnCommit(ballot: Ballot, committed: number): void {
    if (!ballotEquals(ballot, this.#promised)) {
      return;
    }
    this.#leaderCommit = Math.max(this.#leaderCommit, committed);
    this.#knownCommit = Math.max(this.#knownCommit, committed);
    const upTo = Math.min(this.#leaderCommit, this.#lastSlot);
    for (let s = this.#committed + 1; s <= upTo; s++) {
      const e = this.#log.get(s);
      if (e !== undefined && !e.chosen && ballotEquals(e.ballot, ballot)) {
        e.chosen = true;
      }
    }
    this.maybeCommit();
  }

  // ---------------------------------------------------------------- learner

  /**
   * Asks `to` for chosen values in (committed, upTo]. Rate-limited: at most one fetch per
   * heartbeat interval, except a continuation right after an answer that made progress (at
   * most one per tick). Failure scenario without the limit (sim seed 30177): every heartbeat,
   * Accept and answer revealing the gap triggered a new fetch, every fetch an answer, and
   * duplicated answers made the traffic grow exponentially.
   */
  #fetch(to: NodeId, upTo: number, afterProgress = false): void {
    if (to === this.#id || upTo <= this.#committed) {
      return;
    }
    const last = this.#lastFetchTick;
    const allowed =
      last === undefined ||
      this.#tick - last >= this.#config.heartbeatIntervalTicks ||
      (afterProgress && last < this.#tick);
    if (!allowed) {
      return;
    }
    this.#lastFetchTick = this.#tick;
    this.#send({
      type: 'fetch',
      from: this.#id,
      to,
      fromSlot: (this.#committed + 1) as Slot,
      toSlot: upTo as Slot,
    });
  }

  #onFetch(m: FetchMessage): void {
    if (m.fromSlot <= this.#snapshotIndex) {
      if (this.#snapshot !== undefined) {
        this.#send({ type: 'snapshot', from: this.#id, to: m.from, snapshot: this.#snapshot });
      }
      return;
    }
    const to = Math.min(m.toSlot, this.#committed);
    for (const entries of this.#chosenEntries(m.fromSlot, to, FETCH_ANSWER_MAX_MESSAGES)) {
      this.#send({
        type: 'chosen',
        from: this.#id,
        to: m.from,
        entries,
        committed: this.#committed as Slot,
      });
    }
  }

  #onChosen(m: ChosenMessage): void {
    const before = this.#committed;
    for (const e of m.entries) {
      this.#learnChosen(e.slot, ZERO_BALLOT, e.value);
    }
    this.maybeCommit();
    this.#knownCommit = Math.max(this.#knownCommit, m.committed);
    if (this.#committed < m.committed) {
      // Continue at once only when this answer made progress (a duplicate does not).
      this.#fetch(m.from, m.committed, this.#committed > before);
    }
  }

  /** Stores a value known chosen (see the module comment for why this is safe). */
  #learnChosen(slot: number, reportedBallot: Ballot, value: SlotValue): void {
    if (slot <= this.#snapshotIndex) {
      return;
    }
    const existing = this.#log.get(slot);
    if (existing?.chosen === true) {
      return;
    }
    const ls = this.#leaderState;
    if (
      this.#role === 'leader' &&
      ls !== undefined &&
      (slot >= ls.nextSlot ||
        (existing !== undefined &&
          ballotEquals(existing.ballot, ls.ballot) &&
          !slotValuesEqual(existing.value, value)))
    ) {
      // Another ballot chose a value this leader did not propose: it is stale. It must never
      // announce a commit covering a slot whose ballot-B proposal was not the chosen value
      // (followers take "accepted in B, committed by B's leader" as chosen), so it steps down.
      this.becomeFollower(undefined);
    }
    // Invariant: an entry (b, x) has b = the zero ballot or x = the value proposed in ballot b.
    // Keep the own ballot when the values agree (never lowering it); otherwise the own entry
    // was a real acceptance in a ballot below the one that chose `value`, and replacing it with
    // the reported ballot keeps every entry at or above the choosing ballot equal to `value`.
    const ballot =
      existing !== undefined && slotValuesEqual(existing.value, value)
        ? maxBallot(existing.ballot, reportedBallot)
        : reportedBallot;
    this.#log.set(slot, { ballot, value, chosen: true });
    this.#lastSlot = Math.max(this.#lastSlot, slot);
    this.#dirtySlots.add(slot);
  }

  #onSnapshot(m: SnapshotMessage): void {
    const index = m.snapshot.meta.index;
    if (index <= this.#committed) {
      return;
    }
    this.#snapshot = m.snapshot;
    this.#pendingSnapshotInstall = m.snapshot;
    this.#truncateThrough(index);
    this.#committed = index;
    this.#knownCommit = Math.max(this.#knownCommit, index);
    this.#hardStateDirty = true;
    const ls = this.#leaderState;
    if (this.#role === 'leader' && ls !== undefined) {
      const coversOwnProposal =
        index >= ls.nextSlot || [...ls.inflight.keys()].some((s) => s <= index);
      if (coversOwnProposal) {
        // The snapshot decides slots this leader proposed without telling the values: it cannot
        // vouch that its ballot's proposals were chosen there, so it steps down (see #learnChosen).
        this.becomeFollower(undefined);
      }
    }
    this.maybeCommit();
  }

  /** Drops log entries at or below `index` (all chosen) and records the new log start. */
  #truncateThrough(index: number): void {
    for (const slot of [...this.#log.keys()]) {
      if (slot <= index) {
        this.#log.delete(slot);
        this.#dirtySlots.delete(slot);
      }
    }
    this.#snapshotIndex = index;
    this.#lastSlot = Math.max(this.#lastSlot, index);
    this.#pendingTruncateBelow = index + 1;
  }

  // ---------------------------------------------------------------- proposer

  #onPromise(m: PromiseMessage): void {
    const cand = this.#candidate;
    if (this.#role !== 'candidate' || cand === undefined || !ballotEquals(m.ballot, cand.ballot)) {
      return;
    }
    if (!cand.tally.absorb(m.from, m.accepted, m.committed, m.snapshotIndex)) {
      return;
    }
    this.#checkElection(cand);
  }

  #recordSelfPromise(cand: CandidateState): void {
    const accepted: AcceptedEntry[] = [];
    for (const [slot, e] of this.#log) {
      if (slot >= cand.fromSlot) {
        accepted.push({ slot: slot as Slot, ballot: e.ballot, value: e.value });
      }
    }
    cand.tally.absorb(this.#id, accepted, this.#committed, this.#snapshotIndex);
    this.#checkElection(cand);
  }

  #checkElection(cand: CandidateState): void {
    const result = this.#quorum.phase1Result(cand.tally.votes);
    // Lead only once the own promise of this ballot is durable. Failure scenario otherwise:
    //   1. candidate C sends Prepare(b), peers promise, C leads and sends Accept(b, v) at slot s
    //      while its promise of b is still unsynced;
    //   2. C crashes, restarts with a lower promise and campaigns again with the same round,
    //      i.e. the same ballot b;
    //   3. this incarnation may propose v' != v at slot s in ballot b, and a follower holding
    //      (b, v) would take the commit announced for (b, v') as choosing v. Two values chosen.
    // With the promise durable first, a restarted C always picks a ballot above b.
    if (result === 'won' && cand.tally.votes.get(this.#id) === true) {
      this.becomeLeader();
    } else if (result === 'lost') {
      this.becomeFollower(undefined);
    }
  }

  #onReject(m: RejectMessage): void {
    this.#observeRound(m.promised);
    const ours =
      (this.#role === 'candidate' &&
        this.#candidate !== undefined &&
        ballotEquals(this.#candidate.ballot, m.ballot)) ||
      (this.#role === 'leader' &&
        this.#leaderState !== undefined &&
        ballotEquals(this.#leaderState.ballot, m.ballot));
    if (ours && compareBallots(m.promised, m.ballot) > 0) {
      // A higher ballot exists: step down and back off for a fresh randomized timeout.
      this.becomeFollower(undefined);
    }
  }

  #onAccepted(m: AcceptedMessage): void {
    const ls = this.#leaderState;
    if (this.#role !== 'leader' || ls === undefined || !ballotEquals(m.ballot, ls.ballot)) {
      return;
    }
    ls.lastAckTick.set(m.from, this.#tick);
    ls.heardFrom.add(m.from);
    if (m.leaseRound !== undefined) {
      this.#leaseAck(ls, m.from, m.leaseRound);
    }
    for (const slot of m.slots) {
      this.#recordAck(ls, m.from, slot);
    }
    this.maybeCommit();
  }

  #onHeartbeatReply(m: HeartbeatReplyMessage): void {
    const ls = this.#leaderState;
    if (this.#role !== 'leader' || ls === undefined || !ballotEquals(m.ballot, ls.ballot)) {
      return;
    }
    ls.lastAckTick.set(m.from, this.#tick);
    ls.heardFrom.add(m.from);
    if (m.leaseRound !== undefined) {
      this.#leaseAck(ls, m.from, m.leaseRound);
    }
    if (m.readRound !== undefined && this.#quorum.voters.includes(m.from)) {
      ls.readAcks.set(m.from, Math.max(ls.readAcks.get(m.from) ?? 0, m.readRound));
      this.#maybeConfirmReads(ls);
      if (this.#leaderState !== ls) {
        return;
      }
    }
    if (m.committed <= this.#committed) {
      return;
    }
    // A peer knows more chosen slots than the leader (for example below a compaction point
    // the leader never saw): fetch them from it on the next heartbeat. Prefer the peer that
    // knows the most, but never stay pinned to a source not heard from in this check-quorum
    // period: any live peer ahead of the leader makes progress (its answer, or its snapshot,
    // moves the committed index). Failure scenario without the second rule (sim seed 2003881):
    // the source was the one promiser that reported committed=47 and then crashed for good;
    // live peers at 46 never qualified (46 < 47), so the leader fetched from the dead node
    // forever and stayed at 23 while its re-proposals above the gap could not commit.
    const sourceSilent = ls.fetchFrom === undefined || !ls.heardFrom.has(ls.fetchFrom);
    if (m.committed >= ls.fetchUpTo || sourceSilent) {
      ls.fetchUpTo = Math.max(ls.fetchUpTo, m.committed);
      ls.fetchFrom = m.from;
    }
  }

  /** Counts `from`'s acceptance of `slot` in the leader's ballot; marks the slot chosen on a quorum. */
  #recordAck(ls: LeaderState, from: NodeId, slot: number): void {
    const inf = ls.inflight.get(slot);
    const e = this.#log.get(slot);
    if (inf === undefined || e === undefined || e.chosen) {
      return;
    }
    if (!ballotEquals(e.ballot, ls.ballot)) {
      return;
    }
    inf.acks.add(from);
    // Flexible Paxos (arXiv 1608.06696, §3): a phase-2 quorum of one ballot suffices.
    if (this.#quorum.isPhase2Quorum(inf.acks)) {
      e.chosen = true;
    }
  }

  #proposeAt(ls: LeaderState, slot: number, value: SlotValue): AcceptedEntry {
    const existing = this.#log.get(slot);
    const chosen = existing?.chosen === true;
    if (chosen) {
      assert(
        existing !== undefined && slotValuesEqual(existing.value, value),
        `re-proposing a different value at chosen slot ${slot}`,
      );
    }
    this.#log.set(slot, { ballot: ls.ballot, value, chosen });
    this.#lastSlot = Math.max(this.#lastSlot, slot);
    this.#dirtySlots.add(slot);
    if (!chosen) {
      ls.inflight.set(slot, { acks: new Set(), sentTick: this.#tick });
    }
    return { slot: slot as Slot, ballot: ls.ballot, value };
  }

  #canPropose(): boolean {
    const ls = this.#leaderState;
    return (
      this.#role === 'leader' &&
      ls !== undefined &&
      ls.pending.length > 0 &&
      ls.nextSlot - 1 - this.#committed < this.#config.maxInflightSlots
    );
  }

  /** Batches queued commands into new slots while the in-flight window allows. */
  #flushPending(): void {
    const ls = this.#leaderState;
    if (this.#role !== 'leader' || ls === undefined) {
      return;
    }
    const proposals: AcceptedEntry[] = [];
    const pending = ls.pending;
    let taken = 0;
    while (
      taken < pending.length &&
      ls.nextSlot - 1 - this.#committed < this.#config.maxInflightSlots
    ) {
      const batch: Uint8Array[] = [];
      let bytes = 0;
      while (batch.length < this.#config.maxBatchCommands) {
        const next = pending[taken];
        if (next === undefined) {
          break;
        }
        if (batch.length > 0 && bytes + next.byteLength > this.#config.maxBatchBytes) {
          break;
        }
        batch.push(next);
        bytes += next.byteLength;
        taken++;
      }
      const slot = ls.nextSlot;
      ls.nextSlot++;
      proposals.push(this.#proposeAt(ls, slot, { kind: 'commands', commands: batch }));
    }
    pending.splice(0, taken);
    this.#broadcastAccept(ls, proposals);
  }

  /**
   * Peers that receive Accept first: all peers, or in thrifty mode the others of a minimal
   * phase-2 quorum that includes the leader, preferring the peers that acknowledged most
   * recently (the fastest responders). Re-sends on heartbeat go to every voter that has not
   * acknowledged, so a slow or dead member of the set costs one heartbeat interval.
   */
  #thriftyTargets(ls: LeaderState): NodeId[] {
    if (!this.#config.thrifty) {
      return [...this.#peers];
    }
    const others = this.#quorum.voters.filter((v) => v !== this.#id) as NodeId[];
    others.sort((a, b) => {
      const ta = ls.lastAckTick.get(a) ?? -1;
      const tb = ls.lastAckTick.get(b) ?? -1;
      return ta !== tb ? tb - ta : a - b;
    });
    const preferred = this.#isVoter ? [this.#id, ...others] : others;
    const picked = pickPhase2Quorum(this.#quorum, preferred) ?? preferred;
    return picked.filter((v) => v !== this.#id) as NodeId[];
  }

  #broadcastAccept(ls: LeaderState, proposals: readonly AcceptedEntry[]): void {
    if (proposals.length === 0) {
      return;
    }
    const chunks = this.#chunk(proposals);
    const lease = this.#leaseFields(ls);
    for (const peer of this.#thriftyTargets(ls)) {
      for (const entries of chunks) {
        this.#send({
          type: 'accept',
          from: this.#id,
          to: peer,
          ballot: ls.ballot,
          entries,
          committed: this.#committed as Slot,
          ...lease,
        });
      }
    }
  }

  /**
   * Heartbeat to every peer; `readRound` when a quorum read waits for confirmation. With
   * leases each broadcast is one lease round (or a release during a transfer).
   */
  #broadcastHeartbeat(ls: LeaderState, readRound?: number): void {
    const lease = this.#leaseFields(ls);
    for (const peer of this.#peers) {
      this.#send({
        type: 'heartbeat',
        from: this.#id,
        to: peer,
        ballot: ls.ballot,
        committed: this.#committed as Slot,
        ...lease,
        ...(readRound === undefined ? {} : { readRound }),
      });
    }
  }

  /**
   * Lease fields for a batch of grant-soliciting messages created now: a new lease round
   * (`LeaderLease.beginRound`), or `leaseRelease` during a transfer; nothing without leases.
   * The leader's own acceptor acknowledges at the send on the same clock, so it grants and is
   * counted at once (receipt time = send time: its grant outlasts what the leader counts).
   */
  #leaseFields(ls: LeaderState): { leaseRound?: number; leaseRelease?: boolean } {
    const lease = ls.lease;
    if (lease === undefined) {
      return {};
    }
    if (ls.transferring) {
      return { leaseRelease: true };
    }
    const now = this.#nowMs();
    const round = lease.beginRound(now);
    ls.maxLeaseRound = round;
    assert(ballotEquals(this.#promised, ls.ballot), 'leader whose promise is not its own ballot');
    this.#acceptorLease?.onAcknowledged(ls.ballot, now);
    lease.onAck(this.#id, round, now);
    return { leaseRound: round };
  }

  /** An acknowledgement echoing lease round `round` arrived from `from` in the leader's ballot. */
  #leaseAck(ls: LeaderState, from: NodeId, round: number): void {
    const lease = ls.lease;
    if (
      lease === undefined ||
      !Number.isSafeInteger(round) ||
      round < 1 ||
      round > ls.maxLeaseRound
    ) {
      return;
    }
    lease.onAck(from, round as LeaseRoundId, this.#nowMs());
  }

  /**
   * Acceptor side: this node acknowledges a leader message of `ballot` (an Accept it accepted or
   * a heartbeat): it grants (renews) that ballot's lease, or, when the message says the leader
   * is transferring leadership, releases its grant. Called before the acknowledgement leaves.
   */
  #grantOrRelease(ballot: Ballot, release: boolean | undefined): void {
    const al = this.#acceptorLease;
    if (al === undefined) {
      return;
    }
    if (release === true) {
      al.release(ballot, this.#nowMs());
    } else {
      al.onAcknowledged(ballot, this.#nowMs());
    }
  }

  /** Starts a read-confirmation round now (a heartbeat carrying it). */
  #startReadRound(ls: LeaderState): void {
    ls.readRoundStarted++;
    this.#broadcastHeartbeat(ls, ls.readRoundStarted);
    this.#maybeConfirmReads(ls);
  }

  /**
   * Hands out every pending quorum read whose round a phase-2 quorum (the leader included)
   * acknowledged; starts the next round at once when reads remain.
   */
  #maybeConfirmReads(ls: LeaderState): void {
    if (ls.pendingReads.length === 0) {
      return;
    }
    const confirmed = this.#confirmedReadRound(ls);
    if (confirmed <= ls.readRoundConfirmed) {
      return;
    }
    ls.readRoundConfirmed = confirmed;
    while (ls.pendingReads.length > 0 && ls.pendingReads[0]!.round <= confirmed) {
      const r = ls.pendingReads.shift()!;
      this.#readsOut.push({ id: r.id, index: r.index });
    }
    if (ls.pendingReads.length > 0 && ls.readRoundStarted <= confirmed) {
      this.#startReadRound(ls);
    }
  }

  /** The highest read round started that a phase-2 quorum (the leader included) acknowledged. */
  #confirmedReadRound(ls: LeaderState): number {
    const candidates = new Set<number>([ls.readRoundStarted]);
    for (const r of ls.readAcks.values()) {
      candidates.add(r);
    }
    const rounds = [...candidates]
      .filter((r) => r > ls.readRoundConfirmed && r <= ls.readRoundStarted)
      .sort((x, y) => y - x);
    for (const round of rounds) {
      const acked = new Set<number>();
      if (this.#isVoter) {
        acked.add(this.#id);
      }
      for (const [peer, r] of ls.readAcks) {
        if (r >= round) {
          acked.add(peer);
        }
      }
      if (this.#quorum.isPhase2Quorum(acked)) {
        return round;
      }
    }
    return ls.readRoundConfirmed;
  }

  /** Leaving the leader role: every pending quorum read fails. */
  #failReads(leaderHint: NodeId | undefined): void {
    const ls = this.#leaderState;
    if (ls === undefined) {
      return;
    }
    const hint = leaderHint === this.#id ? undefined : leaderHint;
    for (const r of ls.pendingReads) {
      this.#failedReadsOut.push({ id: r.id, leaderHint: hint });
    }
    ls.pendingReads.length = 0;
  }

  #tickLeader(): void {
    const ls = this.#leaderState;
    assert(ls !== undefined, 'leader without leader state');
    this.#heartbeatElapsed++;
    this.#checkQuorumElapsed++;
    if (ls.transferring && this.#tick - ls.transferStartTick >= this.#config.electionTimeoutTicks) {
      // The transfer did not happen within an election timeout: step down, so that a new
      // ballot (possibly this node's again) can acquire a lease; this one ended its lease.
      this.becomeFollower(undefined);
      return;
    }
    if (this.#checkQuorumElapsed >= this.#config.electionTimeoutTicks) {
      this.#checkQuorumElapsed = 0;
      const heard = new Set<number>(ls.heardFrom);
      heard.add(this.#id);
      ls.heardFrom.clear();
      if (!this.#quorum.isPhase2Quorum(heard)) {
        // Not heard from a phase-2 quorum for an election timeout: step down.
        this.becomeFollower(undefined);
        return;
      }
    }
    if (this.#heartbeatElapsed >= this.#config.heartbeatIntervalTicks) {
      this.#heartbeatElapsed = 0;
      if (ls.pendingReads.length > 0) {
        // Waiting quorum reads ride on every heartbeat as a new round (a lost round retries).
        ls.readRoundStarted++;
        this.#broadcastHeartbeat(ls, ls.readRoundStarted);
        this.#maybeConfirmReads(ls);
      } else {
        this.#broadcastHeartbeat(ls);
      }
      this.#resendAccepts(ls);
      this.#leaderFetch(ls);
    }
  }

  /** Re-sends Accept for slots in flight for a heartbeat interval to every peer that has not acked. */
  #resendAccepts(ls: LeaderState): void {
    const perPeer = new Map<number, AcceptedEntry[]>();
    for (const [slot, inf] of ls.inflight) {
      if (this.#tick - inf.sentTick < this.#config.heartbeatIntervalTicks) {
        continue;
      }
      const e = this.#log.get(slot);
      if (e === undefined || e.chosen) {
        continue;
      }
      inf.sentTick = this.#tick;
      for (const peer of this.#quorum.voters) {
        if (peer === this.#id || inf.acks.has(peer)) {
          continue;
        }
        let list = perPeer.get(peer);
        if (list === undefined) {
          list = [];
          perPeer.set(peer, list);
        }
        list.push({ slot: slot as Slot, ballot: e.ballot, value: e.value });
      }
    }
    const lease = perPeer.size > 0 ? this.#leaseFields(ls) : {};
    for (const [peer, list] of perPeer) {
      list.sort((a, b) => a.slot - b.slot);
      for (const entries of this.#chunk(list)) {
        this.#send({
          type: 'accept',
          from: this.#id,
          to: peer as NodeId,
          ballot: ls.ballot,
          entries,
          committed: this.#committed as Slot,
          ...lease,
        });
      }
    }
  }

  /** A new leader that lacks chosen slots below what promisers committed fetches them. */
  #leaderFetch(ls: LeaderState): void {
    if (ls.fetchUpTo <= this.#committed || ls.fetchFrom === undefined) {
      return;
    }
    this.#fetch(ls.fetchFrom, ls.fetchUpTo);
  }

  // ---------------------------------------------------------------- helpers

  #chosenEntries(from: number, to: number, maxChunks = Number.POSITIVE_INFINITY): ChosenEntry[][] {
    const entries: ChosenEntry[] = [];
    const budgetBytes = maxChunks * this.#config.maxBatchBytes;
    let bytes = 0;
    for (let s = Math.max(from, this.#snapshotIndex + 1); s <= to && bytes <= budgetBytes; s++) {
      const e = this.#log.get(s);
      if (e === undefined || !e.chosen) {
        break;
      }
      entries.push({ slot: s as Slot, value: e.value });
      bytes += valueBytes(e.value) + ENTRY_OVERHEAD_BYTES;
    }
    return this.#chunk(entries).slice(0, maxChunks);
  }

  /** Splits entries into messages of at most `maxBatchBytes` (at least one entry each). */
  #chunk<T extends { readonly value: SlotValue }>(entries: readonly T[]): T[][] {
    return chunkEntries(entries, this.#config.maxBatchBytes);
  }

  #setPromised(ballot: Ballot): void {
    assert(compareBallots(ballot, this.#promised) >= 0, 'promised ballot must never decrease');
    if (!ballotEquals(ballot, this.#promised)) {
      this.#promised = ballot;
      this.#leaderCommit = 0;
      this.#hardStateDirty = true;
      this.#promisedDirty = true;
    }
  }

  #observeRound(b: Ballot): void {
    this.#maxRoundSeen = Math.max(this.#maxRoundSeen, b.round);
  }

  #resetElectionTimer(): void {
    this.#electionElapsed = 0;
    const j = this.#config.electionTimeoutJitterTicks;
    this.#randomizedElectionTimeout =
      this.#config.electionTimeoutTicks + (j > 0 ? this.#config.random.nextInt(j) : 0);
  }

  /** A reading of the injected monotonic clock (leases only). */
  #nowMs(): number {
    const clock = this.#clock;
    assert(clock !== undefined, 'clock read without a lease config');
    return clock.nowMs();
  }

  #send(m: Message): void {
    this.#messages.push(m);
  }

  #sendAfterPersist(m: AfterPersistMessage): void {
    this.#messagesAfterPersist.push(m);
  }
}

/** Maps the lease package's refusal to the core's `ReadResult` reason. */
function leaseRefusalReason(reason: LeaseReadRefusal): ReadUnavailableReason {
  switch (reason) {
    case 'transferring':
      return 'transferring';
    case 'own-ballot-entry-not-committed':
      return 'own-ballot-not-committed';
    case 'not-applied':
      return 'not-applied';
    case 'no-lease':
      return 'lease-not-held';
    default:
      return assertNever(reason, 'lease read refusal');
  }
}
