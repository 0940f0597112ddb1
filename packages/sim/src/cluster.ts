/**
 * A simulated cluster: nodes (replica + host loop + disk + state machine), the network and
 * the invariant checker, advanced one tick at a time. The host loop follows the core's
 * contract per Ready: send `messages`, persist (simulated fsync latency), then send
 * `messagesAfterPersist`, apply `committed`, `advance()`. A crash loses the in-flight write
 * and with it the after-persist messages of that Ready. Beside the state machine, a node may
 * keep a watch hub (fed every applied slot, reset when it installs a snapshot) and run a
 * key-lease lessor while it leads (`lessor-host.ts`); both are volatile, rebuilt on restart.
 */
import { WatchHub, type KeepaliveOutcome, type KvEvent, type KvReadOp, type KvResult, type LeaseId, type LeaseRevokeOp, type LessorConfig, type WatchHubConfig } from '@flexpaxos/kv';
import { LessorHost, type LessorSabotage } from './lessor-host.js';
import type { ClockModel } from '@flexpaxos/lease';
import type {
  ReplicaFactory,
  SimReadMode,
  SimMessage,
  SimPersistRequest,
  SimReady,
  SimRecoveredState,
  SimReplica,
  SimReplicaOptions,
  SimSlotValue,
} from './core-types.js';
import { InvariantChecker } from './checker.js';
import { SimClock } from './clock.js';
import { encodeCommand, describeValue } from './commands.js';
import { SimDisk } from './disk.js';
import { SimNetwork, type NetworkConfig } from './network.js';
import type { Prng} from './prng.js';
import { type Ratio, NEVER } from './prng.js';
import { SimStateMachine, type CommandOutcome, type TxnSabotage } from './state-machine.js';
import { formatPersist, formatMessage } from './format.js';

/**
 * Deliberate breakage, to prove the checkers can fail. Never set in a real run.
 * - `forgetPromiseOnRestart`: a restarted acceptor loses its durable hard state;
 * - `sendBeforePersist`: the host sends after-persist replies before the write is durable;
 * - `fabricateApplied`: the host applies a command nobody proposed;
 * - `noDedupe`: the state machine lets a duplicated command take effect twice;
 * - `loseAppliedOnRestart`: a restarted node's state machine comes back empty, yet reports
 *   everything applied;
 * - `keepDownInLiveness`: keep this many nodes down in the liveness phase, even more than
 *   N - max(L, P), so no quorum can form;
 * - `corruptStaleReads`: the host answers stale reads with a value nobody wrote;
 * - `followersServeReads`: a follower answers lease and quorum reads from its own applied
 *   state instead of sending the client to the leader (a stale read in a linearizable mode);
 * - `txn`: every state machine applies transactions non-atomically (see `TxnSabotage`);
 * - `dropWatchEvent`: a node's watch hub loses the first event of every fourth non-empty
 *   revision the node publishes;
 * - `shortWatchHistory`: watch hubs keep a history of 2 events, while the compaction check
 *   holds them to the configured bound (a hub that answers `compacted` too early);
 * - `lessor`: the key-lease lessor expires leases early or ignores keep-alives.
 */
export interface Sabotage {
  readonly forgetPromiseOnRestart?: boolean;
  readonly sendBeforePersist?: boolean;
  readonly fabricateApplied?: boolean;
  readonly noDedupe?: boolean;
  readonly loseAppliedOnRestart?: boolean;
  readonly keepDownInLiveness?: number;
  readonly corruptStaleReads?: boolean;
  readonly followersServeReads?: boolean;
  readonly txn?: TxnSabotage;
  readonly dropWatchEvent?: boolean;
  readonly shortWatchHistory?: boolean;
  /** Every node's lessor host is broken (see `LessorSabotage`). */
  readonly lessor?: LessorSabotage;
}

/** Leader lease settings of a cluster (the clock model is `ClusterConfig.clock`). */
export interface ClusterLeaseConfig {
  readonly leaseDurationMs: number;
  readonly clockDriftBoundMs: number;
  /** Fault injection (`--unsafe-lease`). */
  readonly unsafeLease: boolean;
}

/** Settings of one cluster. */
export interface ClusterConfig {
  readonly nodes: number;
  readonly replication: number;
  readonly election: number;
  readonly unsafeQuorum: boolean;
  readonly electionTimeoutTicks: number;
  readonly electionTimeoutJitterTicks: number;
  readonly heartbeatIntervalTicks: number;
  readonly thrifty: boolean;
  /** Batching and pipelining limits handed to the core. */
  readonly batchCommandsMax: number;
  readonly batchBytesMax: number;
  readonly inflightSlotsMax: number;
  readonly network: NetworkConfig;
  readonly minDiskLatencyTicks: number;
  readonly maxDiskLatencyTicks: number;
  /** Probability per tick that a node's timer skips the tick (its ticks run slow). */
  readonly clockSkip: Ratio;
  /** True simulated time per tick, in ms (node clocks are derived from it). */
  readonly tickMs: number;
  /** How far node clocks depart from true time (lease clocks). */
  readonly clock: ClockModel;
  /** Leader leases; undefined = no leases (lease reads are refused). */
  readonly lease: ClusterLeaseConfig | undefined;
  /** Take a snapshot and compact every this many applied slots (0 = never). */
  readonly compactEverySlots: number;
  /**
   * Extra nodes started outside the bootstrap configuration (ids N+1 .. N+spares), waiting to
   * be added by a membership change. 0 without reconfiguration.
   */
  readonly spares: number;
  /** Fault injection (`--unsafe-reconfig`): configuration changes without the joint step. */
  readonly unsafeReconfig: boolean;
  /** Automatic subsetting in the core (its default: on). */
  readonly autoSubset: boolean;
  /** Pre-vote in the core (its default: on). */
  readonly preVote: boolean;
  /**
   * Every node keeps a watch hub with these bounds, fed from what it applies (reset when it
   * installs a snapshot, empty after a restart); undefined: no hubs.
   */
  readonly watch: Partial<WatchHubConfig> | undefined;
  /**
   * Every node runs a key-lease lessor with this configuration while it leads (`LessorHost`);
   * undefined: no lessors (leased keys never expire).
   */
  readonly lessor: Partial<LessorConfig> | undefined;
  /** Trace tests: messages wait for the script and disks complete at once unless held. */
  readonly manual: boolean;
  readonly sabotage: Sabotage;
}

/** One simulated node. */
export class SimNode {
  readonly id: number;
  replica: SimReplica | undefined;
  readonly disk = new SimDisk();
  readonly sm = new SimStateMachine();
  paused = false;
  /** The Ready whose write is in flight. */
  waiting: SimReady | undefined;
  /** Messages that arrived while paused. */
  inbox: SimMessage[] = [];
  readonly random: Prng;
  lastCompactAt = 0;
  crashes = 0;
  /** The node's own monotonic clock (lease clock). */
  readonly clock: SimClock;
  /** Lease and quorum reads accepted here and not answered yet: read id -> read. */
  reads = new Map<number, PendingRead>();
  /** The node's watch hub (volatile: replaced on restart), when the cluster keeps hubs. */
  hub: WatchHub | undefined;
  /** The hub holds what was published after this revision (its creation or last reset). */
  hubBase = 0;
  /** Events published to the hub since `hubBase`, per non-empty revision (compaction check). */
  hubPublished: { readonly revision: number; readonly events: number }[] = [];
  /** Non-empty revisions published (the `dropWatchEvent` sabotage counts them). */
  private hubBatches = 0;
  /** The node's key-lease lessor (volatile: replaced on restart), when the cluster runs them. */
  lessor: LessorHost | undefined;
  constructor(id: number, random: Prng, clock: SimClock) {
    this.id = id;
    this.random = random;
    this.clock = clock;
  }
  /** Whether the node runs (not crashed). */
  get up(): boolean {
    return this.replica !== undefined;
  }

  /** A fresh hub whose history starts after the applied index (start, restart, snapshot). */
  resetHub(config: Partial<WatchHubConfig> | undefined): void {
    this.hub = config === undefined ? undefined : new WatchHub(this.sm.applied, config);
    this.hubBase = this.sm.applied;
    this.hubPublished = [];
  }

  /** Publishes an applied slot's events to the hub (`drop`: the sabotage). */
  publish(slot: number, events: readonly KvEvent[], drop: boolean): void {
    if (this.hub === undefined) return;
    let out = events;
    if (events.length > 0 && drop && ++this.hubBatches % 4 === 0) out = events.slice(1);
    this.hub.publish(slot, out);
    if (out.length > 0) this.hubPublished.push({ revision: slot, events: out.length });
  }

  /** Events published to the hub at revisions `revision` and later. */
  hubEventsSince(revision: number): number {
    let n = 0;
    for (let i = this.hubPublished.length - 1; i >= 0; i--) {
      const p = this.hubPublished[i] as { revision: number; events: number };
      if (p.revision < revision) break;
      n += p.events;
    }
    return n;
  }
}

/** A ballot as messages carry it. */
interface SimBallotLike {
  readonly round: number;
  readonly nodeId: number;
}

/** A read waiting at a node: for the core's confirmation (`index` undefined), then for apply. */
export interface PendingRead {
  readonly op: KvReadOp;
  readonly mode: SimReadMode;
  index: number | undefined;
}

/** Called when a node applies a command: (node, command id, KV reply bytes). */
export type ApplyListener = (node: number, id: string, reply: Uint8Array) => void;

/** Called when a node answers a read (any mode): (read id, node, result). */
export type ReadListener = (readId: number, node: number, result: KvResult) => void;

/** Called when a node gives up on a quorum read (it stepped down first). */
export type ReadFailedListener = (readId: number, node: number, leaderHint: number | undefined) => void;

/** What a node said to a read request. */
export type ReadOutcome =
  /** Answered at once (stale, or lease with the index applied). */
  | { readonly kind: 'answered' }
  /** Accepted: the answer comes through `onReadAnswer` or `onReadFailed`. */
  | { readonly kind: 'waiting' }
  | { readonly kind: 'not-leader'; readonly leaderHint: number | undefined }
  | { readonly kind: 'unavailable'; readonly reason: string }
  /** Node down or paused (the request times out). */
  | { readonly kind: 'down' };

/** What a node said to a keep-alive. */
export type KeepaliveAnswer =
  /** The lease runs its TTL again from now. */
  | { readonly kind: 'renewed'; readonly lease: LeaseId }
  /** Unknown, revoked or expired. */
  | { readonly kind: 'not-found' }
  | { readonly kind: 'not-leader'; readonly leaderHint: number | undefined }
  /** The node leads but cannot answer now (no leader lease held, lessor not started). */
  | { readonly kind: 'unavailable' }
  /** Node down or paused. */
  | { readonly kind: 'down' };

/** A simulated cluster. */
export class SimCluster {
  readonly config: ClusterConfig;
  readonly nodes: SimNode[] = [];
  readonly network: SimNetwork;
  readonly checker = new InvariantChecker();
  /** Every node id (the bootstrap voters and the spares). */
  readonly members: number[];
  /** The voters of the bootstrap configuration (1..N). */
  readonly bootstrapVoters: number[];
  /** Per node, the promises it received: ballot -> promisers and their highest committed. */
  private readonly promisesSeen = new Map<number, Map<string, { from: Set<number>; committed: number }>>();
  /** Per node, the ballot of its last recorded election win (invariant 9). */
  private readonly lastWin = new Map<number, string>();
  now = 0;
  private readonly factory: ReplicaFactory;
  private readonly diskRandom: Prng;
  private readonly clockRandom: Prng;
  /** Receives trace lines (trace tests, debugging), or undefined. */
  trace: ((line: string) => void) | undefined;
  onApplyCommand: ApplyListener | undefined;
  onReadAnswer: ReadListener | undefined;
  onReadFailed: ReadFailedListener | undefined;
  /** Called when a node's lessor host proposes an expiry (the history records it). */
  onExpiryProposed: ((node: number, bytes: Uint8Array, op: LeaseRevokeOp) => void) | undefined;
  /** Nodes whose lease was held at their last check (invariant 6). */
  private readonly leaseHolders = new Set<number>();
  /** Pairs of (node, ballot) already reported for invariant 6 (one report per overlap). */
  private readonly leaseOverlaps = new Set<string>();
  /** Lease and quorum reads issued (statistics). */
  readsServed = { stale: 0, lease: 0, quorum: 0, leaseFallback: 0 };
  private fabricated = false;
  /** Stats. */
  stepErrors = 0;

  constructor(config: ClusterConfig, factory: ReplicaFactory, seed: Prng) {
    this.config = config;
    this.factory = factory;
    this.network = new SimNetwork(config.network, seed.child('network'), config.manual);
    this.checker.tickMs = config.tickMs;
    this.diskRandom = seed.child('disk');
    this.clockRandom = seed.child('clock');
    this.members = [];
    this.bootstrapVoters = [];
    for (let i = 1; i <= config.nodes; i++) this.bootstrapVoters.push(i);
    for (let i = 1; i <= config.nodes + config.spares; i++) this.members.push(i);
    for (const id of this.members) {
      const clock = new SimClock(config.clock, config.tickMs, seed.child(`clock-${id}`));
      const node = new SimNode(id, seed.child(`node-${id}`), clock);
      if (config.sabotage.noDedupe === true) node.sm.dedupe = false;
      node.sm.txnSabotage = config.sabotage.txn;
      this.nodes.push(node);
      this.start(node, undefined);
    }
  }

  /** The node with id `id`. */
  node(id: number): SimNode {
    const n = this.nodes[id - 1];
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  private log(line: string): void {
    if (this.trace !== undefined) this.trace(line);
  }

  private options(node: SimNode): SimReplicaOptions {
    const c = this.config;
    return {
      id: node.id,
      members: this.bootstrapVoters,
      joiner: node.id > c.nodes,
      unsafeReconfig: c.unsafeReconfig,
      autoSubset: c.autoSubset,
      preVote: c.preVote,
      election: c.election,
      replication: c.replication,
      unsafeQuorum: c.unsafeQuorum,
      electionTimeoutTicks: c.electionTimeoutTicks,
      electionTimeoutJitterTicks: c.electionTimeoutJitterTicks,
      heartbeatIntervalTicks: c.heartbeatIntervalTicks,
      thrifty: c.thrifty,
      batchCommandsMax: c.batchCommandsMax,
      batchBytesMax: c.batchBytesMax,
      inflightSlotsMax: c.inflightSlotsMax,
      random: node.random,
      lease:
        c.lease === undefined
          ? undefined
          : {
              clock: node.clock,
              leaseDurationMs: c.lease.leaseDurationMs,
              clockDriftBoundMs: c.lease.clockDriftBoundMs,
              electionTimeoutMs: c.electionTimeoutTicks * c.tickMs,
              unsafeLease: c.lease.unsafeLease,
            },
    };
  }

  private start(node: SimNode, recovered: SimRecoveredState | undefined): void {
    if (recovered !== undefined) node.clock.restart(this.now);
    const watch = this.config.watch;
    node.resetHub(watch !== undefined && this.config.sabotage.shortWatchHistory === true ? { ...watch, historyEventsMax: 2 } : watch);
    node.lessor = this.config.lessor === undefined ? undefined : new LessorHost(this.config.lessor, () => node.clock.nowMs(), this.config.sabotage.lessor);
    node.replica = this.factory(this.options(node), recovered);
    this.pump(node);
  }

  /** Crashes `id`: in-flight writes, the waiting Ready and buffered messages are lost. */
  crash(id: number): void {
    const node = this.node(id);
    if (!node.up) return;
    node.replica = undefined;
    node.waiting = undefined;
    node.inbox = [];
    node.paused = false;
    node.reads = new Map();
    node.hub = undefined;
    node.lessor = undefined;
    this.leaseHolders.delete(id);
    node.disk.crash();
    node.crashes++;
    this.log(`${id} crash`);
  }

  /** Restarts a crashed node from its durable state. */
  restart(id: number): void {
    const node = this.node(id);
    if (node.up) return;
    const d = node.disk.durable;
    if (this.config.sabotage.forgetPromiseOnRestart === true) d.hardState = undefined;
    if (this.config.sabotage.loseAppliedOnRestart === true) {
      const { applied, chain } = node.sm;
      node.sm.restore(new SimStateMachine().serialize());
      if (applied > 0) node.sm.kv.applyNoop(applied);
      node.sm.applied = applied;
      node.sm.chain = chain;
    }
    this.checker.onRecover(id, d.hardState);
    const snapIndex = d.snapshot?.meta.index ?? 0;
    const entries = [...d.entries.values()].filter((e) => e.slot > snapIndex).sort((a, b) => a.slot - b.slot);
    const hard = d.hardState ?? { promised: { round: 0, nodeId: 0 }, committed: 0 };
    const recovered: SimRecoveredState = {
      // The state machine is durable on apply, while a committed index that only moved was
      // written lazily and may be lost (`SimReady.mustSync`): every applied slot was committed.
      hardState: { ...hard, committed: Math.max(hard.committed, node.sm.applied) },
      snapshot: d.snapshot === undefined ? undefined : { index: snapIndex },
      entries,
      applied: node.sm.applied,
      baseConfig: d.baseConfig,
    };
    this.log(`${id} restart promised=${recovered.hardState.promised.round}.${recovered.hardState.promised.nodeId} entries=${entries.length} applied=${recovered.applied}`);
    this.start(node, recovered);
    // Hand the replica its snapshot back so it can serve laggards (ignored by cores that keep it).
    if (d.snapshot !== undefined && node.replica !== undefined) {
      node.replica.compact(d.snapshot);
      this.pump(node);
    }
  }

  /** Pauses a node (no ticks, messages buffered, disk completions deferred). */
  pause(id: number): void {
    const node = this.node(id);
    if (node.up) node.paused = true;
  }

  /** Resumes a paused node and hands it what arrived meanwhile. */
  resume(id: number): void {
    const node = this.node(id);
    if (!node.paused) return;
    node.paused = false;
    const inbox = node.inbox;
    node.inbox = [];
    for (const m of inbox) this.deliver(m);
    this.completeDisk(node, false);
    this.pump(node);
  }

  /** Delivers one message to its destination (dropped when the node is down). */
  deliver(m: SimMessage): void {
    const node = this.nodes[m.to - 1];
    if (node?.replica === undefined) return;
    if (node.paused) {
      node.inbox.push(m);
      return;
    }
    if (m.type === 'promise') this.notePromise(m);
    node.replica.step(m);
    this.pump(node);
  }

  /** Remembers a promise reaching its candidate (invariant 9). */
  private notePromise(m: SimMessage): void {
    const p = m as SimMessage & { ballot?: SimBallotLike; committed?: number };
    if (p.ballot === undefined) return;
    let byBallot = this.promisesSeen.get(m.to);
    if (byBallot === undefined) {
      byBallot = new Map();
      this.promisesSeen.set(m.to, byBallot);
    }
    const key = `${p.ballot.round}.${p.ballot.nodeId}`;
    let seen = byBallot.get(key);
    if (seen === undefined) {
      seen = { from: new Set(), committed: 0 };
      byBallot.set(key, seen);
    }
    seen.from.add(m.from);
    seen.committed = Math.max(seen.committed, p.committed ?? 0);
  }

  /** Records an election the node just won (invariant 9): its promisers and what they knew. */
  private checkElection(node: SimNode): void {
    const replica = node.replica;
    if (replica === undefined) return;
    // The cheap role getter where the replica has one; the full status only on a new win.
    const role = replica.role ?? (replica.status() as { role?: string }).role;
    if (role !== 'leader') {
      this.lastWin.delete(node.id);
      return;
    }
    if (this.lastWin.has(node.id)) return;
    const st = replica.status() as { ballot?: SimBallotLike; committed?: number };
    if (st.ballot === undefined) return;
    const key = `${st.ballot.round}.${st.ballot.nodeId}`;
    this.lastWin.set(node.id, key);
    const seen = this.promisesSeen.get(node.id)?.get(key);
    const promisers = new Set(seen?.from ?? []);
    promisers.add(node.id);
    const knownChosen = Math.max(seen?.committed ?? 0, st.committed ?? 0);
    this.promisesSeen.get(node.id)?.clear();
    this.checker.elections.push({
      tick: this.now,
      leader: node.id,
      ballot: st.ballot,
      promisers,
      knownChosen,
    });
  }

  /** Ticks a node's replica once (unless down or paused). */
  tickNode(id: number): void {
    const node = this.node(id);
    if (node.replica === undefined || node.paused) return;
    node.replica.tick();
    this.pump(node);
  }

  /** Asks node `id` to campaign. */
  campaign(id: number): void {
    const node = this.node(id);
    if (node.replica === undefined) return;
    node.replica.campaign();
    this.pump(node);
  }

  /** Proposes `bytes` at node `id`; undefined when the node is down or paused. */
  propose(id: number, bytes: Uint8Array): ReturnType<SimReplica['propose']> | undefined {
    const node = this.node(id);
    if (node.replica === undefined || node.paused) return undefined;
    this.checker.onPropose(bytes);
    const r = node.replica.propose(bytes);
    this.pump(node);
    return r;
  }

  /** Handles every Ready the node has, as far as in-flight writes allow. */
  pump(node: SimNode): void {
    this.checkLease(node);
    while (node.replica !== undefined && !node.paused && node.waiting === undefined && node.replica.hasReady()) {
      const r = node.replica.ready();
      for (const m of r.messages) this.send(node, m);
      this.takeReads(node, r);
      if (r.persist === undefined) {
        this.finish(node, r);
        continue;
      }
      if (!r.mustSync) {
        // Lazy, like the server: written in order behind earlier writes, durable with the next
        // synced one, lost by a crash before it; nothing waits for it.
        const latency = this.config.manual ? 0 : this.diskRandom.between(this.config.minDiskLatencyTicks, this.config.maxDiskLatencyTicks);
        node.disk.write(r.persist, this.now, latency, () => undefined);
        this.finish(node, r);
        if (this.config.manual) this.completeDisk(node, false);
        continue;
      }
      node.waiting = r;
      if (this.config.sabotage.sendBeforePersist === true) for (const m of r.messagesAfterPersist) this.send(node, m);
      const latency = this.config.manual ? 0 : this.diskRandom.between(this.config.minDiskLatencyTicks, this.config.maxDiskLatencyTicks);
      const replica = node.replica;
      node.disk.write(r.persist, this.now, latency, () => {
        if (node.replica === replica) this.finish(node, r);
      });
      if (this.config.manual) this.completeDisk(node, false);
    }
    this.checkElection(node);
  }

  private onWrite(node: SimNode, p: SimPersistRequest): void {
    if (p.hardState !== undefined) this.checker.onDurableHardState(node.id, p.hardState);
    if (p.entries.length > 0) this.checker.onDurableEntries(node.id, p.entries);
    if (p.snapshot !== undefined && p.snapshot.meta.index > node.sm.applied) {
      node.sm.restore(p.snapshot.data);
      // The history no longer connects to the state: every watcher is cancelled ('reset').
      node.hub?.reset(node.sm.applied);
      node.hubBase = node.sm.applied;
      node.hubPublished = [];
      node.lessor?.afterSnapshot(node.sm.kv);
      this.checker.onChain(node.id, node.sm.applied, node.sm.chain);
      this.checker.onKvState(node.id, node.sm.applied, node.sm.kv.snapshot());
      this.answerReads(node);
    }
    if (this.trace !== undefined) this.log(`${node.id} synced ${formatPersist(p)}`);
  }

  /** Completes a node's due disk writes (all of them with `force`). */
  completeDisk(node: SimNode, force: boolean): void {
    if (node.paused || node.replica === undefined) return;
    node.disk.complete(this.now, force, (p) => this.onWrite(node, p));
  }

  private finish(node: SimNode, r: SimReady): void {
    node.waiting = undefined;
    if (this.config.sabotage.sendBeforePersist !== true || r.persist === undefined) {
      for (const m of r.messagesAfterPersist) this.send(node, m);
    }
    for (const e of r.committed) {
      if (e.slot <= node.sm.applied) continue; // covered by an installed snapshot
      let value: SimSlotValue = e.value;
      if (this.config.sabotage.fabricateApplied === true && !this.fabricated && value.kind === 'commands') {
        this.fabricated = true;
        value = { kind: 'commands', commands: [encodeCommand(999, 1)] };
      }
      const outcomes: CommandOutcome[] = node.sm.apply(e.slot, value);
      this.checker.onApply(node.id, e.slot, value, outcomes, node.sm.lastEvents);
      node.publish(e.slot, node.sm.lastEvents, this.config.sabotage.dropWatchEvent === true);
      node.lessor?.observe(node.sm.lastLeaseChanges, node.sm.kv);
      this.checker.onChain(node.id, node.sm.applied, node.sm.chain);
      this.checker.onKvState(node.id, node.sm.applied, node.sm.kv.snapshot());
      this.log(`${node.id} apply ${e.slot} ${describeValue(value)}`);
      if (this.onApplyCommand !== undefined) {
        for (const o of outcomes) if (o.id !== undefined && o.outcome !== 'not-a-command') this.onApplyCommand(node.id, o.id, o.reply);
      }
    }
    this.answerReads(node);
    node.replica?.advance(r);
    const every = this.config.compactEverySlots;
    if (every > 0 && node.replica !== undefined && node.sm.applied - node.lastCompactAt >= every) {
      node.lastCompactAt = node.sm.applied;
      const snapshot = { meta: { index: node.sm.applied }, data: node.sm.serialize() };
      // The host stores its own snapshot (the core only truncates the log through persist),
      // with the configuration in force above it, atomically.
      node.disk.durable.snapshot = snapshot;
      const config = node.replica.configAt?.(snapshot.meta.index);
      if (config !== undefined) node.disk.durable.baseConfig = config;
      node.replica.compact(snapshot);
    }
    // The caller's loop (or the disk completion path) pumps again.
  }

  private send(node: SimNode, m: SimMessage): void {
    const d = node.disk.durable;
    this.checker.onSend(node.id, m, d.hardState?.promised, (slot) => d.entries.get(slot), d.snapshot?.meta.index ?? 0);
    if (this.trace !== undefined) this.log(`${node.id} send ${formatMessage(m)}`);
    this.network.send(m, this.now);
  }

  /** Takes the confirmed and failed quorum reads out of a Ready. */
  private takeReads(node: SimNode, r: SimReady): void {
    for (const done of r.reads ?? []) {
      const pending = node.reads.get(done.id);
      if (pending !== undefined) pending.index = done.index;
    }
    for (const failed of r.failedReads ?? []) {
      if (!node.reads.delete(failed.id)) continue;
      this.log(`${node.id} read ${failed.id} failed`);
      if (this.onReadFailed !== undefined) this.onReadFailed(failed.id, node.id, failed.leaderHint);
    }
    this.answerReads(node);
  }

  /** Answers the node's confirmed reads whose index it has applied. */
  private answerReads(node: SimNode): void {
    if (node.reads.size === 0) return;
    for (const [id, read] of node.reads) {
      if (read.index === undefined) continue;
      if (read.index > node.sm.applied) continue;
      node.reads.delete(id);
      this.answer(node, id, read.op, read.mode);
    }
  }

  private answer(node: SimNode, readId: number, op: KvReadOp, mode: SimReadMode | 'stale'): void {
    let result = node.sm.kv.read(op);
    if (mode === 'stale' && this.config.sabotage.corruptStaleReads === true && result.type === 'get' && result.kv !== undefined) {
      result = { ...result, kv: { ...result.kv, value: new TextEncoder().encode('never-written') } };
    }
    this.log(`${node.id} answer ${mode} read ${readId} at applied ${node.sm.applied}`);
    if (mode === 'stale') this.checker.onStaleRead(node.id, node.sm.applied, result);
    if (this.onReadAnswer !== undefined) this.onReadAnswer(readId, node.id, result);
  }

  /**
   * Node `id` receives read `readId` of `op` in `mode`: `stale` is answered from the node's
   * applied state at once; `lease` and `quorum` go through the core's `read` (a lease read the
   * lease cannot serve falls back to a quorum read, as the server does).
   */
  read(id: number, readId: number, op: KvReadOp, mode: SimReadMode | 'stale'): ReadOutcome {
    const node = this.node(id);
    const replica = node.replica;
    if (replica === undefined || node.paused) return { kind: 'down' };
    if (mode === 'stale') {
      this.readsServed.stale++;
      this.answer(node, readId, op, 'stale');
      return { kind: 'answered' };
    }
    if (replica.read === undefined) return { kind: 'unavailable', reason: 'no read support' };
    let r = replica.read({ id: readId, mode });
    let served: SimReadMode = mode;
    if (mode === 'lease' && r.kind === 'unavailable') {
      this.readsServed.leaseFallback++;
      served = 'quorum';
      r = replica.read({ id: readId, mode: 'quorum' });
    }
    let outcome: ReadOutcome;
    switch (r.kind) {
      case 'ready':
      case 'pending':
        this.readsServed[served]++;
        node.reads.set(readId, { op, mode: served, index: r.kind === 'ready' ? r.index : undefined });
        this.answerReads(node);
        outcome = node.reads.has(readId) ? { kind: 'waiting' } : { kind: 'answered' };
        break;
      case 'not-leader':
        if (this.config.sabotage.followersServeReads === true) {
          this.answer(node, readId, op, served);
          outcome = { kind: 'answered' };
          break;
        }
        outcome = { kind: 'not-leader', leaderHint: r.leaderHint };
        break;
      case 'unavailable':
        // 'own-ballot-not-committed': the core proposes the missing no-op itself; retry.
        outcome = { kind: 'unavailable', reason: r.reason };
        break;
    }
    this.pump(node);
    return outcome;
  }

  /**
   * Invariant 6 after an event at `node`: when it holds a lease now, no other node may (every
   * node's `held` is read at the same instant of true time; a superseded leader still holding
   * counts). `held` can only become true through an event at that node, so checking the nodes
   * that held at their last check is enough.
   */
  private checkLease(node: SimNode): void {
    if (this.config.lease === undefined || node.replica === undefined) return;
    if (!leaseHeld(node.replica.status())) {
      this.leaseHolders.delete(node.id);
      return;
    }
    this.leaseHolders.add(node.id);
    if (this.leaseHolders.size === 1) return;
    for (const other of [...this.leaseHolders]) {
      if (other === node.id) continue;
      const st = this.node(other).replica?.status();
      if (st === undefined || !leaseHeld(st)) {
        this.leaseHolders.delete(other);
        continue;
      }
      const mine = ballotOf(node.replica.status());
      const key = [`${other}@${ballotOf(st)}`, `${node.id}@${mine}`].sort().join(' ');
      if (this.leaseOverlaps.has(key)) continue;
      this.leaseOverlaps.add(key);
      this.checker.report(6, `nodes ${other} (ballot ${ballotOf(st)}) and ${node.id} (ballot ${mine}) both hold a lease at true time ${this.now * this.config.tickMs} ms`);
    }
  }

  /** Advances simulated time by one tick: deliveries, disk completions, replica ticks. */
  step(): void {
    this.now++;
    this.checker.now = this.now;
    for (const node of this.nodes) node.clock.advanceTo(this.now);
    for (const m of this.network.due(this.now)) this.deliver(m);
    for (const node of this.nodes) {
      if (node.replica === undefined || node.paused) continue;
      if (node.disk.busy) {
        this.completeDisk(node, false);
        this.pump(node);
      }
      if (node.replica === undefined) continue;
      if (this.config.clockSkip.num > 0 && this.clockRandom.chance(this.config.clockSkip)) continue;
      node.replica.tick();
      this.pump(node);
    }
    if (this.config.lessor !== undefined) for (const node of this.nodes) this.tickLessor(node);
  }

  /** The lessor duties of a node at this tick: campaign on a new leadership, propose expiries. */
  private tickLessor(node: SimNode): void {
    const host = node.lessor;
    const replica = node.replica;
    if (host === undefined || replica === undefined || node.paused) return;
    // The ballot of the node's current leadership, as `checkElection` recorded it after every
    // event at the node (no status() per tick).
    const ballot = this.lastWin.get(node.id);
    const leading = ballot !== undefined && (replica.role ?? 'leader') === 'leader';
    const retry = 3 * (this.config.electionTimeoutTicks + this.config.electionTimeoutJitterTicks);
    for (const p of host.tick(this.now, leading, ballot, retry)) {
      if (p.expiry !== undefined) this.onExpiryProposed?.(node.id, p.bytes, p.expiry);
      this.log(`${node.id} lessor proposes ${p.expiry === undefined ? 'its epoch' : `the expiry of lease ${p.expiry.lease}`}`);
      this.propose(node.id, p.bytes);
    }
  }

  /**
   * A keep-alive of `lease` at node `id`: answered by its lessor only while the node holds its
   * leader lease (like a lease read); an acknowledged one is recorded for invariant 11.
   */
  keepalive(id: number, lease: LeaseId): KeepaliveAnswer {
    const node = this.node(id);
    const replica = node.replica;
    if (replica === undefined || node.paused) return { kind: 'down' };
    const role = replica.role;
    const st = role === undefined || role === 'leader' ? (replica.status() as { role?: string; leader?: number }) : undefined;
    if (st?.role !== 'leader') {
      const leader = (st ?? (replica.status() as { leader?: number })).leader;
      return { kind: 'not-leader', leaderHint: leader };
    }
    if (node.lessor === undefined || !leaseHeld(st)) return { kind: 'unavailable' };
    const r: KeepaliveOutcome = node.lessor.keepalive(lease);
    if (r.kind === 'not-leader') return { kind: 'unavailable' };
    this.log(`${id} keepalive of lease ${lease}: ${r.kind}`);
    if (r.kind === 'not-found') return { kind: 'not-found' };
    this.checker.onKeepaliveAck(lease, this.now * this.config.tickMs);
    return { kind: 'renewed', lease };
  }

  /** Whether `id` has applied command `cmd` (its state machine holds it). */
  hasApplied(id: number, cmd: string): boolean {
    return this.node(id).sm.effects.has(cmd);
  }

  /** Ids of up nodes whose replica reports the leader role. */
  leaders(): number[] {
    const out: number[] = [];
    for (const n of this.nodes) {
      const st = n.replica?.status() as { role?: unknown } | undefined;
      if (st?.role === 'leader') out.push(n.id);
    }
    return out;
  }

  /** Whether node `id` is up and its replica reports a held lease now. */
  holdsLease(id: number): boolean {
    const r = this.node(id).replica;
    return r !== undefined && leaseHeld(r.status());
  }

  /** Nodes that are up. */
  liveNodes(): SimNode[] {
    return this.nodes.filter((n) => n.up);
  }
}

function leaseHeld(status: unknown): boolean {
  const lease = (status as { lease?: { held?: unknown } } | undefined)?.lease;
  return lease?.held === true;
}

function ballotOf(status: unknown): string {
  const b = (status as { ballot?: { round?: unknown; nodeId?: unknown } }).ballot;
  return `${String(b?.round)}.${String(b?.nodeId)}`;
}

/** Default cluster settings; tests and the simulation override what they need. */
export function defaultClusterConfig(nodes: number, replication: number, election: number): ClusterConfig {
  return {
    nodes,
    replication,
    election,
    unsafeQuorum: false,
    electionTimeoutTicks: 10,
    electionTimeoutJitterTicks: 10,
    heartbeatIntervalTicks: 2,
    thrifty: false,
    batchCommandsMax: 8,
    batchBytesMax: 512,
    inflightSlotsMax: 4,
    network: { minDelayTicks: 1, maxDelayTicks: 3, loss: NEVER, duplication: NEVER, slow: NEVER, maxSlowDelayTicks: 3 },
    minDiskLatencyTicks: 0,
    maxDiskLatencyTicks: 2,
    clockSkip: NEVER,
    tickMs: 10,
    clock: { leaseDurationMs: 60, rateErrorPpm: 0, stepMsMax: 0, jitterMsMax: 0 },
    lease: undefined,
    compactEverySlots: 0,
    spares: 0,
    unsafeReconfig: false,
    autoSubset: true,
    preVote: true,
    watch: undefined,
    lessor: undefined,
    manual: false,
    sabotage: {},
  };
}
