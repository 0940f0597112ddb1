/**
 * One FlexPaxos node: the host of a sans-IO `Replica`. This file starts, wires and stops the
 * parts; each role lives in its own file:
 *
 * | part | file |
 * | --- | --- |
 * | the host loop (ready → send → persist → apply → send after persist → advance) | `host-loop.ts` |
 * | client requests, pending writes, replies, redirects | `client-service.ts` |
 * | membership and quorum changes, leadership transfer | `admin-service.ts` |
 * | lease and quorum reads | `reads.ts` |
 * | key leases: the leader's lessor (epoch, keep-alives, expiry) | `lessor-service.ts` |
 * | watches (fed by the host loop, streamed to client inboxes) | `watch-service.ts` |
 * | snapshots and log compaction | `compaction.ts` |
 * | `/health` `/ready` `/status` `/metrics` | `http.ts`, `metrics.ts` |
 * | the tick clock | `tick-timer.ts` |
 *
 * Real I/O: RocksDB storage (`@flexpaxos/storage-rocksdb`), NATS peer messaging
 * (`@flexpaxos/transport-nats`), NATS request-reply for clients, `performance.now()` as the
 * monotonic clock (ticks and leases; fault-injection runs may skew it, `test-faults.ts`).
 */
import { randomInt } from 'node:crypto';
import type { Subscription } from '@nats-io/transport-node';
import type { Service } from '@nats-io/services';
import type { Response } from '@flexpaxos/client';
import { encodeResult } from '@flexpaxos/kv';
import type { KvConfig, KvStateMachine } from '@flexpaxos/kv';
import { Replica, describeConfigState, formatBallot } from '@flexpaxos/paxos';
import type { Message, NodeId, Role } from '@flexpaxos/paxos';
import { StorageError, openStorage } from '@flexpaxos/storage-rocksdb';
import type { RocksStore } from '@flexpaxos/storage-rocksdb';
import { NatsPeerTransport } from '@flexpaxos/transport-nats';
import { AdminService, configReport } from './admin-service.js';
import { ClientService } from './client-service.js';
import { Compaction } from './compaction.js';
import type { NodeConfig } from './config.js';
import { HostLoop, loadStateMachine } from './host-loop.js';
import { LessorService } from './lessor-service.js';
import { startHttp } from './http.js';
import { startNatsService } from './nats-service.js';
import type { HttpEndpoint } from './http.js';
import { componentLogger } from './logger.js';
import type { LogComponent, Logger } from './logger.js';
import { NodeMetrics } from './metrics.js';
import type { RoleCounts } from './metrics.js';
import { ROLE_CHANGES_KEPT, configView, gatherCluster } from './overview.js';
import type { ClusterView, NodeOverview, RoleChange } from './overview.js';
import { ReadServer, leaseReport, leaseSummary } from './reads.js';
import type { ServerStatusReport } from './reads.js';
import { TestPartition, ackBeforeFsync, nodeClock, testPartitionSubject } from './test-faults.js';
import { TickTimer } from './tick-timer.js';
import { WatchService } from './watch-service.js';

/** How long a stopping node waits for the running ready to finish (so its replies leave). */
const DRAIN_READY_MS = 2000;

/** How long `/cluster` waits for the nodes' status answers over NATS. */
const CLUSTER_GATHER_WAIT_MS = 300;
/** `/cluster` answers from one gather for this long (several pages polling share it). */
const CLUSTER_CACHE_MS = 1000;

/** The node cannot start with this configuration and data directory. */
export class NodeStartError extends Error {
  override readonly name = 'NodeStartError';
}

/** Why the node stopped. */
export type StopReason = 'shutdown' | 'storage-failure' | 'fatal';

/**
 * A running node. `FlexPaxosNode.start(config, logger)` opens storage, recovers, connects
 * and starts serving; `stop()` drains and closes everything. Usable in-process (tests) and
 * from the CLI (`flexpaxos node`).
 */
export class FlexPaxosNode {
  /** The validated config the node runs with. */
  readonly config: NodeConfig;
  /** Lifecycle lines (`component: 'node'`). */
  readonly #log: Logger;
  /** One child logger per component. */
  readonly #logs: Readonly<Record<Exclude<LogComponent, 'node'>, Logger>>;
  readonly #store: RocksStore;
  readonly #replica: Replica;
  readonly #transport: NatsPeerTransport<Message>;
  readonly #loop: HostLoop;
  readonly #clients: ClientService;
  readonly #admin: AdminService;
  readonly #reads: ReadServer;
  readonly #lessor: LessorService;
  readonly #watch: WatchService;
  readonly #compaction: Compaction;
  readonly #ticks: TickTimer;
  readonly #metrics: NodeMetrics;
  readonly #subs: Subscription[] = [];
  #service: Service | undefined;
  /** Test-only partition emulation (`--test-partition-control`), else undefined. */
  readonly #partition: TestPartition | undefined;
  #http: HttpEndpoint | undefined;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #fatal: Error | undefined;
  #role: Role = 'follower';
  #configSeen: string | undefined;
  #lastChangeSeen: unknown;
  readonly #configChanges = { operator: 0, autoSubset: 0, autoRestore: 0, abandoned: 0 };
  readonly #roles: RoleCounts = { electionsWon: 0, campaigns: 0 };
  /** The last role changes, oldest first (at most `ROLE_CHANGES_KEPT`). */
  readonly #roleChanges: RoleChange[] = [];
  readonly #startedAtMs = performance.now();
  #clusterView: { atMs: number; view: Promise<ClusterView> } | undefined;
  readonly #onStop: ((reason: StopReason, error?: Error) => void) | undefined;
  /** The monotonic clock of the ticks and the lease (`performance.now()` unless test-skewed). */
  readonly #now: () => number;

  private constructor(args: {
    config: NodeConfig;
    log: Logger;
    store: RocksStore;
    replica: Replica;
    kv: KvStateMachine;
    transport: NatsPeerTransport<Message>;
    onStop: ((reason: StopReason, error?: Error) => void) | undefined;
    now: () => number;
  }) {
    const { config, log, store, replica, transport } = args;
    this.#now = args.now;
    this.config = config;
    this.#log = componentLogger(log, 'node');
    this.#logs = {
      paxos: componentLogger(log, 'paxos'),
      transport: componentLogger(log, 'transport'),
      storage: componentLogger(log, 'storage'),
      client: componentLogger(log, 'client'),
      http: componentLogger(log, 'http'),
    };
    this.#store = store;
    this.#replica = replica;
    this.#transport = transport;
    this.#onStop = args.onStop;
    this.#partition = config.testPartitionControl ? new TestPartition() : undefined;
    const kick = (): void => this.#loop.kick();
    const fail = (err: unknown): void => this.#fail(err);
    this.#lessor = new LessorService({
      nodeId: config.id,
      replica,
      kv: () => this.#loop.kv,
      now: this.#now,
      ballot: () => formatBallot(replica.status().ballot),
      kick,
      log: this.#logs.paxos,
    });
    this.#reads = new ReadServer({
      replica,
      applied: () => this.#loop.kv.applied,
      answer: (op) => ({ kind: 'result', result: encodeResult(this.#lessor.query(op)) }),
      kick,
    });
    this.#admin = new AdminService({ nodeId: config.id, replica, kick });
    this.#watch = new WatchService({
      nodeId: config.id,
      appliedRevision: args.kv.applied,
      hub: {
        historyEventsMax: config.watchHistoryEventsMax,
        watchersMax: config.watchWatchersMax,
        watcherQueueEventsMax: config.watchQueueEventsMax,
      },
      publish: (subject, data) => transport.natsConnection.publish(subject, data),
      maxPayload: () => transport.natsConnection.info?.max_payload ?? 1024 * 1024,
      log: this.#logs.client,
    });
    this.#clients = new ClientService({
      nodeId: config.id,
      replica,
      reads: this.#reads,
      status: () => this.status(),
      admin: this.#admin,
      lessor: this.#lessor,
      watch: this.#watch,
      kick,
    });
    this.#compaction = new Compaction({
      replica,
      store,
      log: this.#logs.storage,
      intervalSlots: config.snapshotIntervalSlots,
      lastSnapshotIndex: store.recovered.snapshot?.index ?? 0,
      applied: () => this.#loop.writtenApplied,
      kick,
      fail,
    });
    this.#loop = new HostLoop({
      replica,
      store: config.unsafeAckBeforeFsync ? ackBeforeFsync(store, fail) : store,
      kv: args.kv,
      kvConfig: kvConfigOf(config),
      peers: this.#partition?.wrap(transport) ?? transport,
      reads: {
        onReady: (rd) => this.#reads.onReady(rd),
        afterAdvance: () => {
          this.#reads.afterAdvance();
          this.#lessor.afterAdvance();
        },
      },
      clients: this.#clients,
      compaction: this.#compaction,
      lessor: this.#lessor,
      watch: this.#watch,
      afterRun: () => {
        this.#observeRole();
        this.#admin.check();
        this.#lessor.check();
      },
      fail,
      log: this.#logs.paxos,
    });
    this.#ticks = new TickTimer(config.tickMs, (n) => this.#onTicks(n), this.#now);
    this.#metrics = new NodeMetrics(
      { cluster: config.cluster, nodeId: config.id },
      {
        persist: this.#loop.persistSeconds,
        request: this.#clients.requestSeconds,
        readLease: this.#reads.seconds.lease,
        readQuorum: this.#reads.seconds.quorum,
      },
      () => ({
        loop: this.#loop.counts,
        clients: this.#clients.counts,
        roles: this.#roles,
        compaction: this.#compaction.counts,
        replica: this.#replica.status(),
        transport: this.#transport.metrics(),
        storage: this.#store.stats(),
        reads: this.#reads.counts,
        lessor: this.#lessor.counts,
        keyLeases: this.#loop.kv.leaseCount,
        lessorRunning: this.#lessor.role === 'leader',
        readsWaiting: this.#reads.waiting,
        watch: {
          ...this.#watch.counts,
          watchers: this.#watch.watchers,
          historyEvents: this.#watch.historyEvents,
          oldestRevision: this.#watch.oldestRevision,
        },
        pendingClientRequests: this.#clients.pending,
        configChanges: {
          ...this.#configChanges,
          adminRequests: this.#admin.counts.requests,
          adminRefused: this.#admin.counts.refused,
        },
      }),
    );
  }

  /**
   * Opens the data directory (refusing another cluster's or node's data), rebuilds the KV
   * state machine and the replica from it, connects to NATS and starts the loop, the clock,
   * the client subjects and HTTP. `onStop` is called once if the node stops by itself
   * (storage failure, broken invariant).
   */
  static async start(
    config: NodeConfig,
    log: Logger,
    onStop?: (reason: StopReason, error?: Error) => void,
  ): Promise<FlexPaxosNode> {
    const store = await openStorage({
      dir: config.dataDir,
      clusterId: config.cluster,
      nodeId: config.id,
    });
    let transport: NatsPeerTransport<Message> | undefined;
    try {
      const recovered = store.recovered;
      const kv = await loadStateMachine(store, recovered.applied, kvConfigOf(config));
      const members = config.members as NodeId[];
      const transportLog = componentLogger(log, 'transport');
      const now = nodeClock(config);
      const replica = new Replica(
        {
          id: config.id as NodeId,
          // A new cluster's configuration; once stored (the first ready), the stored one wins.
          // None for a node that joins a running cluster or restarts from its data directory.
          ...(members.length === 0
            ? {}
            : {
                bootstrap: {
                  quorum: {
                    kind: 'counting',
                    voters: members,
                    replication: config.replication,
                    election: config.election,
                  },
                  learners: [],
                },
              }),
          autoSubset: {
            enabled: config.autoSubset,
            holdDownTicks: Math.ceil(config.autoSubsetHoldDownMs / config.tickMs),
            votersMin: config.autoSubsetVotersMin,
            faultToleranceMin: config.autoSubsetFaultToleranceMin,
          },
          electionTimeoutTicks: config.electionTimeoutTicks,
          electionTimeoutJitterTicks: config.electionJitterTicks,
          heartbeatIntervalTicks: config.heartbeatIntervalTicks,
          batchCommandsMax: config.maxBatchCommands,
          batchBytesMax: config.maxBatchBytes,
          inflightSlotsMax: config.maxInflightSlots,
          thrifty: config.thrifty,
          preVote: config.preVote,
          lease: {
            clock: { nowMs: now },
            leaseDurationMs: config.leaseDurationMs,
            clockDriftBoundMs: config.clockDriftBoundMs,
            electionTimeoutMs: config.electionTimeoutTicks * config.tickMs,
            ...(config.unsafeLeaseNoDrift ? { unsafeLease: true } : {}),
          },
          random: { nextInt: (max: number) => (max <= 1 ? 0 : randomInt(max)) },
        },
        recovered,
      );
      const known = replica.status().config.state;
      if (known === undefined && !config.join) {
        throw new NodeStartError(
          `config: members: is required to start a new cluster (${config.dataDir} holds no configuration); give --members, or --join to join a running cluster`,
        );
      }
      if (known !== undefined && members.length > 0) {
        const stored = describeConfigState(known);
        componentLogger(log, 'paxos').log(
          'debug',
          'stored configuration in force (members flag ignored)',
          { stored },
        );
      }
      componentLogger(log, 'storage').log('info', 'recovered', {
        promised: formatBallot(recovered.hardState.promised),
        committed: recovered.hardState.committed,
        applied: recovered.applied,
        entries: recovered.entries.length,
        keys: kv.size,
      });
      transport = await NatsPeerTransport.connect<Message>({
        servers: config.nats,
        clusterName: config.cluster,
        nodeId: config.id,
        waitForFirstConnect: true,
        onDrop: (reason) => transportLog.log('debug', 'peer frame dropped', { reason }),
        // Emulated link delay (benchmarks): no option at all when every delay is 0.
        ...(config.linkDelayMs > 0 || config.linkDelayTo.size > 0
          ? { linkDelayMs: (to: number) => config.linkDelayTo.get(to) ?? config.linkDelayMs }
          : {}),
      });
      const node = new FlexPaxosNode({ config, log, store, replica, kv, transport, onStop, now });
      await node.#serve();
      // A compacted log: hand the replica a snapshot again so it can serve laggards.
      node.#compaction.afterRestart();
      return node;
    } catch (err) {
      await transport?.close().catch(() => undefined);
      await store.close().catch(() => undefined);
      throw err;
    }
  }

  /** `http://host:port` of the HTTP endpoint, or null when HTTP is disabled. */
  get httpAddress(): string | null {
    return this.#http?.address ?? null;
  }

  /** The node's status report (what `status` requests and `/status` return). */
  status(): ServerStatusReport {
    const s = this.#replica.status();
    const config = configReport(s);
    const lease = leaseReport(s.lease, this.#now(), formatBallot);
    return {
      id: this.config.id,
      cluster: this.config.cluster,
      role: s.role,
      ballot: formatBallot(s.ballot),
      leader: s.leader ?? null,
      committed: s.committed,
      applied: s.applied,
      members: config?.quorum.voters ?? [],
      replication: config?.quorum.replication ?? 0,
      election: config?.quorum.election ?? 0,
      membership:
        config === null
          ? 'none'
          : config.quorum.voters.includes(this.config.id)
            ? 'voter'
            : config.learners.includes(this.config.id)
              ? 'learner'
              : 'none',
      config,
      peers: s.peers.map((p) => ({ id: p.id, committed: p.committed ?? null, recent: p.recent })),
      lease: leaseSummary(lease),
      ...dbBytes(this.#store),
      pid: process.pid,
      http: this.httpAddress,
      leaseState: lease,
      reads: { ...this.#reads.counts },
    };
  }

  /** `/overview`: what the status page shows of this node. */
  async overview(): Promise<NodeOverview> {
    const s = this.#replica.status();
    const [write, readLease, readQuorum] = await Promise.all([
      this.#clients.requestSeconds.snapshot(),
      this.#reads.seconds.lease.snapshot(),
      this.#reads.seconds.quorum.snapshot(),
    ]);
    return {
      nowMs: Date.now(),
      uptimeS: Math.round((performance.now() - this.#startedAtMs) / 1000),
      status: this.status(),
      config: configView(s.config.state, s.config.index),
      counters: {
        commandsApplied: this.#loop.counts.commandsApplied,
        proposals: this.#clients.counts.proposals,
        readsStale: this.#reads.counts.stale,
      },
      latency: { write, readLease, readQuorum },
      roleChanges: [...this.#roleChanges],
    };
  }

  /** `/cluster`: every member with the HTTP address it reported over NATS (cached 1 s). */
  cluster(): Promise<ClusterView> {
    const now = performance.now();
    if (this.#clusterView === undefined || now - this.#clusterView.atMs > CLUSTER_CACHE_MS) {
      const s = this.#replica.status();
      const members = new Set<number>(this.config.members);
      const cv = configView(s.config.state, s.config.index);
      for (const c of [cv?.incoming, cv?.outgoing]) {
        for (const id of [...(c?.voters ?? []), ...(c?.learners ?? [])]) members.add(id);
      }
      this.#clusterView = {
        atMs: now,
        view: gatherCluster(
          this.#transport.natsConnection,
          this.config.cluster,
          this.config.id,
          [...members],
          CLUSTER_GATHER_WAIT_MS,
        ),
      };
    }
    return this.#clusterView.view;
  }

  /**
   * Drains and stops: stops taking client requests (pending ones are told `unavailable`),
   * lets the running ready finish, waits for queued writes, closes NATS, storage and HTTP.
   * Idempotent.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#shutdown();
    return this.#stopped;
  }

  async #serve(): Promise<void> {
    const partition = this.#partition;
    this.#transport.onMessages((messages) => {
      if (this.#stopping) return;
      for (const m of messages) {
        if (partition === undefined || partition.passes(m.from)) this.#replica.step(m);
      }
      this.#loop.kick();
    });
    const nc = this.#transport.natsConnection;
    const { cluster, id } = this.config;
    this.#service = await startNatsService(nc, {
      cluster,
      nodeId: id,
      onRequest: (msg) => this.#clients.onRequest(msg),
      onError: (error) => {
        if (this.#stopping) return;
        // A client subscription that fails stops the service: without it the node is deaf to
        // clients, so it stops rather than lingering as a member nobody can reach.
        this.#logs.client.log('error', 'client service failed', { error });
        this.#fail(error);
      },
      summary: () => {
        const st = this.#replica.status();
        return {
          role: st.role,
          leader: st.leader ?? null,
          committed: st.committed,
          applied: st.applied,
        };
      },
    });
    if (partition !== undefined) {
      this.#subs.push(
        nc.subscribe(testPartitionSubject(cluster, id), {
          callback: (_err, msg) => {
            const r = partition.onRequest(new TextDecoder().decode(msg.data));
            this.#log.log('warn', 'test partition', { blocked: r.blocked, ok: r.ok });
            msg.respond(new TextEncoder().encode(JSON.stringify(r)));
          },
        }),
      );
    }
    await nc.flush();
    void this.#logNatsStatus();

    if (this.config.httpPort >= 0) {
      this.#http = await startHttp(this.config.httpPort, this.config.httpHost, this.#logs.http, {
        unhealthy: () => this.#fatal?.message ?? (this.#stopping ? 'stopping' : undefined),
        ready: () => {
          const s = this.#replica.status();
          return s.leader !== undefined && s.applied === s.committed && this.#fatal === undefined;
        },
        status: () => this.status(),
        overview: () => this.overview(),
        cluster: () => this.cluster(),
        metrics: () => this.#metrics.render(),
        metricsContentType: this.#metrics.contentType,
      });
    }

    this.#ticks.start();
    this.#watch.start();
    const cs = this.#replica.status().config.state;
    this.#log.log('info', 'node started', {
      config:
        cs === undefined ? 'none yet (joining: waiting to be added)' : describeConfigState(cs),
      nats: this.config.nats,
      http: this.httpAddress,
      tickMs: this.config.tickMs,
    });
    this.#loop.kick();
  }

  /** Logs NATS connection changes (the transport counts them for `/metrics`). */
  async #logNatsStatus(): Promise<void> {
    const log = this.#logs.transport;
    try {
      for await (const st of this.#transport.natsConnection.status()) {
        // The other statuses (pings, reconnect attempts, cluster updates) are noise here.
        if (st.type === 'disconnect') log.log('warn', 'nats disconnected', { server: st.server });
        else if (st.type === 'reconnect')
          log.log('info', 'nats reconnected', { server: st.server });
        else if (st.type === 'slowConsumer')
          log.log('warn', 'nats slow consumer', { subject: st.sub.getSubject() });
        else if (st.type === 'error') log.log('warn', 'nats error', { error: st.error });
      }
    } catch {
      // The status stream ends with the connection.
    }
  }

  #onTicks(n: number): void {
    if (this.#stopping) return;
    for (let i = 0; i < n; i++) this.#replica.tick();
    if (n > 0) {
      this.#observeRole();
      this.#observeConfig();
      this.#admin.check();
      this.#lessor.check();
      this.#loop.kick();
    }
    this.#clients.expire(performance.now());
  }

  #observeRole(): void {
    if (this.#replica.role === this.#role) return;
    const s = this.#replica.status();
    const was = this.#role;
    this.#role = s.role;
    if (s.role === 'candidate') this.#roles.campaigns++;
    if (s.role === 'leader') this.#roles.electionsWon++;
    this.#roleChanges.push({
      atMs: Date.now(),
      from: was,
      to: s.role,
      ballot: formatBallot(s.ballot),
      leader: s.leader ?? null,
    });
    if (this.#roleChanges.length > ROLE_CHANGES_KEPT) this.#roleChanges.shift();
    this.#logs.paxos.log('info', 'role changed', {
      from: was,
      to: s.role,
      ballot: formatBallot(s.ballot),
      leader: s.leader,
    });
    if (was === 'leader') {
      this.#clients.onLostLeadership(s.leader);
      this.#lessor.onSteppedDown();
    }
  }

  /** Logs every change of the configuration in force (with its reason at the leader). */
  #observeConfig(): void {
    const c = this.#replica.status().config;
    const last = c.lastChange;
    if (last !== undefined && last !== this.#lastChangeSeen) {
      this.#lastChangeSeen = last;
      const counts = this.#configChanges;
      if (last.result === 'abandoned') counts.abandoned++;
      else if (last.reason.startsWith('auto-subset')) counts.autoSubset++;
      else if (last.reason.startsWith('auto re-expansion')) counts.autoRestore++;
      else counts.operator++;
    }
    const key = `${c.index}|${c.pending?.step ?? ''}`;
    if (key === this.#configSeen) return;
    const first = this.#configSeen === undefined;
    this.#configSeen = key;
    if (first || c.state === undefined) return;
    this.#logs.paxos.log('info', 'configuration', {
      index: c.index,
      config: describeConfigState(c.state),
      ...(c.pending === undefined ? {} : { pending: c.pending.step, reason: c.pending.reason }),
      ...(c.lastChange === undefined
        ? {}
        : { lastChange: c.lastChange.result, lastReason: c.lastChange.reason }),
    });
  }

  #fail(err: unknown): void {
    if (this.#fatal !== undefined) return;
    const error = err instanceof Error ? err : new Error(String(err));
    this.#fatal = error;
    this.#loop.halt();
    // A typed I/O failure of the store; anything else (a broken invariant) is fatal.
    const storageFailed = this.#store.failure instanceof StorageError;
    (storageFailed ? this.#logs.storage : this.#log).log(
      'error',
      storageFailed ? 'storage failed: stopping (fail-stop)' : 'fatal error: stopping',
      { error, stack: error.stack },
    );
    void this.stop().finally(() =>
      this.#onStop?.(storageFailed ? 'storage-failure' : 'fatal', error),
    );
  }

  async #shutdown(): Promise<void> {
    this.#stopping = true;
    this.#ticks.stop();
    for (const sub of this.#subs) sub.unsubscribe();
    const serviceStopped = this.#service?.stop().catch(() => null);
    this.#loop.stop();
    this.#compaction.stop();
    this.#clients.stop();
    this.#admin.stop();
    this.#lessor.stop();
    // Every watch is told `shutdown` (the clients move on at once); flushed by the close below.
    this.#watch.stop();
    const unavailable: Response = {
      kind: 'error',
      code: 'unavailable',
      message: `node ${this.config.id} is shutting down`,
    };
    this.#reads.failAll(unavailable);
    await this.#loop.drain(DRAIN_READY_MS);
    await serviceStopped;
    await this.#transport.close().catch(() => undefined);
    await this.#store.close().catch(() => undefined);
    await this.#http?.close();
    this.#log.log('info', 'node stopped', {
      reason: this.#fatal === undefined ? 'shutdown' : 'fatal',
    });
  }
}

/** `{ dbBytes }` of the status report, or nothing while the store cannot say. */
/**
 * The KV machine's config from the node settings (`--sessions-max`, `--legacy-sessions`); the
 * rest are `@flexpaxos/kv`'s defaults. It shapes the replicated state: every node of a cluster
 * must run with the same values.
 */
export function kvConfigOf(config: NodeConfig): Partial<KvConfig> {
  return { sessionsMax: config.sessionsMax, legacySessions: config.legacySessions };
}

function dbBytes(store: RocksStore): { dbBytes?: number } {
  const bytes = store.dbBytes();
  return bytes === undefined ? {} : { dbBytes: bytes };
}
