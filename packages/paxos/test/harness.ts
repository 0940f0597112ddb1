/**
 * A tiny deterministic in-test cluster: replicas, an in-memory network queue, in-memory
 * storage per node and a host loop that follows the `Ready` contract. The big randomized runs
 * live in `packages/sim`.
 */
import {
  countingQuorum as realCountingQuorum,
  type CountingQuorumSystem,
  type GridQuorumSystem,
  type QuorumSpec,
  type QuorumSystem,
} from '@flexpaxos/quorum';
import {
  MemoryLogStorage,
  MemoryStateStorage,
  Replica,
  applyPersistRequest,
  recoverState,
  type AutoSubsetConfig,
  type ChosenEntry,
  type Configuration,
  type Message,
  type NodeId,
  type RandomSource,
  type ReplicaConfig,
  type Snapshot,
} from '../src/index.js';

/** Counting quorums over `voters` (P = `p`, L defaults to N - P + 1). */
export function countingQuorum(voters: readonly number[], p: number, l?: number): QuorumSystem {
  return realCountingQuorum(
    l === undefined
      ? { members: voters, replication: p }
      : { members: voters, replication: p, election: l },
  );
}

/** The spec of a counting or grid quorum system (tests build systems, configurations need specs). */
export function specOf(q: QuorumSystem): QuorumSpec {
  const kind = (q as { kind?: string }).kind;
  if (kind === 'grid') {
    const g = q as GridQuorumSystem;
    return { kind: 'grid', rows: g.rows, phase1: g.phase1 };
  }
  if (kind === 'counting' || kind === 'majority') {
    const c = q as CountingQuorumSystem;
    return { kind: 'counting', voters: c.voters, replication: c.replication, election: c.election };
  }
  throw new Error(`no spec for quorum system ${q.describe()}`);
}

/** A bootstrap configuration with the quorum system `q` and no learners. */
export function bootstrapOf(q: QuorumSystem): Configuration {
  return { quorum: specOf(q), learners: [] };
}

/** A seeded xorshift random source. */
export function seededRandom(seed: number): RandomSource {
  let x = seed | 0 || 1;
  return {
    nextInt(maxExclusive: number): number {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) % maxExclusive;
    },
  };
}

/** Encodes a command as bytes. */
export function cmd(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Decodes an applied entry into readable strings (`noop` for no-ops). */
export function show(entry: ChosenEntry): string[] {
  if (entry.value.kind === 'noop') return ['noop'];
  if (entry.value.kind === 'config') return ['config'];
  return entry.value.commands.map((c) => new TextDecoder().decode(c));
}

export interface ClusterOptions {
  readonly n: number;
  readonly p?: number;
  readonly l?: number;
  readonly thrifty?: boolean;
  readonly seed?: number;
  /** Automatic subsetting settings (the core's default when absent: on). */
  readonly autoSubset?: AutoSubsetConfig;
  readonly inflightSlotsMax?: number;
  /** Pre-vote (the core's default when absent: on). */
  readonly preVote?: boolean;
  readonly batchCommandsMax?: number;
  readonly batchBytesMax?: number;
  /** A quorum system over nodes 1..n instead of counting quorums. */
  readonly quorum?: QuorumSystem;
  /** Leader leases; every node gets its own `FakeClock` (see `Cluster.clock`). */
  readonly lease?: {
    readonly leaseDurationMs: number;
    readonly clockDriftBoundMs: number;
    readonly electionTimeoutMs: number;
    readonly unsafeLease?: boolean;
  };
}

/**
 * A hand-driven monotonic clock: `advance(trueMs)` moves it by `trueMs * rate` (a node whose
 * clock runs fast or slow against true time).
 */
export class FakeClock {
  #now: number;
  rate: number;
  constructor(startMs = 0, rate = 1) {
    this.#now = startMs;
    this.rate = rate;
  }
  nowMs(): number {
    return this.#now;
  }
  /** Moves the clock by `trueMs` of true time (times its rate). */
  advance(trueMs: number): void {
    if (trueMs < 0) throw new Error('a monotonic clock never goes back');
    this.#now += trueMs * this.rate;
  }
}

interface Node {
  replica: Replica;
  readonly log: MemoryLogStorage;
  readonly state: MemoryStateStorage;
  /** Applied entries by slot. */
  readonly applied: Map<number, ChosenEntry>;
  /** Commands folded into an installed snapshot, and its index. */
  installed: { index: number; commands: string[] } | undefined;
  up: boolean;
  /** Quorum reads this node's readies confirmed / failed (ids), in order. */
  readonly reads: { id: number; index: number }[];
  readonly failedReads: { id: number; leaderHint: number | undefined }[];
}

/** A deterministic cluster of replicas. */
export class Cluster {
  readonly ids: NodeId[];
  readonly nodes = new Map<number, Node>();
  /** In-flight messages, FIFO. */
  queue: Message[] = [];
  /** Drops a message when it returns true. */
  dropIf: (m: Message) => boolean = () => false;
  /** Delivers a message twice when it returns true (the copy is not duplicated again). */
  duplicateIf: (m: Message) => boolean = () => false;
  readonly #copies = new WeakSet<Message>();
  /** Every message ever sent, for assertions. */
  readonly sent: Message[] = [];
  readonly #opts: ClusterOptions;
  readonly #quorum: QuorumSystem;
  /** Each node's clock (only used with `lease`); survives restarts like a real machine's. */
  readonly clocks = new Map<number, FakeClock>();
  /** Nodes started without a bootstrap configuration (`addNode`): they wait to be added. */
  readonly #joiners = new Set<number>();

  constructor(opts: ClusterOptions) {
    this.#opts = opts;
    this.ids = Array.from({ length: opts.n }, (_, i) => (i + 1) as NodeId);
    const p = opts.p ?? Math.floor(opts.n / 2) + 1;
    this.#quorum = opts.quorum ?? countingQuorum(this.ids, p, opts.l);
    for (const id of this.ids) this.clocks.set(id, new FakeClock());
    for (const id of this.ids) {
      const log = new MemoryLogStorage();
      const state = new MemoryStateStorage();
      this.nodes.set(id, {
        replica: new Replica(this.config(id)),
        log,
        state,
        applied: new Map(),
        installed: undefined,
        up: true,
        reads: [],
        failedReads: [],
      });
    }
  }

  /**
   * Starts node `id` outside the configuration (no bootstrap), as `flexpaxos node --join`
   * does: it votes for nobody until a leader adds it and sends it the log.
   */
  addNode(id: number): void {
    if (this.nodes.has(id)) throw new Error(`node ${id} exists`);
    this.#joiners.add(id);
    this.ids.push(id as NodeId);
    this.clocks.set(id, new FakeClock());
    this.nodes.set(id, {
      replica: new Replica(this.config(id as NodeId)),
      log: new MemoryLogStorage(),
      state: new MemoryStateStorage(),
      applied: new Map(),
      installed: undefined,
      up: true,
      reads: [],
      failedReads: [],
    });
  }

  config(id: NodeId): ReplicaConfig {
    return {
      id,
      ...(this.#joiners.has(id) ? {} : { bootstrap: bootstrapOf(this.#quorum) }),
      electionTimeoutTicks: 10,
      electionTimeoutJitterTicks: 10,
      heartbeatIntervalTicks: 2,
      batchCommandsMax: this.#opts.batchCommandsMax ?? 64,
      batchBytesMax: this.#opts.batchBytesMax ?? 1 << 20,
      inflightSlotsMax: this.#opts.inflightSlotsMax ?? 8,
      thrifty: this.#opts.thrifty ?? false,
      ...(this.#opts.autoSubset === undefined ? {} : { autoSubset: this.#opts.autoSubset }),
      ...(this.#opts.preVote === undefined ? {} : { preVote: this.#opts.preVote }),
      random: seededRandom((this.#opts.seed ?? 1) * 1000 + id),
      ...(this.#opts.lease === undefined
        ? {}
        : { lease: { ...this.#opts.lease, clock: this.clock(id) } }),
    };
  }

  /** Node `id`'s clock. */
  clock(id: number): FakeClock {
    const c = this.clocks.get(id);
    if (c === undefined) throw new Error(`no clock ${id}`);
    return c;
  }

  /** Advances every node's clock by `trueMs` of true time (each at its own rate). */
  advanceTime(trueMs: number): void {
    for (const c of this.clocks.values()) c.advance(trueMs);
  }

  node(id: number): Node {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  replica(id: number): Replica {
    return this.node(id).replica;
  }

  /** Runs the host loop of one node until it has nothing ready. */
  process(id: number): void {
    const n = this.node(id);
    while (n.up && n.replica.hasReady()) {
      const rd = n.replica.ready();
      this.#send(rd.messages);
      if (rd.persist !== undefined) {
        const snap = rd.persist.snapshot;
        if (snap !== undefined) {
          n.installed = {
            index: snap.meta.index,
            commands: JSON.parse(new TextDecoder().decode(snap.data)) as string[],
          };
          for (const s of [...n.applied.keys()]) if (s <= snap.meta.index) n.applied.delete(s);
        }
        applyPersistRequest(rd.persist, n.log, n.state);
      }
      this.#send(rd.messagesAfterPersist);
      for (const e of rd.committed) {
        const prev = n.applied.get(e.slot);
        if (prev !== undefined) throw new Error(`node ${id} applied slot ${e.slot} twice`);
        n.applied.set(e.slot, e);
        n.state.saveApplied(e.slot);
      }
      n.reads.push(...rd.reads);
      n.failedReads.push(...rd.failedReads);
      n.replica.advance(rd);
    }
  }

  processAll(): void {
    for (const id of this.ids) this.process(id);
  }

  #send(ms: readonly Message[]): void {
    for (const m of ms) {
      this.sent.push(m);
      this.queue.push(m);
    }
  }

  /** Delivers queued messages (and everything they cause) until the network is quiet. */
  deliverAll(maxSteps = 100_000): void {
    this.processAll();
    let steps = 0;
    while (this.queue.length > 0) {
      if (++steps > maxSteps) throw new Error('network did not quiesce');
      const m = this.queue.shift() as Message;
      const to = this.nodes.get(m.to);
      if (to === undefined || !to.up || !this.node(m.from).up || this.dropIf(m)) continue;
      if (!this.#copies.has(m) && this.duplicateIf(m)) {
        const copy = { ...m };
        this.#copies.add(copy);
        this.queue.push(copy);
      }
      to.replica.step(m);
      this.process(m.to);
    }
  }

  /** Ticks every live node `count` times, delivering messages after each round. */
  tick(count = 1): void {
    for (let i = 0; i < count; i++) {
      for (const id of this.ids) {
        const n = this.node(id);
        if (n.up) {
          n.replica.tick();
          this.process(id);
        }
      }
      this.deliverAll();
    }
  }

  campaign(id: number): void {
    this.replica(id).campaign();
    this.deliverAll();
  }

  propose(id: number, command: string): void {
    const r = this.replica(id).propose(cmd(command));
    if (r.kind !== 'queued') throw new Error(`node ${id} is not leader`);
  }

  /** Crashes a node: in-memory state is gone, storage stays. */
  crash(id: number): void {
    this.node(id).up = false;
  }

  /** Restarts a crashed node from its storage. */
  restart(id: number, handBackSnapshot = true): void {
    const n = this.node(id);
    n.replica = new Replica(this.config(id as NodeId), recoverState(n.log, n.state));
    // Host duty after a restart: hand the stored snapshot back so it can be sent to laggards.
    const snapshot = n.state.snapshot();
    if (snapshot !== undefined && handBackSnapshot) n.replica.compact(snapshot);
    n.up = true;
    this.process(id);
  }

  leaders(): number[] {
    return this.ids.filter((id) => this.node(id).up && this.replica(id).status().role === 'leader');
  }

  /** Applied commands of a node, in slot order, no-ops and configuration entries dropped. */
  appliedCommands(id: number): string[] {
    const n = this.node(id);
    const base = n.installed?.commands ?? [];
    return [
      ...base,
      ...[...n.applied.keys()]
        .filter((s) => s > (n.installed?.index ?? 0))
        .sort((a, b) => a - b)
        .flatMap((s) => show(n.applied.get(s) as ChosenEntry))
        .filter((c) => c !== 'noop' && c !== 'config'),
    ];
  }

  /** Throws when two nodes applied different values at one slot. */
  checkAgreement(): void {
    const bySlot = new Map<number, string>();
    for (const id of this.ids) {
      for (const [slot, e] of this.node(id).applied) {
        const v = JSON.stringify(show(e));
        const prev = bySlot.get(slot);
        if (prev !== undefined && prev !== v)
          throw new Error(`agreement violated at slot ${slot}: ${prev} vs ${v}`);
        bySlot.set(slot, v);
      }
    }
  }

  /** Takes a snapshot of the applied state of a node (the commands as JSON) and compacts. */
  compact(id: number): Snapshot {
    const n = this.node(id);
    const index = n.replica.status().applied;
    const snapshot: Snapshot = {
      meta: { index },
      data: new TextEncoder().encode(JSON.stringify(this.appliedCommands(id))),
    };
    // The snapshot and the configuration in force above it, in one write.
    n.state.saveSnapshot(snapshot);
    const config = n.replica.configAt(index);
    if (config !== undefined) n.state.saveBaseConfig(config);
    n.replica.compact(snapshot);
    this.process(id);
    return snapshot;
  }
}
