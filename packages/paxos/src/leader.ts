/**
 * The leader role: phase 2 of Multi-Paxos for one ballot. It recovers the slots phase 1
 * reported, batches client commands into slots within an in-flight window (pipelining), counts
 * a slot chosen once a phase-2 quorum accepted it in this ballot (Flexible Paxos, arXiv
 * 1608.06696, §3: any phase-2 quorum of one ballot suffices), re-sends unacknowledged Accepts,
 * heartbeats, checks that it still hears from a phase-2 quorum, holds the leader lease, serves
 * reads, transfers leadership and drives membership changes (`reconfig.ts`).
 *
 * Configurations (`configuration.ts`): slot s is counted with the quorum of the configuration
 * governing s; the leader proposes nothing above a configuration entry until it is committed;
 * heartbeats, check-quorum, quorum reads and the lease use every configuration in force (the
 * committed one and the newest proposed).
 *
 * A `Leader` exists only while its replica leads that ballot; stepping down drops it.
 */
import type { LeaseConfig } from '@flexpaxos/lease';
import { pickPhase2Quorum } from '@flexpaxos/quorum';
import type { Acceptor } from './acceptor.js';
import { assert } from './assert.js';
import { ballotEquals } from './ballot.js';
import type { Candidate } from './candidate.js';
import { isVoterIn, stateVoters, type ConfigState, type Configuration } from './configuration.js';
import type { ReplicaContext } from './context.js';
import { Inflight } from './inflight.js';
import { LeaderMembership, type PeerProgress } from './membership.js';
import { AutoSubset, type AutoSubsetStatus } from './auto-subset.js';
import { LeaseHolder, type LeaseFields, type LeaseView } from './lease-holder.js';
import type { Learner } from './learner.js';
import type { AcceptedMessage, HeartbeatReplyMessage } from './messages.js';
import { planRecovery } from './phase1.js';
import { LeaderReads } from './leader-reads.js';
import type { ChangeConfigResult, ChangeOutcome, PendingChange } from './reconfig.js';
import type { ReadMode, ReadResult } from './replica-status.js';
import { NOOP, chunkEntries, slotValuesEqual } from './slot-value.js';
import type { AcceptedEntry, Ballot, NodeId, Slot, SlotValue } from './types.js';

/** What a leader tick asks of the replica. */
export type LeaderTickOutcome = 'lead-on' | 'step-down';

/** Phase-2 state of the leader of one ballot. */
export class Leader {
  readonly ballot: Ballot;
  readonly #ctx: ReplicaContext;
  readonly #learner: Learner;
  /** Next slot for a new proposal. */
  #nextSlot = 0;
  readonly #inflight = new Inflight();
  /** Client commands waiting for a slot. */
  readonly #pending: Uint8Array[] = [];
  /** Slots below this that the leader must learn by fetching (chosen but unknown to it). */
  #fetchUpTo = 0;
  #fetchFrom: NodeId | undefined;
  /**
   * Once `committed` reaches this slot, an entry of this ballot is committed AND every value
   * chosen before the election is committed here (reads need both): the last slot proposed at
   * election (recovery re-proposals, or the no-op of a leader with nothing to recover).
   */
  #readBarrierSlot = Number.POSITIVE_INFINITY;
  /** Leader side of the lease (only with leases). */
  readonly #lease: LeaseHolder | undefined;
  readonly #reads: LeaderReads;
  #heartbeatElapsed = 0;
  #checkQuorumElapsed = 0;
  readonly #members: LeaderMembership;
  readonly #autoSubset: AutoSubset;

  /**
   * Takes over as leader of `candidate`'s ballot (phase 1 won; the replica has already stored
   * the values the promises reported chosen). For each slot from the first unknown one it
   * re-proposes, in its own ballot, the chosen value when known, else the value with the
   * highest accepted ballot among the promises, else a no-op ("Paxos Made Simple", §3: gaps are
   * filled with no-op commands). Slots that promisers report as chosen but compacted are never
   * filled: the leader fetches them instead.
   */
  constructor(
    ctx: ReplicaContext,
    acceptor: Acceptor,
    learner: Learner,
    candidate: Candidate,
    leaseConfig: LeaseConfig | undefined,
  ) {
    this.#ctx = ctx;
    this.#learner = learner;
    const ballot = candidate.ballot;
    this.ballot = ballot;
    this.#reads = new LeaderReads(ctx, {
      lease: () => this.#lease,
      ownBallotCommitted: () => this.ownBallotCommitted,
      quorums: () => this.#members.quorums(),
      heartbeat: (readRound) => this.#broadcastHeartbeat(readRound),
    });
    this.#members = new LeaderMembership(ctx, this.#inflight, {
      nextSlot: () => this.#nextSlot,
      proposeConfig: (state) => this.#proposeConfig(state),
      onQuorumsChanged: (quorums) => this.#lease?.setQuorums(quorums),
    });
    this.#autoSubset = new AutoSubset(ctx, this.#members, this.#inflight);
    const log = ctx.log;
    const tally = candidate.tally;
    const plan = planRecovery(tally, log.committed, log.lastSlot, (slot) => log.chosenValue(slot));
    const proposals: AcceptedEntry[] = plan.proposals.map((p) => this.#proposeAt(p.slot, p.value));
    this.#nextSlot = plan.nextSlot;
    if (proposals.length === 0) {
      // Nothing to recover: still commit one entry of the own ballot at once, so followers
      // learn the committed index and reads may start (design brief, "Leader lease": only after
      // the leader committed an entry in its own ballot). The first slot of a new cluster holds
      // its bootstrap configuration; any later one a no-op.
      const base = log.baseConfig;
      const value: SlotValue =
        this.#nextSlot === 1 && base !== undefined ? { kind: 'config', config: base } : NOOP;
      proposals.push(this.#proposeAt(this.#nextSlot, value));
      this.#nextSlot++;
    }
    // Not just the first own slot: recovery re-proposes slots in order but they commit in any
    // order of acknowledgements, and committed is contiguous. Failure scenario with "first own
    // slot committed" as the barrier: (1) old leader commits y at slot 2 and acknowledges the
    // client; (2) the new leader re-proposes slots 1 and 2, slot 1 commits first; (3) a read at
    // committed = 1 misses y. Every value chosen earlier sits at or below the plan's end
    // (the phase-1 quorum meets the phase-2 quorum that chose it), so this barrier covers it.
    this.#readBarrierSlot = this.#nextSlot - 1;
    if (plan.fetchUpTo > log.committed) {
      this.#fetchUpTo = plan.fetchUpTo;
      this.#fetchFrom = tally.knownChosenFrom;
      this.#fetchMissing();
    }
    this.#lease =
      leaseConfig === undefined
        ? undefined
        : new LeaseHolder(ctx, acceptor, ballot, leaseConfig, this.#members.quorums());
    this.#broadcastAccept(proposals);
    this.#broadcastHeartbeat();
    this.#members.changer.finishJoint();
  }

  // ---------------------------------------------------------------- configurations

  /** The configuration governing the next slot (the newest this leader proposed or knows). */
  get latestConfig(): ConfigState {
    return this.#members.latest;
  }

  /** The configurations in force (`LeaderMembership.inForce`). */
  inForce(): ConfigState[] {
    return this.#members.inForce();
  }

  /** Proposes `state` at the next slot (called only with no configuration entry pending). */
  #proposeConfig(state: ConfigState): Slot {
    assert(
      !this.#members.configPending() || this.#ctx.config.unsafeReconfig === true,
      'two configuration entries pending',
    );
    const slot = this.#nextSlot;
    const entry = this.#proposeAt(slot, { kind: 'config', config: state });
    this.#nextSlot++;
    this.#broadcastAccept([entry]);
    this.#members.refresh();
    return slot as Slot;
  }

  /** Starts a membership change to `target` (`reconfig.ts`). */
  changeConfig(target: Configuration, reason: string): ChangeConfigResult {
    return this.#members.changer.start(target, reason);
  }

  /** The membership change in progress, if any. */
  get pendingChange(): PendingChange | undefined {
    return this.#members.changer.pending;
  }

  /** How the last membership change of this ballot ended. */
  get lastChange(): ChangeOutcome | undefined {
    return this.#members.changer.outcome;
  }

  /** What automatic subsetting is doing. */
  get autoSubset(): AutoSubsetStatus {
    return this.#autoSubset.status;
  }

  /** Progress of every other member of the configurations in force. */
  peers(): PeerProgress[] {
    return this.#members.peers();
  }

  /** Why `to` cannot take over now, or undefined (`LeaderMembership.transferProblem`). */
  transferProblem(to: NodeId): 'invalid-target' | 'not-caught-up' | undefined {
    return this.#members.transferProblem(to);
  }

  // ---------------------------------------------------------------- proposals

  /** Queues a client command for the next ready's batching. */
  propose(command: Uint8Array): void {
    this.#pending.push(command);
  }

  /** Commands queued and not yet put into a slot. */
  get pendingCommands(): number {
    return this.#pending.length;
  }

  /** Slots proposed and not yet committed. */
  get inflightSlots(): number {
    return Math.max(0, this.#nextSlot - 1 - this.#ctx.log.committed);
  }

  /** Whether queued commands can go into new slots now (the window has room). */
  get canPropose(): boolean {
    return this.#pending.length > 0 && this.#windowHasRoom();
  }

  /** Room for a new slot: within the window, and no configuration entry pending below it. */
  #windowHasRoom(): boolean {
    const config = this.#ctx.config;
    return (
      this.#nextSlot - 1 - this.#ctx.log.committed < config.inflightSlotsMax &&
      (!this.#members.configPending() || config.unsafeReconfig === true) &&
      !this.#members.changer.holdsProposals
    );
  }

  /** Batches queued commands into new slots while the in-flight window allows. */
  flushPending(): void {
    const config = this.#ctx.config;
    const proposals: AcceptedEntry[] = [];
    const pending = this.#pending;
    let taken = 0;
    while (taken < pending.length && this.#windowHasRoom()) {
      const batch: Uint8Array[] = [];
      let bytes = 0;
      while (batch.length < config.batchCommandsMax) {
        const next = pending[taken];
        if (next === undefined) {
          break;
        }
        if (batch.length > 0 && bytes + next.byteLength > config.batchBytesMax) {
          break;
        }
        batch.push(next);
        bytes += next.byteLength;
        taken++;
      }
      const slot = this.#nextSlot;
      this.#nextSlot++;
      proposals.push(this.#proposeAt(slot, { kind: 'commands', commands: batch }));
    }
    pending.splice(0, taken);
    this.#broadcastAccept(proposals);
  }

  #proposeAt(slot: number, value: SlotValue): AcceptedEntry {
    const log = this.#ctx.log;
    const existing = log.entry(slot);
    const chosen = existing?.chosen === true;
    if (chosen) {
      assert(
        existing !== undefined && slotValuesEqual(existing.value, value),
        `re-proposing a different value at chosen slot ${slot}`,
      );
    }
    log.accept(slot, this.ballot, value, chosen);
    if (!chosen) {
      this.#inflight.add(slot, this.#ctx.ticks);
    }
    return { slot: slot as Slot, ballot: this.ballot, value };
  }

  // ---------------------------------------------------------------- acknowledgements

  /** An Accepted of this ballot arrived: count it (the caller then advances the commit). */
  onAccepted(m: AcceptedMessage): void {
    this.#inflight.noteHeard(m.from, this.#ctx.ticks);
    if (m.leaseRound !== undefined) {
      this.#lease?.onAck(m.from, m.leaseRound);
    }
    for (const slot of m.slots) {
      this.recordAck(m.from, slot);
    }
  }

  /** Counts `from`'s acceptance of `slot` in this ballot; marks the slot chosen on a quorum. */
  recordAck(from: NodeId, slot: number): void {
    const inf = this.#inflight.get(slot);
    const log = this.#ctx.log;
    const e = log.entry(slot);
    if (inf === undefined || e === undefined || e.chosen) {
      return;
    }
    if (!ballotEquals(e.ballot, this.ballot)) {
      return;
    }
    inf.acks.add(from);
    // Flexible Paxos (arXiv 1608.06696, §3): a phase-2 quorum of one ballot suffices, of the
    // configuration governing the slot.
    const state = log.configFor(slot);
    if (state !== undefined && this.#ctx.quorumOf(state).isPhase2Quorum(inf.acks)) {
      log.markChosen(slot);
    }
  }

  /** A heartbeat reply of this ballot arrived. */
  onHeartbeatReply(m: HeartbeatReplyMessage): void {
    const ctx = this.#ctx;
    this.#inflight.noteHeard(m.from, ctx.ticks);
    this.#members.notePeerCommitted(m.from, m.committed);
    if (m.leaseRound !== undefined) {
      this.#lease?.onAck(m.from, m.leaseRound);
    }
    if (m.readRound !== undefined && this.inForce().some((s) => isVoterIn(s, m.from))) {
      this.#reads.onAck(m.from, m.readRound);
    }
    if (m.committed <= ctx.log.committed) {
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
    const sourceSilent =
      this.#fetchFrom === undefined || !this.#inflight.heardFromNow(this.#fetchFrom);
    if (m.committed >= this.#fetchUpTo || sourceSilent) {
      this.#fetchUpTo = Math.max(this.#fetchUpTo, m.committed);
      this.#fetchFrom = m.from;
    }
  }

  /**
   * The committed index moved from `before` to the log's committed index: stop tracking those
   * slots; in thrifty mode stream the newly chosen values to the acceptors outside the
   * phase-2 set.
   */
  onCommitted(before: number): void {
    const ctx = this.#ctx;
    const c = ctx.log.committed;
    this.#inflight.deleteRange(before + 1, c);
    this.#members.changer.onCommitted();
    this.#members.changer.finishJoint();
    this.#members.refresh();
    if (!ctx.config.thrifty) {
      return;
    }
    const targets = new Set(this.#acceptTargets());
    const entries = ctx.log.chosenEntries(before + 1, c, ctx.config.batchBytesMax);
    for (const peer of this.#members.peerIds()) {
      if (!targets.has(peer)) {
        for (const chunk of entries) {
          ctx.send({
            type: 'chosen',
            from: ctx.id,
            to: peer,
            entries: chunk,
            committed: c as Slot,
          });
        }
      }
    }
  }

  /**
   * Whether learning that `value` is chosen at `slot` shows this leader stale: another ballot
   * chose a value this leader did not propose. It must never announce a commit covering a slot
   * whose ballot-B proposal was not the chosen value (followers take "accepted in B, committed
   * by B's leader" as chosen), so the replica steps down.
   */
  contradictedBy(slot: number, value: SlotValue): boolean {
    if (slot >= this.#nextSlot) {
      return true;
    }
    const existing = this.#ctx.log.entry(slot);
    return (
      existing !== undefined &&
      ballotEquals(existing.ballot, this.ballot) &&
      !slotValuesEqual(existing.value, value)
    );
  }

  /**
   * Whether a snapshot through `index` decides slots this leader proposed without telling the
   * values: it cannot vouch that its ballot's proposals were chosen there, so it steps down.
   */
  coveredBySnapshot(index: number): boolean {
    return index >= this.#nextSlot || this.#inflight.someAtOrBelow(index);
  }

  // ---------------------------------------------------------------- time

  /** One tick of leading: transfer timeout, check-quorum, heartbeats, re-sends, fetches. */
  tick(): LeaderTickOutcome {
    const ctx = this.#ctx;
    this.#heartbeatElapsed++;
    this.#checkQuorumElapsed++;
    if (this.#lease?.transferTimedOut === true) {
      // The transfer did not happen within an election timeout: step down, so that a new
      // ballot (possibly this node's again) can acquire a lease; this one ended its lease.
      return 'step-down';
    }
    if (this.#checkQuorumElapsed >= ctx.config.electionTimeoutTicks) {
      this.#checkQuorumElapsed = 0;
      const heard = this.#inflight.takeHeardFrom();
      heard.add(ctx.id);
      if (!this.#members.quorums().every((q) => q.isPhase2Quorum(heard))) {
        // Not heard from a phase-2 quorum (of each configuration in force) for an election
        // timeout: step down.
        return 'step-down';
      }
    }
    if (this.#members.removedSelf) {
      // This leader's own removal is committed: hand over to the most caught-up voter, then
      // step down (a transfer it cannot complete as a non-voter).
      const successor = this.#members.successor();
      if (successor !== undefined) {
        this.transfer(successor);
      }
      return 'step-down';
    }
    this.#members.changer.tick();
    this.#autoSubset.tick();
    const preferred = this.#members.preferredTarget(this.#lease?.transferring === true);
    if (preferred !== undefined) {
      this.transfer(preferred);
    }
    if (this.#heartbeatElapsed >= ctx.config.heartbeatIntervalTicks) {
      this.#heartbeatElapsed = 0;
      if (!this.#reads.onHeartbeatDue()) {
        this.#broadcastHeartbeat();
      }
      this.#resendAccepts();
      this.#fetchMissing();
    }
    return 'lead-on';
  }

  /** Re-sends Accept for slots in flight for a heartbeat interval to every voter not acked. */
  #resendAccepts(): void {
    const ctx = this.#ctx;
    const perPeer = new Map<number, AcceptedEntry[]>();
    for (const [slot, inf] of this.#inflight.entries()) {
      if (ctx.ticks - inf.sentTick < ctx.config.heartbeatIntervalTicks) {
        continue;
      }
      const e = ctx.log.entry(slot);
      if (e === undefined || e.chosen) {
        continue;
      }
      inf.sentTick = ctx.ticks;
      const state = ctx.log.configFor(slot);
      for (const peer of state === undefined ? [] : stateVoters(state)) {
        if (peer === ctx.id || inf.acks.has(peer)) {
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
    const lease = perPeer.size > 0 ? this.#leaseFields() : {};
    for (const [peer, list] of perPeer) {
      list.sort((a, b) => a.slot - b.slot);
      for (const entries of chunkEntries(list, ctx.config.batchBytesMax)) {
        ctx.send({
          type: 'accept',
          from: ctx.id,
          to: peer as NodeId,
          ballot: this.ballot,
          entries,
          committed: ctx.log.committed as Slot,
          ...lease,
        });
      }
    }
  }

  /** A new leader that lacks chosen slots below what promisers committed fetches them. */
  #fetchMissing(): void {
    if (this.#fetchUpTo <= this.#ctx.log.committed || this.#fetchFrom === undefined) {
      return;
    }
    this.#learner.fetch(this.#fetchFrom, this.#fetchUpTo);
  }

  // ---------------------------------------------------------------- sending

  /**
   * Peers that receive Accept first: all peers, or in thrifty mode the others of a minimal
   * phase-2 quorum that includes the leader, preferring the peers that acknowledged most
   * recently (the fastest responders). Re-sends on heartbeat go to every voter that has not
   * acknowledged, so a slow or dead member of the set costs one heartbeat interval.
   */
  #acceptTargets(): NodeId[] {
    const ctx = this.#ctx;
    if (!ctx.config.thrifty) {
      return this.#members.peerIds();
    }
    const latest = this.latestConfig;
    const quorum = ctx.quorumOf(latest);
    const others = quorum.voters.filter((v) => v !== ctx.id) as NodeId[];
    others.sort((a, b) => {
      const ta = this.#inflight.lastAckTick(a);
      const tb = this.#inflight.lastAckTick(b);
      return ta !== tb ? tb - ta : a - b;
    });
    const preferred = isVoterIn(latest, ctx.id) ? [ctx.id, ...others] : others;
    const picked = pickPhase2Quorum(quorum, preferred) ?? preferred;
    return picked.filter((v) => v !== ctx.id) as NodeId[];
  }

  #broadcastAccept(proposals: readonly AcceptedEntry[]): void {
    if (proposals.length === 0) {
      return;
    }
    const ctx = this.#ctx;
    const chunks = chunkEntries(proposals, ctx.config.batchBytesMax);
    const lease = this.#leaseFields();
    for (const peer of this.#acceptTargets()) {
      for (const entries of chunks) {
        ctx.send({
          type: 'accept',
          from: ctx.id,
          to: peer,
          ballot: this.ballot,
          entries,
          committed: ctx.log.committed as Slot,
          ...lease,
        });
      }
    }
  }

  /**
   * Heartbeat to every peer; `readRound` when a quorum read waits for confirmation. With
   * leases each broadcast is one lease round (or a release during a transfer).
   */
  #broadcastHeartbeat(readRound?: number): void {
    const ctx = this.#ctx;
    const lease = this.#leaseFields();
    for (const peer of this.#members.peerIds()) {
      ctx.send({
        type: 'heartbeat',
        from: ctx.id,
        to: peer,
        ballot: this.ballot,
        committed: ctx.log.committed as Slot,
        ...lease,
        ...(readRound === undefined ? {} : { readRound }),
      });
    }
  }

  // ---------------------------------------------------------------- lease

  /** Lease fields for a batch of grant-soliciting messages created now (none without leases). */
  #leaseFields(): LeaseFields {
    return this.#lease?.fields() ?? {};
  }

  /** An entry of this ballot is committed, and so is everything chosen before the election. */
  get ownBallotCommitted(): boolean {
    return this.#ctx.log.committed >= this.#readBarrierSlot;
  }

  /** Lease state now: held, until when, and whether a lease read would be served. */
  leaseState(nowMs: number): LeaseView {
    return (
      this.#lease?.view(nowMs, this.ownBallotCommitted) ?? {
        held: false,
        validUntilMs: undefined,
        servesReads: false,
      }
    );
  }

  // ---------------------------------------------------------------- reads

  /** A linearizable read (see `Replica.read`, `leader-reads.ts`). */
  read(request: { readonly id: number; readonly mode: ReadMode }): ReadResult {
    return this.#reads.read(request);
  }

  /** Leaving the leader role: every pending quorum read fails. */
  failReads(leaderHint: NodeId | undefined): void {
    this.#reads.failAll(leaderHint);
  }

  // ---------------------------------------------------------------- transfer

  /**
   * Leadership transfer (for example to a preferred leader): asks `to` to campaign now with a
   * heartbeat carrying `campaignNow`. The replica checked that `to` is another voter. With
   * leases (design brief, "Leader lease": transfer ends the old leader's lease reads first):
   * ends its lease reads at once (`LeaderLease.beginTransfer`), and only then tells every
   * acceptor (itself included) to release its grant, so the target can be promised; from now on
   * its heartbeats and Accepts carry `leaseRelease` and solicit no grant. If it still leads an
   * election timeout later, the transfer failed and it steps down (`tick`).
   */
  transfer(to: NodeId): void {
    const ctx = this.#ctx;
    if (this.#lease?.beginTransfer() === true) {
      for (const peer of this.#members.peerIds()) {
        if (peer !== to) {
          ctx.send({
            type: 'heartbeat',
            from: ctx.id,
            to: peer,
            ballot: this.ballot,
            committed: ctx.log.committed as Slot,
            leaseRelease: true,
          });
        }
      }
    }
    ctx.send({
      type: 'heartbeat',
      from: ctx.id,
      to,
      ballot: this.ballot,
      committed: ctx.log.committed as Slot,
      campaignNow: true,
      ...(this.#lease?.transferring === true ? { leaseRelease: true } : {}),
    });
  }
}
