/**
 * One simulated run per seed, VOPR style: the seed picks the cluster shape (unless given),
 * the network, disk and fault rates, and the clients; a safety phase injects faults while
 * clients propose; a liveness phase stops the faults (keeping at most N - max(L, P) nodes
 * down, so both an election and a replication quorum are connected) and must converge within
 * a bound. Every invariant is checked along the way and at the end; the client history goes
 * through the linearizability checker (invariant 5), the watchers' deliveries through the
 * watch delivery check (invariant 10), the leased keys' disappearances through the key-lease
 * expiry check (invariant 11).
 */
import { HistoryRecorder, checkLinearizability, flexKvModel, fromKvOp, fromKvResult, type FlexKvInput, type FlexKvOutput, type KvResultLike, type Verdict } from '@flexpaxos/checker';
import { decodeReply, kvPut } from '@flexpaxos/kv';
import { requiredClockDriftBoundMs, type ClockModel } from '@flexpaxos/lease';
import { InvariantChecker, type Violation } from './checker.js';
import { ClientContext, SimClient, type ClientConfig } from './clients.js';
import { bytesToText } from './commands.js';
import { SimCluster, type ClusterConfig, type Sabotage } from './cluster.js';
import type { ReplicaFactory } from './core-types.js';
import { FaultInjector, type FaultConfig, type FaultCounts } from './faults.js';
import { quorumFromSpec, jointQuorum } from '@flexpaxos/quorum';
import { stateMembers, stateVoters, type ConfigState } from '@flexpaxos/paxos';
import { ReconfigFaults, type ReconfigCounts } from './reconfig-faults.js';
import { DoubleFaultScenario, drawDoubleFaultShape, type DoubleFaultReport } from './double-fault.js';
import { NEVER, Prng, ratio, type Ratio } from './prng.js';
import { SimWatcher, type WatchStats } from './watchers.js';

/** What to simulate for one seed. */
export interface SeedOptions {
  readonly seed: number;
  readonly factory: ReplicaFactory;
  /** Cluster size; drawn from the seed (1..9) when absent. */
  readonly nodes?: number | undefined;
  readonly replication?: number | undefined;
  readonly election?: number | undefined;
  /** Break quorum intersection on purpose (L = N - P by default). */
  readonly unsafeQuorum?: boolean | undefined;
  /** Leader leases (default true); without them lease reads fall back to quorum reads. */
  readonly leases?: boolean | undefined;
  /** Fault injection: leaders ignore the drift bound, restarted acceptors promise at once. */
  readonly unsafeLease?: boolean | undefined;
  /**
   * Reconfiguration faults (membership, quorum and leader changes during the safety phase, with
   * spare nodes to add): `true` on, `false` off; absent: on for one seed in three.
   */
  readonly reconfig?: boolean | undefined;
  /** Fault injection: configuration changes without the joint step (implies `reconfig`). */
  readonly unsafeReconfig?: boolean | undefined;
  /**
   * A staged scenario instead of random faults: `double-fault` (`double-fault.ts`): a partition
   * that leaves no side a phase-1 quorum, then the leader crashes.
   */
  readonly scenario?: 'double-fault' | undefined;
  /** Automatic subsetting in the core (default true, the core's default). */
  readonly autoSubset?: boolean | undefined;
  /**
   * Pre-vote in the core: forced on, off, or (undefined) the default mix, off on one seed in
   * four (seed % 4 === 0) so both election paths run.
   */
  readonly preVote?: boolean | undefined;
  /**
   * Time budget of the linearizability check in ms (default 10,000 when `now` is given):
   * beyond it, `unknown`. Needs `now`.
   */
  readonly checkBudgetMs?: number | undefined;
  /**
   * Monotonic clock in ms for the check's time budget and `checkMs`, injected by the host
   * (the CLI passes `performance.now`); the run itself reads no clock. Without it the check
   * has no time budget (it always decides) and `checkMs` is 0.
   */
  readonly now?: (() => number) | undefined;
  readonly sabotage?: Sabotage | undefined;
  /**
   * The client workload: `full` (the default) adds transactions, key leases and watchers to
   * the basic one; `basic` is get, put, delete, cas and range only (the runs of earlier
   * versions: the new operations draw from their own child seeds).
   */
  readonly workload?: 'basic' | 'full' | undefined;
  /** Ticks of the safety phase. */
  readonly safetyTicks?: number | undefined;
  /** Ticks the liveness phase may take to converge. */
  readonly livenessBoundTicks?: number | undefined;
  /** Messages a seed may send before it is stopped as a message storm (default 1,000,000). */
  readonly maxMessages?: number | undefined;
  /** Whether snapshots and compaction are exercised. */
  readonly compaction?: boolean | undefined;
  readonly verbose?: boolean | undefined;
  /** Receives every cluster event (sends, syncs, applies, crashes) for debugging. */
  readonly trace?: ((line: string) => void) | undefined;
}

/** The cluster shape of a run. */
export interface Shape {
  readonly nodes: number;
  readonly replication: number;
  readonly election: number;
}

/** The outcome of one seed. */
export interface SeedResult {
  readonly seed: number;
  readonly shape: Shape;
  readonly violations: readonly Violation[];
  /** Total violations (beyond the ones kept in detail). */
  readonly violationCount: number;
  readonly ticks: number;
  /** Ticks the liveness phase needed, or undefined when it did not converge. */
  readonly convergedAfterTicks: number | undefined;
  readonly faults: FaultCounts;
  /** What the double-fault scenario did and saw (only with `scenario: 'double-fault'`). */
  readonly doubleFault?: DoubleFaultReport | undefined;
  /** What the reconfiguration faults did (all 0 when they were off). */
  readonly reconfig: ReconfigCounts & { readonly on: boolean };
  readonly proposed: number;
  readonly acked: number;
  readonly appliedSlots: number;
  readonly duplicatesDeduped: number;
  readonly messagesSent: number;
  readonly summary: string;
  readonly faultLog: readonly string[];
  /** Verdict of the linearizability check (`unknown`: its time budget ran out). */
  readonly linearizability: Verdict;
  /** Operations in the checked history, and the check's time in ms and search steps. */
  readonly historyOperations: number;
  readonly checkMs: number;
  readonly checkSteps: number;
  /** Reads answered in each mode (lease reads that fell back count as quorum). */
  readonly reads: { readonly stale: number; readonly lease: number; readonly quorum: number; readonly leaseFallback: number };
}

/**
 * Draws the clock model and lease settings: a lease of 50, 60 or 70 % of the election timeout,
 * clocks with rate error up to 5 %, forward steps up to 8 ms and jitter up to 2 ms, and the
 * drift bound that covers them (`requiredClockDriftBoundMs`).
 */
export function drawLease(random: Prng, electionTimeoutMs: number): { clock: ClockModel; leaseDurationMs: number; clockDriftBoundMs: number } {
  const leaseDurationMs = Math.round((random.pick([50, 60, 70]) * electionTimeoutMs) / 100);
  const clock: ClockModel = {
    leaseDurationMs,
    rateErrorPpm: random.pick([0, 1_000, 20_000, 50_000]),
    stepMsMax: random.pick([0, 3, 8]),
    jitterMsMax: random.pick([0, 1, 2]),
  };
  const clockDriftBoundMs = requiredClockDriftBoundMs(clock);
  if (2 * clockDriftBoundMs >= leaseDurationMs || leaseDurationMs + clockDriftBoundMs >= electionTimeoutMs) {
    throw new Error(`clock model needs drift bound ${clockDriftBoundMs} ms, too large for a ${leaseDurationMs} ms lease`);
  }
  return { clock, leaseDurationMs, clockDriftBoundMs };
}

/** Draws or completes the shape; throws on an impossible one. */
export function resolveShape(opts: SeedOptions, random: Prng): Shape {
  const unsafe = opts.unsafeQuorum === true;
  const n = opts.nodes ?? (unsafe ? random.between(2, 9) : random.between(1, 9));
  const p = opts.replication ?? (unsafe ? random.between(1, n - 1) : random.between(1, n));
  const l = opts.election ?? (unsafe ? n - p : n - p + 1);
  if (n < 1 || p < 1 || p > n || l < 1 || l > n) throw new Error(`impossible shape N=${n} P=${p} L=${l}`);
  if (!unsafe && l + p <= n) throw new Error(`L=${l} and P=${p} do not intersect for N=${n}: need L + P > N`);
  if (unsafe && l + p > n) throw new Error(`--unsafe-quorum needs L + P <= N, got N=${n} P=${p} L=${l}`);
  return { nodes: n, replication: p, election: l };
}

function pickRatio(random: Prng, choices: readonly Ratio[]): Ratio {
  return random.pick(choices);
}

/** Draws happen whatever the options, so turning a feature off does not shift later draws. */
function compactPick(off: boolean, drawn: number): number {
  return off ? 0 : drawn;
}

function fmtRatio(r: Ratio): string {
  return r.num === 0 ? '0' : `${r.num}/${r.den}`;
}

/** Runs one seed to the end and checks it. */
export function runSeed(opts: SeedOptions): SeedResult {
  if (opts.now === undefined && opts.checkBudgetMs !== undefined) {
    throw new Error('assertion failed: checkBudgetMs needs an injected clock (now)');
  }
  const root = new Prng(opts.seed);
  const scenario = opts.scenario;
  const shape =
    scenario === 'double-fault' && opts.nodes === undefined
      ? drawDoubleFaultShape(root.child('shape'))
      : resolveShape(opts, root.child('shape'));
  const cfgRandom = root.child('config');
  // One seed in three runs slower elections and leases three times as long (in ticks), so a
  // lease spans many message delays as it does on a real network (own child seed).
  const electionTimeoutTicks = root.child('timing').pick([10, 10, 30]);
  const electionTimeoutJitterTicks = 10;
  const tickMs = 10;
  const leaseDraw = drawLease(root.child('lease'), electionTimeoutTicks * tickMs);
  const leases = opts.leases !== false;
  // Separate child seeds, so these choices do not shift the other draws.
  const reconfigOn =
    scenario === undefined &&
    (opts.unsafeReconfig === true || (opts.reconfig ?? root.child('reconfig-on').nextInt(3) === 0));
  const reconfigRandom = root.child('reconfig');
  const spares = reconfigOn ? reconfigRandom.between(1, 3) : 0;
  const full = opts.workload !== 'basic';
  // Watch hubs: a history of 16 or 64 events (watchers starting far back get 'compacted') or
  // the default; watcher queues of 4 or 32 events (slow watchers get cancelled) or the default.
  const watchRandom = root.child('watch');
  const watchConfig = full
    ? { historyEventsMax: watchRandom.pick([16, 64, 100_000]), watcherQueueEventsMax: watchRandom.pick([4, 32, 10_000]) }
    : undefined;
  const config: ClusterConfig = {
    nodes: shape.nodes,
    replication: shape.replication,
    election: shape.election,
    unsafeQuorum: opts.unsafeQuorum === true,
    electionTimeoutTicks,
    electionTimeoutJitterTicks,
    heartbeatIntervalTicks: 2,
    thrifty: cfgRandom.nextInt(4) === 0,
    batchCommandsMax: cfgRandom.pick([1, 8, 64]),
    batchBytesMax: cfgRandom.pick([64, 512, 4096]),
    inflightSlotsMax: cfgRandom.pick([1, 4, 16]),
    // A separate child seed, so this choice does not shift the other draws.
    network: {
      minDelayTicks: 1,
      maxDelayTicks: cfgRandom.between(1, 6),
      loss: pickRatio(cfgRandom, [NEVER, ratio(1, 100), ratio(1, 20)]),
      duplication: pickRatio(cfgRandom, [NEVER, ratio(1, 50), ratio(1, 5)]),
      slow: pickRatio(cfgRandom, [NEVER, ratio(1, 100), ratio(1, 20)]),
      maxSlowDelayTicks: 60,
    },
    minDiskLatencyTicks: 0,
    maxDiskLatencyTicks: cfgRandom.between(0, 3),
    clockSkip: pickRatio(cfgRandom, [NEVER, ratio(1, 50)]),
    tickMs,
    clock: leaseDraw.clock,
    lease: leases
      ? { leaseDurationMs: leaseDraw.leaseDurationMs, clockDriftBoundMs: leaseDraw.clockDriftBoundMs, unsafeLease: opts.unsafeLease === true }
      : undefined,
    compactEverySlots: compactPick(opts.compaction === false, cfgRandom.pick([0, 0, 10, 25])),
    spares,
    unsafeReconfig: opts.unsafeReconfig === true,
    autoSubset: opts.autoSubset !== false,
    preVote: opts.preVote ?? opts.seed % 4 !== 0,
    watch: watchConfig,
    // Key leases: every node runs a lessor while it leads (the default configuration).
    lessor: full ? {} : undefined,
    manual: false,
    sabotage: opts.sabotage ?? {},
  };
  const staged = scenario !== undefined;
  const faultConfig: FaultConfig = staged ? quietFaults() : {
    crash: pickRatio(cfgRandom, [NEVER, ratio(1, 200), ratio(1, 60), ratio(1, 25)]),
    // A separate child seed, so this choice does not shift the other draws.
    bounce: pickRatio(root.child('bounce'), [NEVER, ratio(1, 100), ratio(1, 20)]),
    pause: pickRatio(cfgRandom, [NEVER, ratio(1, 150), ratio(1, 40)]),
    partition: pickRatio(cfgRandom, [NEVER, ratio(1, 100), ratio(1, 40), ratio(1, 15)]),
    maxDownTicks: 150,
    maxPauseTicks: 60,
    maxPartitionTicks: 200,
    // A separate child seed, so this choice does not shift the other draws: on half the seeds.
    leaseNemesis: pickRatio(root.child('lease-nemesis-rate'), [NEVER, ratio(1, 10)]),
  };
  const workRandom = root.child('workload');
  const extrasRandom = root.child('workload-extras');
  const clientConfig: ClientConfig = {
    issue: ratio(1, 4),
    retryTimeoutTicks: cfgRandom.pick([1, 2, 4]) * (electionTimeoutTicks + electionTimeoutJitterTicks),
    padBytes: cfgRandom.between(0, 16),
    keys: ['a/0', 'b/0', 'a/1', 'b/1', 'a/2', 'b/2'].slice(0, workRandom.pick([1, 2, 4, 6])),
    prefixes: ['a/', 'b/'],
    readPercent: workRandom.pick([20, 50, 80]),
    readModes: ['lease', 'lease', 'quorum', 'stale'],
    txnPercent: full ? extrasRandom.pick([10, 20, 30]) : 0,
    leaseKeys: ['l/0', 'l/1', 'l/2'].slice(0, extrasRandom.pick([1, 2, 3])),
    leaseTtlsMs: [1000, 1000, 1500],
    tickMs,
  };
  const clientCount = cfgRandom.pick([1, 2, 3, 4, 6, 10]);
  // Lease clients (besides the others): grant, attach keys, keep alive, revoke or let expire.
  const leaseClientCount = full ? extrasRandom.pick([1, 1, 2]) : 0;
  // The double fault: the partition holds until the leader's subset change is done (at most 10
  // election timeouts), then the leader crashes, then the survivors get 30 election timeouts.
  const holdTicks = 10 * electionTimeoutTicks;
  const safetyTicks =
    opts.safetyTicks ??
    (staged ? 100 + holdTicks + 30 * (electionTimeoutTicks + electionTimeoutJitterTicks) : 600);
  const livenessBound = opts.livenessBoundTicks ?? 100 * (electionTimeoutTicks + electionTimeoutJitterTicks);
  const verbose = opts.verbose === true;

  let cluster: SimCluster | undefined;
  let checker = new InvariantChecker();
  const history = new HistoryRecorder<FlexKvInput, FlexKvOutput>();
  const context = new ClientContext(history);
  const clients: SimClient[] = [];
  for (let i = 1; i <= clientCount; i++) clients.push(new SimClient(i, context));
  for (let i = 1; i <= leaseClientCount; i++) clients.push(new SimClient(clientCount + i, context, true));
  const barrier = new SimClient(clientCount + leaseClientCount + 1, context);
  const all = [...clients, barrier];
  const clientRandom = root.child('clients');
  const watchStats: WatchStats = { events: 0, progress: 0, moves: 0, cancelled: { slow: 0, compacted: 0, reset: 0 }, compactedAnswers: 0 };
  const watchers: SimWatcher[] = [];
  /** The lessors' expiry proposals not yet seen chosen, by command bytes: history ids. */
  const expiryProposals = new Map<string, number[]>();
  let faults: FaultInjector | undefined;
  let reconfigFaults: ReconfigFaults | undefined;
  let doubleFault: DoubleFaultScenario | undefined;
  let doubleFaultReport: DoubleFaultReport | undefined;
  const bootstrap: ConfigState = {
    incoming: {
      quorum: {
        kind: 'counting',
        voters: Array.from({ length: shape.nodes }, (_, i) => (i + 1) as never),
        replication: shape.replication,
        election: shape.election,
      },
      learners: [],
    },
  };
  let convergedAfter: number | undefined;
  try {
    cluster = new SimCluster(config, opts.factory, root);
    checker = cluster.checker;
    const c = cluster;
    if (watchConfig !== undefined) {
      c.checker.recordChanges = true;
      const count = watchRandom.pick([1, 2, 3]);
      for (let i = 1; i <= count; i++) {
        const r = watchRandom.child(`watcher-${i}`);
        watchers.push(new SimWatcher(`w${i}`, r.pick(['a/', 'b/', 'l/', '']), r, watchConfig, watchStats, (d) => c.checker.report(10, d)));
      }
    }
    if (opts.trace !== undefined) {
      const sink = opts.trace;
      c.trace = (line) => sink(`t=${c.now} ${line}`);
    }
    c.onApplyCommand = (node, id, reply) => {
      for (const cl of all) cl.onApplied(node, id, reply, c.now, c);
    };
    c.onReadAnswer = (readId, node, result) => {
      context.readOwner.get(readId)?.onReadAnswer(readId, node, result, c.now, c);
    };
    c.onReadFailed = (readId, _node, hint) => {
      context.readOwner.get(readId)?.onReadFailed(readId, hint, c.now, clientRandom, c);
    };
    context.onError = (detail) => checker.report(4, `unexpected KV error reply: ${detail}`);
    // Expiries go into the history as operations of their own (a leased key may disappear
    // there): invoked when proposed, completed when first applied.
    c.onExpiryProposed = (node, bytes, op) => {
      const text = bytesToText(bytes);
      let list = expiryProposals.get(text);
      if (list === undefined) expiryProposals.set(text, (list = []));
      list.push(history.invoke(`lessor-${node}`, fromKvOp(op)));
    };
    c.checker.onChosenAnonymous = (text, reply) => {
      const pending = expiryProposals.get(text);
      const first = pending?.shift();
      if (pending === undefined || first === undefined) return;
      const d = decodeReply(reply);
      const out = d.ok ? fromKvResult(d.value as KvResultLike) : undefined;
      if (out?.type === 'lease-revoke' && out.revoked) {
        // The lease is gone: later copies of this expiry can change nothing.
        history.complete(first, out);
        for (const id of pending.splice(0)) history.fail(id);
      } else history.fail(first);
    };
    faults = new FaultInjector(c, faultConfig, root.child('faults'), verbose, {
      nemesisRandom: root.child('lease-nemesis'),
      onLeaseReadTarget: (id) => (context.leaseReadTarget = id),
      onWriteTarget: (id) => (context.writeTarget = id),
    });
    doubleFault =
      scenario === 'double-fault' ? new DoubleFaultScenario(c, shape, root.child('double-fault'), holdTicks, electionTimeoutTicks) : undefined;
    reconfigFaults = reconfigOn
      ? new ReconfigFaults(c, { rate: reconfigRandom.pick([ratio(1, 40), ratio(1, 15)]), votersMax: 9 }, reconfigRandom.child('ops'), verbose)
      : undefined;
    const maxMessages = opts.maxMessages ?? 1_000_000;
    const storm = (): boolean => c.network.sent > maxMessages;
    // Safety phase.
    while (c.now < safetyTicks && !storm()) {
      c.step();
      // A staged scenario injects its own faults (the injector would heal its partition).
      if (doubleFault === undefined) faults.tick(c.now);
      reconfigFaults?.tick(c.now);
      doubleFault?.tick(c.now);
      for (const cl of clients) {
        if (cl.outstanding === undefined && clientRandom.chance(clientConfig.issue)) cl.invoke(c.now, clientConfig, clientRandom);
        cl.act(c.now, c, clientRandom, clientConfig);
      }
      for (const w of watchers) w.act(c.now, c);
    }
    doubleFaultReport = doubleFault?.report(c.now);
    // Liveness phase: at most N - max(L, P) voters of the configuration in force stay down
    // (none while a change is under way: a joint step, a newer configuration in some log, or a
    // change a leader has begun without an entry yet).
    const keep = new Set<number>();
    const inForce = currentConfig(c, bootstrap);
    const q = inForce.incoming.quorum;
    const spare =
      inForce.outgoing !== undefined || q.kind !== 'counting' || changeInFlight(c, inForce)
        ? 0
        : q.voters.length - Math.max(q.election, q.replication);
    const forced = config.sabotage.keepDownInLiveness;
    if (spare > 0 || forced !== undefined) {
      const drawn = root.child('liveness').nextInt(Math.max(0, spare) + 1);
      const k = forced ?? drawn;
      const order = root.child('liveness-order').shuffle([...stateVoters(inForce)]);
      for (const id of order.slice(0, k)) keep.add(id);
    }
    faults.stop(keep);
    const liveStart = c.now;
    const barrierId = barrier.invokeWrite(c.now, kvPut('barrier', 'done'));
    while (c.now - liveStart < livenessBound && !storm()) {
      c.step();
      for (const cl of all) cl.act(c.now, c, clientRandom, clientConfig);
      for (const w of watchers) w.act(c.now, c);
      if (all.every((cl) => cl.outstanding === undefined)) {
        const live = inConfig(c, bootstrap);
        const first = live[0];
        const barrierSlot = first?.sm.effects.get(barrierId);
        if (
          first !== undefined &&
          barrierSlot !== undefined &&
          first.sm.applied >= barrierSlot &&
          live.every((n) => n.sm.applied === first.sm.applied)
        ) {
          convergedAfter = c.now - liveStart;
          break;
        }
      }
    }
    if (storm()) {
      checker.report(8, `message storm: more than ${maxMessages} messages sent by tick ${c.now}`);
    } else if (convergedAfter === undefined) {
      const pending = all.filter((cl) => cl.outstanding !== undefined).map((cl) => cl.outstanding?.id);
      const applied = inConfig(c, bootstrap).map((n) => `${n.id}:${n.sm.applied}`);
      checker.report(8, `no convergence within ${livenessBound} ticks after faults stopped (down: [${[...keep].join(',')}]; pending: [${pending.join(',')}]; applied: ${applied.join(' ')})`);
    }
    // Without convergence the liveness violation says it all; lagging replicas would only add noise.
    if (convergedAfter !== undefined) checker.checkDurability(inConfig(c, bootstrap).map((n) => ({ id: n.id, has: (cmd: string) => n.sm.effects.has(cmd) })));
    // Invariant 11: leased keys disappear only through a revoke or a TTL without keep-alives.
    checker.checkLeaseExpiry((ttlMs) => expirySlackMs(config.clock, ttlMs));
    // Expiries never chosen by the end had no effect (after convergence nothing else is).
    if (convergedAfter !== undefined) for (const list of expiryProposals.values()) for (const id of list.splice(0)) history.fail(id);
    // Invariant 10: each watcher's deliveries against the chosen log (drained to the end when
    // the cluster converged).
    checker.checkWatchers(
      watchers.map((w) => ({ label: w.label, prefix: w.prefix, segments: w.segments, through: convergedAfter === undefined ? undefined : w.drain() })),
    );
    // Invariant 9 (a deliberately broken quorum system cannot be built from its spec).
    if (opts.unsafeQuorum !== true) {
      checker.checkConfigIntersection(bootstrap, (state) => quorumOfState(state));
    }
  } catch (e) {
    const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
    checker.report(0, `exception at tick ${cluster?.now ?? 0}: ${message}`);
  }
  // Invariant 5: the history of writes and lease/quorum reads must be linearizable. Reads
  // never answered had no effect and are dropped; writes never answered stay pending.
  for (const cl of all) {
    const unanswered = cl.unansweredRead();
    if (unanswered !== undefined) history.fail(unanswered);
  }
  const clock = opts.now;
  // An expiry of a lease no completed grant names concerns no operation of the history (its
  // grant's reply was lost with a seed that did not converge).
  const recorded = history.operations();
  const granted = new Set<number>();
  for (const o of recorded) if (o.output?.type === 'lease-grant') granted.add(o.output.lease);
  const ops = recorded.filter((o) => o.input.type !== 'lease-revoke' || o.input.reason !== 'expired' || granted.has(o.input.lease));
  const checkStart = clock?.() ?? 0;
  const lin = checkLinearizability(
    flexKvModel,
    ops,
    clock === undefined ? {} : { timeBudgetMs: opts.checkBudgetMs ?? 10_000, now: clock },
  );
  const checkMs = clock === undefined ? 0 : clock() - checkStart;
  if (lin.verdict === 'not-linearizable') {
    const ce = lin.counterexample;
    const prefix = new Set(ce?.longestLinearizable ?? []);
    const left = (ce?.operations ?? []).filter((o) => !prefix.has(o)).slice(0, 4);
    const describe = left.map((o) => `${String(o.clientId)} ${JSON.stringify(o.input)} -> ${JSON.stringify(o.output) ?? 'pending'} [${o.call}, ${o.return ?? 'inf'}]`);
    checker.report(5, `client history is not linearizable (partition ${lin.failedPartition ?? '?'}, ${ce?.operations.length ?? 0} operations; first not linearizable: ${describe.join('; ')})`);
  }
  const counts = faults?.counts ?? { crashes: 0, bounces: 0, pauses: 0, partitions: 0, nemeses: 0 };
  const violationCount = [...checker.counts.values()].reduce((a, b) => a + b, 0);
  const live = cluster?.liveNodes().length ?? 0;
  const summary =
    `N=${shape.nodes} P=${shape.replication} L=${shape.election}${config.thrifty ? ' thrifty' : ''}` +
    ` batch<=${config.batchCommandsMax}/${config.batchBytesMax}B window=${config.inflightSlotsMax}` +
    `${config.compactEverySlots > 0 ? ` compact/${config.compactEverySlots}` : ''}` +
    ` | net delay<=${config.network.maxDelayTicks} slow=${fmtRatio(config.network.slow)} loss=${fmtRatio(config.network.loss)} dup=${fmtRatio(config.network.duplication)}` +
    ` | faults: ${counts.crashes} crashes, ${counts.bounces} bounces, ${counts.pauses} pauses, ${counts.partitions} partitions${counts.nemeses > 0 ? `, ${counts.nemeses} lease nemeses` : ''}` +
    `${doubleFaultReport === undefined ? '' : ` | double fault (${doubleFaultReport.variant}, side of ${doubleFaultReport.sideSize}, auto-subset ${opts.autoSubset === false ? 'off' : 'on'}): ${doubleFaultReport.recoveredAfterTicks === undefined ? 'LOCKED UP until healed' : `writes resumed ${doubleFaultReport.recoveredAfterTicks} ticks after the leader crash`}`}` +
    `${reconfigFaults === undefined ? '' : ` | reconfig${config.unsafeReconfig ? ' UNSAFE' : ''}: ${reconfigFaults.counts.started} changes, ${reconfigFaults.counts.transfers} transfers, ${reconfigFaults.counts.refused} refused, ${spares} spares, final ${describeState(currentConfig(cluster as SimCluster, bootstrap))}`}` +
    ` | ops: ${checker.proposedCount} proposed, ${checker.acked.size} acked, ${checker.duplicatesDeduped} duplicates deduped` +
    `${full ? ` (txns ${context.stats.txns.succeeded} succeeded, ${context.stats.txns.failed} failed)` : ''}` +
    ` | checked: agreement+validity over ${checker.appliedSlots} slot applies, exactly-once over ${checker.commandsTookEffect} command effects,` +
    ` durability of ${checker.acked.size} acks on ${live} live, promises,` +
    ` KV state at ${checker.kvStatesCompared} applies, ${checker.staleReadsChecked} stale reads,` +
    `${watchers.length === 0 ? '' : ` ${watchers.length} watchers (${checker.watchSegmentsChecked} segments, ${checker.watchEventsChecked} changes in order, ${watchStats.moves} moves, cancelled ${watchStats.cancelled.reset} reset/${watchStats.cancelled.slow} slow/${watchStats.cancelled.compacted} compacted, ${watchStats.compactedAnswers} compacted answers; history ${watchConfig?.historyEventsMax}, queue ${watchConfig?.watcherQueueEventsMax}),`}` +
    `${leaseClientCount === 0 ? '' : ` key leases (${leaseClientCount} clients: ${context.stats.leases.granted} granted, ${checker.keepalivesAcked} keep-alives acknowledged, ${checker.leasesExpired} expired, ${context.stats.leases.lost} found lost),`}` +
    ` history of ${ops.length} ops ${lin.verdict},` +
    ` leases ${config.lease === undefined ? 'off' : `${config.lease.leaseDurationMs}/${config.lease.clockDriftBoundMs} ms${config.lease.unsafeLease ? ' UNSAFE' : ''}`} (clocks ${config.clock.rateErrorPpm} ppm, steps ${config.clock.stepMsMax} ms, jitter ${config.clock.jitterMsMax} ms),` +
    ` liveness ${convergedAfter === undefined ? 'FAILED' : `in ${convergedAfter} ticks`}`;
  return {
    seed: opts.seed,
    shape,
    violations: checker.violations,
    violationCount,
    ticks: cluster?.now ?? 0,
    convergedAfterTicks: convergedAfter,
    faults: counts,
    doubleFault: doubleFaultReport,
    reconfig: { on: reconfigOn, ...(reconfigFaults?.counts ?? { started: 0, refused: 0, transfers: 0 }) },
    proposed: checker.proposedCount,
    acked: checker.acked.size,
    appliedSlots: checker.appliedSlots,
    duplicatesDeduped: checker.duplicatesDeduped,
    messagesSent: cluster?.network.sent ?? 0,
    summary,
    faultLog: [...(faults?.log ?? []), ...(reconfigFaults?.log ?? [])],
    linearizability: lin.verdict,
    historyOperations: ops.length,
    checkMs,
    checkSteps: lin.steps,
    reads: cluster?.readsServed ?? { stale: 0, lease: 0, quorum: 0, leaseFallback: 0 },
  };
}

/** The command line that replays `seed` with the same flags. */
export function replayCommand(
  seed: number,
  opts: Pick<
    SeedOptions,
    'nodes' | 'replication' | 'election' | 'unsafeQuorum' | 'unsafeLease' | 'leases' | 'reconfig' | 'unsafeReconfig' | 'scenario' | 'autoSubset' | 'preVote' | 'workload'
  >,
): string {
  const parts = ['pnpm sim --seeds 1', `--first-seed ${seed}`];
  if (opts.nodes !== undefined) parts.push(`--nodes ${opts.nodes}`);
  if (opts.replication !== undefined) parts.push(`--replication ${opts.replication}`);
  if (opts.election !== undefined) parts.push(`--election ${opts.election}`);
  if (opts.unsafeQuorum === true) parts.push('--unsafe-quorum');
  if (opts.unsafeLease === true) parts.push('--unsafe-lease');
  if (opts.leases === false) parts.push('--no-leases');
  if (opts.reconfig === true) parts.push('--reconfig');
  if (opts.reconfig === false) parts.push('--no-reconfig');
  if (opts.unsafeReconfig === true) parts.push('--unsafe-reconfig');
  if (opts.scenario !== undefined) parts.push(`--scenario ${opts.scenario}`);
  if (opts.autoSubset === false) parts.push('--no-auto-subset');
  if (opts.preVote === false) parts.push('--no-pre-vote');
  if (opts.preVote === true) parts.push('--pre-vote');
  if (opts.workload === 'basic') parts.push('--basic-workload');
  parts.push('--verbose');
  return parts.join(' ');
}

/** The configuration in force at the end: the highest configuration entry any node applied. */
function currentConfig(c: SimCluster, bootstrap: ConfigState): ConfigState {
  let best: ConfigState = bootstrap;
  let bestSlot = 0;
  for (const [slot, state] of c.checker.configAt) {
    if (slot > bestSlot) {
      bestSlot = slot;
      best = state;
    }
  }
  return best;
}

/**
 * Whether some node's log holds a configuration newer than `inForce` (a change under way): the
 * replica's log for a node that is up, its durable log for one that is down.
 */
function changeInFlight(c: SimCluster, inForce: ConfigState): boolean {
  const key = JSON.stringify(inForce);
  let inForceSlot = 0;
  for (const [slot, state] of c.checker.configAt) if (state === inForce) inForceSlot = Math.max(inForceSlot, slot);
  return c.nodes.some((n) => {
    if (n.replica !== undefined) {
      const config = (n.replica.status() as { config?: { latest?: ConfigState; pending?: unknown } }).config;
      // A leader's change that has no log entry yet (learners catching up, pipeline draining).
      if (config?.pending !== undefined) return true;
      const latest = config?.latest;
      return latest !== undefined && JSON.stringify(latest) !== key;
    }
    for (const [slot, e] of n.disk.durable.entries) {
      if (slot > inForceSlot && e.value.kind === 'config') return true;
    }
    return false;
  });
}

/** Live nodes that are members (voters or learners) of the configuration in force. */
function inConfig(c: SimCluster, bootstrap: ConfigState): ReturnType<SimCluster['liveNodes']> {
  const members = new Set<number>(stateMembers(currentConfig(c, bootstrap)));
  return c.liveNodes().filter((n) => members.has(n.id));
}

/** The quorum system of a configuration in force (joint during a joint step). */
function quorumOfState(state: ConfigState): ReturnType<typeof quorumFromSpec> {
  const incoming = quorumFromSpec(state.incoming.quorum);
  return state.outgoing === undefined ? incoming : jointQuorum(quorumFromSpec(state.outgoing.quorum), incoming);
}

function describeState(state: ConfigState): string {
  const one = (q: ConfigState['incoming']['quorum']): string =>
    q.kind === 'counting' ? `N=${q.voters.length} P=${q.replication} L=${q.election}` : 'grid';
  return state.outgoing === undefined ? one(state.incoming.quorum) : `joint(${one(state.outgoing.quorum)}|${one(state.incoming.quorum)})`;
}

/**
 * How much earlier than a TTL in true time a leader may decide a lease expired: its clock may
 * run fast by the rate error, step forward (at most once per three leader leases) and jitter
 * at both ends of the interval (the clock model of `clock.ts`).
 */
export function expirySlackMs(clock: ClockModel, ttlMs: number): number {
  const rho = clock.rateErrorPpm / 1_000_000;
  const steps = clock.stepMsMax * (Math.floor(ttlMs / (3 * clock.leaseDurationMs)) + 2);
  return Math.max(0, Math.ceil(ttlMs - (ttlMs - steps - 2 * clock.jitterMsMax) / (1 + rho)));
}

/** No random faults (a staged scenario injects its own). */
function quietFaults(): FaultConfig {
  return {
    crash: NEVER,
    bounce: NEVER,
    pause: NEVER,
    partition: NEVER,
    maxDownTicks: 150,
    maxPauseTicks: 60,
    maxPartitionTicks: 200,
    leaseNemesis: NEVER,
  };
}
