/**
 * A simulated cluster: nodes (replica + host loop + disk + state machine), the network and
 * the invariant checker, advanced one tick at a time. The host loop follows the core's
 * contract per Ready: send `messages`, persist (simulated fsync latency), then send
 * `messagesAfterPersist`, apply `committed`, `advance()`. A crash loses the in-flight write
 * and with it the after-persist messages of that Ready.
 */
import type {
  ReplicaFactory,
  SimMessage,
  SimPersistRequest,
  SimReady,
  SimRecoveredState,
  SimReplica,
  SimReplicaOptions,
  SimSlotValue,
} from './core-types.js';
import { InvariantChecker } from './checker.js';
import { encodeCommand, describeValue } from './commands.js';
import { SimDisk } from './disk.js';
import { SimNetwork, type NetworkConfig } from './network.js';
import type { Prng} from './prng.js';
import { type Ratio, NEVER } from './prng.js';
import { SimStateMachine } from './state-machine.js';
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
 *   N - max(L, P), so no quorum can form.
 */
export interface Sabotage {
  readonly forgetPromiseOnRestart?: boolean;
  readonly sendBeforePersist?: boolean;
  readonly fabricateApplied?: boolean;
  readonly noDedupe?: boolean;
  readonly loseAppliedOnRestart?: boolean;
  readonly keepDownInLiveness?: number;
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
  readonly maxBatchCommands: number;
  readonly maxBatchBytes: number;
  readonly maxInflightSlots: number;
  /** A new leader commits a no-op in its own ballot even when it has nothing to recover. */
  readonly commitNoopOnElection: boolean;
  readonly network: NetworkConfig;
  readonly minDiskLatencyTicks: number;
  readonly maxDiskLatencyTicks: number;
  /** Probability per tick that a node's clock skips the tick (bounded drift). */
  readonly clockSkip: Ratio;
  /** Take a snapshot and compact every this many applied slots (0 = never). */
  readonly compactEverySlots: number;
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
  constructor(id: number, random: Prng) {
    this.id = id;
    this.random = random;
  }
  /** Whether the node runs (not crashed). */
  get up(): boolean {
    return this.replica !== undefined;
  }
}

/** Called when a node applies a command: (node, command id). */
export type ApplyListener = (node: number, id: string) => void;

/** A simulated cluster. */
export class SimCluster {
  readonly config: ClusterConfig;
  readonly nodes: SimNode[] = [];
  readonly network: SimNetwork;
  readonly checker = new InvariantChecker();
  readonly members: number[];
  now = 0;
  private readonly factory: ReplicaFactory;
  private readonly diskRandom: Prng;
  private readonly clockRandom: Prng;
  /** Receives trace lines (trace tests, debugging), or undefined. */
  trace: ((line: string) => void) | undefined;
  onApplyCommand: ApplyListener | undefined;
  private fabricated = false;
  /** Stats. */
  stepErrors = 0;

  constructor(config: ClusterConfig, factory: ReplicaFactory, seed: Prng) {
    this.config = config;
    this.factory = factory;
    this.network = new SimNetwork(config.network, seed.child('network'), config.manual);
    this.diskRandom = seed.child('disk');
    this.clockRandom = seed.child('clock');
    this.members = [];
    for (let i = 1; i <= config.nodes; i++) this.members.push(i);
    for (const id of this.members) {
      const node = new SimNode(id, seed.child(`node-${id}`));
      if (config.sabotage.noDedupe === true) node.sm.dedupe = false;
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
      members: this.members,
      election: c.election,
      replication: c.replication,
      unsafeQuorum: c.unsafeQuorum,
      electionTimeoutTicks: c.electionTimeoutTicks,
      electionTimeoutJitterTicks: c.electionTimeoutJitterTicks,
      heartbeatIntervalTicks: c.heartbeatIntervalTicks,
      thrifty: c.thrifty,
      maxBatchCommands: c.maxBatchCommands,
      maxBatchBytes: c.maxBatchBytes,
      maxInflightSlots: c.maxInflightSlots,
      commitNoopOnElection: c.commitNoopOnElection,
      random: node.random,
    };
  }

  private start(node: SimNode, recovered: SimRecoveredState | undefined): void {
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
      node.sm.applied = applied;
      node.sm.chain = chain;
    }
    this.checker.onRecover(id, d.hardState);
    const snapIndex = d.snapshot?.meta.index ?? 0;
    const entries = [...d.entries.values()].filter((e) => e.slot > snapIndex).sort((a, b) => a.slot - b.slot);
    const recovered: SimRecoveredState = {
      hardState: d.hardState ?? { promised: { round: 0, nodeId: 0 }, committed: 0 },
      snapshot: d.snapshot === undefined ? undefined : { index: snapIndex },
      entries,
      applied: node.sm.applied,
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
    node.replica.step(m);
    this.pump(node);
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
    while (node.replica !== undefined && !node.paused && node.waiting === undefined && node.replica.hasReady()) {
      const r = node.replica.ready();
      for (const m of r.messages) this.send(node, m);
      if (r.persist === undefined) {
        this.finish(node, r);
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
  }

  private onWrite(node: SimNode, p: SimPersistRequest): void {
    if (p.hardState !== undefined) this.checker.onDurableHardState(node.id, p.hardState);
    if (p.snapshot !== undefined && p.snapshot.meta.index > node.sm.applied) {
      node.sm.restore(p.snapshot.data);
      this.checker.onChain(node.id, node.sm.applied, node.sm.chain);
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
      const outcomes = node.sm.apply(e.slot, value);
      this.checker.onApply(node.id, e.slot, value, outcomes);
      this.checker.onChain(node.id, node.sm.applied, node.sm.chain);
      this.log(`${node.id} apply ${e.slot} ${describeValue(value)}`);
      if (this.onApplyCommand !== undefined) {
        for (const o of outcomes) if (o.id !== undefined && o.outcome !== 'not-a-command') this.onApplyCommand(node.id, o.id);
      }
    }
    node.replica?.advance(r);
    const every = this.config.compactEverySlots;
    if (every > 0 && node.replica !== undefined && node.sm.applied - node.lastCompactAt >= every) {
      node.lastCompactAt = node.sm.applied;
      const snapshot = { meta: { index: node.sm.applied }, data: node.sm.serialize() };
      // The host stores its own snapshot (the core only truncates the log through persist).
      node.disk.durable.snapshot = snapshot;
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

  /** Advances simulated time by one tick: deliveries, disk completions, replica ticks. */
  step(): void {
    this.now++;
    this.checker.now = this.now;
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

  /** Nodes that are up. */
  liveNodes(): SimNode[] {
    return this.nodes.filter((n) => n.up);
  }
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
    maxBatchCommands: 8,
    maxBatchBytes: 512,
    maxInflightSlots: 4,
    commitNoopOnElection: false,
    network: { minDelayTicks: 1, maxDelayTicks: 3, loss: NEVER, duplication: NEVER, slow: NEVER, maxSlowDelayTicks: 3 },
    minDiskLatencyTicks: 0,
    maxDiskLatencyTicks: 2,
    clockSkip: NEVER,
    compactEverySlots: 0,
    manual: false,
    sabotage: {},
  };
}
