/**
 * The sans-IO Multi-Paxos replica: proposer, acceptor and learner in one deterministic state
 * machine. Messages, ticks and proposals go in; a `Ready` bundle comes out (see `ready.ts` for
 * the persist-before-send contract). The replica never awaits, reads no clock and draws
 * randomness only from the injected `RandomSource`.
 *
 * This file is the public API and the routing between the roles, one role per file (the file
 * map is in ARCHITECTURE.md).
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
 * - Learning: see `learner.ts`.
 *
 * Invariant (besides those of the log and the acceptor): a leader of ballot B announces a
 * committed index covering slot s only if B's proposal at s (if any) is the chosen value; on
 * learning otherwise it steps down (`Leader.contradictedBy`, `Leader.coveredBySnapshot`).
 */
import type { LeaseConfig } from '@flexpaxos/lease';
import { Acceptor } from './acceptor.js';
import { assert, assertNever } from './assert.js';
import { ballotEquals, compareBallots, ZERO_BALLOT } from './ballot.js';
import { Candidate } from './candidate.js';
import { ReplicaConfigError, validateReplicaConfig, type ReplicaConfig } from './config.js';
import { ReplicaContext } from './context.js';
import { Leader } from './leader.js';
import { Learner } from './learner.js';
import { ReplicaLog } from './log.js';
import type { ConfigState, Configuration } from './configuration.js';
import type { Message, SnapshotMessage } from './messages.js';
import type { ChangeConfigResult } from './reconfig.js';
import { ElectionTimer } from './election-timer.js';
import { PreVote, answerPrePrepare } from './pre-vote.js';
import { Outbox, ReadyQueue, type Ready } from './ready.js';
import { buildStatus } from './status.js';
import type {
  ProposeResult,
  ReadMode,
  ReadResult,
  ReplicaStatus,
  Role,
  TransferResult,
} from './replica-status.js';
import type { Ballot, NodeId, RecoveredState, Round, Slot, SlotValue, Snapshot } from './types.js';

/** The role of the replica with the state only that role has. */
type RoleState =
  | { readonly role: 'follower'; readonly leaderId: NodeId | undefined }
  | { readonly role: 'candidate'; readonly phase1: Candidate }
  | { readonly role: 'leader'; readonly phase2: Leader };

/**
 * A Multi-Paxos replica (proposer + acceptor + learner), driven by its host:
 *
 * ```
 * replica.tick() / replica.step(msg) / replica.propose(cmd)
 * if (replica.hasReady()) {
 *   const rd = replica.ready();
 *   send(rd.messages); persist(rd.persist, { sync: rd.mustSync }); send(rd.messagesAfterPersist);
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
  readonly #ctx: ReplicaContext;
  readonly #log: ReplicaLog;
  readonly #out = new Outbox();
  readonly #readies: ReadyQueue;
  readonly #acceptor: Acceptor;
  readonly #learner: Learner;
  readonly #leaseConfig: LeaseConfig | undefined;
  #state: RoleState = { role: 'follower', leaderId: undefined };
  readonly #timer: ElectionTimer;

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
    const promised = recovered?.hardState.promised ?? ZERO_BALLOT;
    const bootstrap = config.bootstrap === undefined ? undefined : { incoming: config.bootstrap };
    this.#log = new ReplicaLog(recovered, promised, bootstrap);
    this.#ctx = new ReplicaContext(config, this.#log, this.#out);
    this.#readies = new ReadyQueue(this.#log.applied, config.pipelineReadies === true);
    const lease = config.lease;
    this.#leaseConfig =
      lease === undefined
        ? undefined
        : {
            leaseDurationMs: lease.leaseDurationMs,
            clockDriftBoundMs: lease.clockDriftBoundMs,
            electionTimeoutMs: lease.electionTimeoutMs,
            ...(lease.unsafeLease === undefined ? {} : { unsafeLease: lease.unsafeLease }),
          };
    this.#acceptor = new Acceptor(this.#ctx, promised, this.#leaseConfig);
    this.#learner = new Learner(this.#ctx, this.#acceptor);
    this.#timer = new ElectionTimer(this.#ctx);
  }

  // ---------------------------------------------------------------- public inputs

  /** Advances logical time by one tick: election timeouts, heartbeats, re-sends. */
  tick(): void {
    this.#ctx.ticks++;
    const st = this.#state;
    if (st.role === 'leader') {
      if (st.phase2.tick() === 'step-down') {
        this.#becomeFollower(undefined);
      }
      return;
    }
    if (st.role === 'candidate' && !this.#ctx.isVoter) {
      // It learned (from the chosen log) that it was removed: stop campaigning.
      this.#becomeFollower(undefined);
      return;
    }
    if (this.#timer.tick() && this.#ctx.isVoter) {
      if (this.#ctx.config.preVote === false) {
        this.campaign();
      } else {
        this.#startPreVote();
      }
    }
  }

  /**
   * Starts phase 1 now with a ballot above every ballot seen (also when already leading). With
   * leases, does nothing while this node's own acceptor may not promise (it grants a lease to
   * another ballot, or its restart wait runs); the election timer retries on the next tick.
   */
  campaign(): void {
    this.#becomeCandidate();
  }

  /**
   * Queues a client command. Only the leader accepts; it batches queued commands into slots
   * when the host next calls `ready()`. Queued commands are dropped if the leader steps down
   * before proposing them (clients retry; the state machine deduplicates).
   */
  propose(command: Uint8Array): ProposeResult {
    const st = this.#state;
    if (st.role !== 'leader') {
      return { kind: 'not-leader', leaderHint: this.#leaderHint() };
    }
    st.phase2.propose(command);
    return { kind: 'queued' };
  }

  /**
   * Leadership transfer (for example to a preferred leader): the leader asks `to` to campaign
   * now. It keeps leading until the target's higher ballot arrives; if the transfer fails,
   * nothing changes (without leases). With leases the leader ends its lease reads first and
   * steps down if the transfer did not happen within an election timeout (`Leader.transfer`).
   */
  transferLeadership(to: NodeId): TransferResult {
    const st = this.#state;
    if (st.role !== 'leader') {
      return { kind: 'not-leader', leaderHint: this.#leaderHint() };
    }
    const problem = st.phase2.transferProblem(to);
    if (problem !== undefined) {
      return { kind: problem };
    }
    st.phase2.transfer(to);
    return { kind: 'started' };
  }

  /**
   * Changes the cluster's configuration to `target` (voters and quorum sizes, learners,
   * preferred leader), through the log: new voters join as learners first and are promoted once
   * caught up; a quorum change passes through the joint configuration (`configuration.ts`,
   * `reconfig.ts`). One change at a time. `reason` is recorded with it (status, logs).
   */
  changeConfig(target: Configuration, reason = 'operator'): ChangeConfigResult {
    const st = this.#state;
    if (st.role !== 'leader') {
      return { kind: 'not-leader', leaderHint: this.#leaderHint() };
    }
    return st.phase2.changeConfig(target, reason);
  }

  /**
   * A linearizable read, served by the leader (design brief, "Reads"). `id` is chosen by the
   * host, unique among its outstanding reads.
   *
   * - `lease`: answered at once when the leader holds its lease, an entry of its own ballot is
   *   committed, everything committed is applied and no transfer began: `{ kind: 'ready',
   *   index }` (answer from the state machine once applied >= index). Otherwise
   *   `unavailable` with the reason; the host may fall back to a quorum read.
   * - `quorum` (ReadIndex; `read-index.ts`): needs an own-ballot entry committed; the read
   *   index is the committed index now; the leader starts a heartbeat round at once (reads
   *   arriving while a round is in flight join the next round). Once a phase-2 quorum (the
   *   leader counts itself) acknowledged a round >= the read's round in this ballot, the read
   *   appears in `Ready.reads`; if the leader steps down first, in `Ready.failedReads`.
   */
  read(request: { readonly id: number; readonly mode: ReadMode }): ReadResult {
    const st = this.#state;
    if (st.role !== 'leader') {
      return { kind: 'not-leader', leaderHint: this.#leaderHint() };
    }
    return st.phase2.read(request);
  }

  /** Feeds one peer message. Messages not addressed to this node or from non-members are ignored. */
  step(message: Message): void {
    const ctx = this.#ctx;
    if (message.to !== ctx.id || message.from === ctx.id) {
      return;
    }
    switch (message.type) {
      case 'pre-prepare':
        answerPrePrepare(
          ctx,
          this.#acceptor,
          this.#learner,
          message,
          this.#followsLiveLeader(message.from),
        );
        return;
      case 'pre-promise': {
        this.#acceptor.observeRound(message.promised);
        const pv = this.#timer.preVote;
        if (pv !== undefined && pv.onReply(message) === 'won') {
          // It may have learned meanwhile (from the chosen log) that it no longer votes.
          if (ctx.isVoter) {
            this.#becomeCandidate();
          } else {
            this.#timer.preVote = undefined;
          }
        }
        return;
      }
      case 'prepare': {
        if (message.fromSlot - 1 > this.#log.committed) {
          // The candidate knows more chosen slots: learn them from it.
          this.#learner.fetch(message.from, message.fromSlot - 1);
        }
        const outcome = this.#acceptor.onPrepare(message);
        if (outcome === 'promised-higher') {
          this.#becomeFollower(undefined);
        } else if (outcome === 'not-a-member') {
          // A removed (or never added) node campaigns: send it the chosen log from its first
          // unknown slot, so it learns the configuration that excludes it and stops.
          this.#learner.onFetch({
            from: message.from,
            fromSlot: message.fromSlot,
            toSlot: this.#log.committed as Slot,
          });
        }
        return;
      }
      case 'promise': {
        const st = this.#state;
        if (
          st.role === 'candidate' &&
          ballotEquals(message.ballot, st.phase1.ballot) &&
          st.phase1.onPromise(message)
        ) {
          this.#checkElection(st.phase1);
        }
        return;
      }
      case 'accept':
        if (!this.#acceptor.admit(message.ballot, message.from)) {
          return;
        }
        this.#followLeaderOf(message.ballot);
        this.#acceptor.onAccept(message);
        this.#learner.learnCommit(message.ballot, message.committed);
        this.#maybeCommit();
        return;
      case 'accepted': {
        const st = this.#state;
        if (st.role === 'leader' && ballotEquals(message.ballot, st.phase2.ballot)) {
          st.phase2.onAccepted(message);
          this.#maybeCommit();
        }
        return;
      }
      case 'reject': {
        this.#acceptor.observeRound(message.promised);
        const st = this.#state;
        const ours =
          (st.role === 'candidate' && ballotEquals(st.phase1.ballot, message.ballot)) ||
          (st.role === 'leader' && ballotEquals(st.phase2.ballot, message.ballot));
        if (ours && compareBallots(message.promised, message.ballot) > 0) {
          // A higher ballot exists: step down and back off for a fresh randomized timeout.
          this.#becomeFollower(undefined);
        }
        return;
      }
      case 'heartbeat':
        if (!this.#acceptor.admit(message.ballot, message.from)) {
          return;
        }
        this.#followLeaderOf(message.ballot);
        this.#learner.learnCommit(message.ballot, message.committed);
        this.#maybeCommit();
        if (this.#log.committed < message.committed) {
          this.#learner.fetch(message.from, message.committed);
        }
        this.#acceptor.onHeartbeat(message);
        if (message.campaignNow === true && ctx.isVoter) {
          // Leadership transfer: phase 1 with a higher ballot is the only way to lead; whatever
          // this node lacks, the promises bring (or it fetches).
          this.campaign();
        }
        return;
      case 'heartbeat-reply': {
        const st = this.#state;
        if (st.role === 'leader' && ballotEquals(message.ballot, st.phase2.ballot)) {
          st.phase2.onHeartbeatReply(message);
        }
        return;
      }
      case 'fetch':
        this.#learner.onFetch(message);
        return;
      case 'chosen': {
        const before = this.#log.committed;
        for (const e of message.entries) {
          this.#learnChosen(e.slot, ZERO_BALLOT, e.value);
        }
        this.#maybeCommit();
        this.#learner.afterChosen(message.from, message.committed, before);
        return;
      }
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
   *
   * The host stores `configAt(snapshot.meta.index)` with its snapshot, in the same atomic write
   * (it is the `RecoveredState.baseConfig` of a restart from that snapshot): the configuration
   * entries at or below the index go with the log. The next ready's `persist.baseConfig`
   * repeats it with the truncation.
   */
  compact(snapshot: Snapshot): void {
    this.#log.compact(snapshot);
  }

  /**
   * The configuration in force just above `index`: what a snapshot at `index` must be stored
   * with (see `compact`). Undefined below the replica's snapshot index (such a snapshot is
   * outdated: `compact` ignores it) and for a node that has not joined a cluster.
   */
  configAt(index: Slot): ConfigState | undefined {
    return index < this.#log.snapshotIndex ? undefined : this.#log.configFor(index + 1);
  }

  // ---------------------------------------------------------------- ready / advance

  /**
   * Whether `ready()` has anything to hand out (false while a ready is outstanding, unless
   * `config.pipelineReadies`).
   */
  hasReady(): boolean {
    if (this.#readies.blocked) {
      return false;
    }
    const st = this.#state;
    return (
      !this.#out.isEmpty ||
      this.#acceptor.promisedDirty ||
      this.#log.hasChanges ||
      this.#log.committed > this.#readies.handedOutThrough ||
      (st.role === 'leader' && st.phase2.canPropose)
    );
  }

  /**
   * Collects the pending output. Also turns queued commands into slots (batching): everything
   * proposed since the last ready shares slots, up to the batch bounds and the in-flight window.
   * Calling `ready()` again before `advance()` is an assertion failure, unless
   * `config.pipelineReadies` (then readies are advanced in the order they were handed out).
   */
  ready(): Ready {
    const st = this.#state;
    if (st.role === 'leader' && !this.#readies.blocked) {
      st.phase2.flushPending();
    }
    return this.#readies.take(
      this.#log,
      this.#acceptor.takePromiseState(),
      this.#out,
      st.role === 'leader' ? st.phase2.ballot : undefined,
    );
  }

  /**
   * The host persisted, sent and applied `ready`. Now (and only now) the replica counts its own
   * durable promise (candidate) and its own durable acceptances (leader): this is how "the
   * leader counts itself only after its own write is durable" is implemented. With
   * `config.pipelineReadies`, readies are advanced in the order `ready()` handed them out.
   */
  advance(ready: Ready): void {
    const out = this.#readies.advance(ready);
    this.#log.advanceApplied(out.appliedThrough);
    const st = this.#state;
    if (
      out.selfPromise !== undefined &&
      st.role === 'candidate' &&
      ballotEquals(st.phase1.ballot, out.selfPromise)
    ) {
      st.phase1.recordSelfPromise();
      this.#checkElection(st.phase1);
    }
    const now = this.#state;
    if (now.role === 'leader') {
      for (const { slot, ballot } of out.selfAccepted) {
        if (ballotEquals(ballot, now.phase2.ballot)) {
          now.phase2.recordAck(this.#ctx.id, slot);
        }
      }
      this.#maybeCommit();
    }
  }

  // ---------------------------------------------------------------- status

  /** The current role; cheap (unlike `status()`), for hosts that watch it after every step. */
  get role(): Role {
    return this.#state.role;
  }

  /** The leader this replica follows (itself when leader), if known; cheap like `role`. */
  get leader(): NodeId | undefined {
    const st = this.#state;
    switch (st.role) {
      case 'leader':
        return this.#ctx.id;
      case 'candidate':
        return undefined;
      case 'follower':
        return st.leaderId;
      default:
        return assertNever(st, 'role');
    }
  }

  /** Observable state, for status pages, tests and the simulator. */
  status(): ReplicaStatus {
    const st = this.#state;
    return buildStatus({
      ctx: this.#ctx,
      acceptor: this.#acceptor,
      role: st.role,
      leaderId: this.leader,
      leader: st.role === 'leader' ? st.phase2 : undefined,
      leases: this.#leaseConfig !== undefined,
    });
  }

  /** The chosen value at `slot`, if this replica knows it (and it is not compacted). */
  chosenValue(slot: Slot): SlotValue | undefined {
    return this.#log.chosenValue(slot);
  }

  // ---------------------------------------------------------------- transitions

  /** The leader to send a client to: the followed leader, never this node. */
  #leaderHint(): NodeId | undefined {
    const leader = this.leader;
    return leader === this.#ctx.id ? undefined : leader;
  }

  /**
   * Follows `leader` (or nobody), dropping candidate / leader state and restarting the
   * randomized election timer (this is also the randomized backoff after a rejection).
   */
  #becomeFollower(leader: NodeId | undefined): void {
    const st = this.#state;
    if (st.role === 'leader') {
      st.phase2.failReads(leader);
    }
    this.#state = { role: 'follower', leaderId: leader };
    this.#timer.reset();
  }

  /**
   * Starts phase 1 with a fresh ballot above every round seen: promises it to itself (counted
   * once durable) and sends Prepare for every slot from the first one it does not know chosen.
   */
  #becomeCandidate(): void {
    const ctx = this.#ctx;
    assert(ctx.isVoter, `node ${ctx.id} is not a voter and cannot campaign`);
    const acceptor = this.#acceptor;
    const round = Math.max(acceptor.maxRoundSeen, acceptor.promised.round) + 1;
    const ballot: Ballot = { round: round as Round, nodeId: ctx.id };
    if (!acceptor.mayPromise(ballot)) {
      // Its own acceptor grants a lease to another ballot (or its restart wait runs): it may
      // not promise itself either. The election timer retries on the next tick.
      return;
    }
    acceptor.reserveRound(round);
    acceptor.promise(ballot);
    const st = this.#state;
    if (st.role === 'leader') {
      st.phase2.failReads(undefined);
    }
    this.#state = { role: 'candidate', phase1: new Candidate(ctx, ballot) };
    this.#readies.selfPromise = ballot;
    this.#timer.reset();
  }

  /** Phase 1 won (with the own promise durable) or lost: lead or back off. */
  #checkElection(candidate: Candidate): void {
    const result = candidate.result();
    if (result === 'won') {
      this.#becomeLeader(candidate);
    } else if (result === 'lost') {
      this.#becomeFollower(undefined);
    }
  }

  /** Takes over as leader of `candidate`'s ballot (see `Leader`). */
  #becomeLeader(candidate: Candidate): void {
    assert(this.#state.role === 'candidate', 'becomeLeader outside candidacy');
    assert(
      ballotEquals(candidate.ballot, this.#acceptor.promised),
      'becomeLeader with a stale ballot',
    );
    // Learn the values promises reported as committed.
    for (const e of candidate.tally.chosenReported.values()) {
      this.#learnChosen(e.slot, e.ballot, e.value);
    }
    this.#maybeCommit();
    const leader = new Leader(
      this.#ctx,
      this.#acceptor,
      this.#learner,
      candidate,
      this.#leaseConfig,
    );
    this.#state = { role: 'leader', phase2: leader };
  }

  /**
   * The election timer fired: phase 0 (`pre-vote.ts`). Phase 1 starts once a phase-1 quorum
   * would promise; the timer retries otherwise.
   */
  #startPreVote(): void {
    const acceptor = this.#acceptor;
    const round = Math.max(acceptor.maxRoundSeen, acceptor.promised.round) + 1;
    const ballot: Ballot = { round: round as Round, nodeId: this.#ctx.id };
    if (!acceptor.mayPromise(ballot)) {
      // As in #becomeCandidate: its own acceptor may not promise yet; retry on the next tick.
      return;
    }
    this.#timer.reset();
    if (this.#state.role === 'follower') {
      // It no longer follows a leader it has not heard from: it grants others' pre-votes too.
      this.#state = { role: 'follower', leaderId: undefined };
    }
    const preVote = new PreVote(this.#ctx, ballot);
    this.#timer.preVote = preVote;
    if (preVote.result() === 'won') {
      this.#becomeCandidate();
    }
  }

  /** It leads, or follows a leader other than `from` that it heard from within an election timeout. */
  #followsLiveLeader(from: NodeId): boolean {
    const st = this.#state;
    return (
      st.role === 'leader' ||
      (st.role === 'follower' &&
        st.leaderId !== undefined &&
        st.leaderId !== from &&
        this.#timer.heardRecently)
    );
  }

  /** A message of the leader of `ballot` (>= promised) arrived: follow it. */
  #followLeaderOf(ballot: Ballot): void {
    this.#acceptor.promise(ballot);
    const st = this.#state;
    if (st.role !== 'follower' || st.leaderId !== ballot.nodeId) {
      this.#becomeFollower(ballot.nodeId);
    } else {
      this.#timer.heard();
    }
  }

  /**
   * Advances the committed index over every contiguous chosen slot. Returns whether it moved.
   * A leader learns of it (`Leader.onCommitted`: in-flight tracking, thrifty streaming).
   */
  #maybeCommit(): boolean {
    const before = this.#log.maybeCommit();
    if (before === undefined) {
      return false;
    }
    const st = this.#state;
    if (st.role === 'leader') {
      st.phase2.onCommitted(before);
    }
    return true;
  }

  /** Stores a value known chosen; a leader it contradicts steps down first. */
  #learnChosen(slot: number, reportedBallot: Ballot, value: SlotValue): void {
    if (slot <= this.#log.snapshotIndex || this.#log.entry(slot)?.chosen === true) {
      return;
    }
    const st = this.#state;
    if (st.role === 'leader' && st.phase2.contradictedBy(slot, value)) {
      this.#becomeFollower(undefined);
    }
    this.#log.storeChosen(slot, reportedBallot, value);
  }

  #onSnapshot(m: SnapshotMessage): void {
    const index = m.snapshot.meta.index;
    if (!this.#log.installSnapshot(m.snapshot, m.config)) {
      return;
    }
    const st = this.#state;
    if (st.role === 'leader' && st.phase2.coveredBySnapshot(index)) {
      this.#becomeFollower(undefined);
    }
    this.#maybeCommit();
  }
}
