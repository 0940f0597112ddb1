/**
 * A worker process of `pnpm bench --scenario kv` (`kv.ts`): one `FlexPaxosClient` with the
 * client's defaults, as one application holds, running the phase it is set up for
 * (`kv-protocol.ts`):
 *
 * - role `client`: the writer (closed loops of puts whose values carry a sequence number and
 *   the send time), the keep-alive callers, or the compare-and-swap transaction clients;
 * - role `watchers`: prefix watchers, each consuming its own `for await` loop and checking
 *   what it receives: per writer loop (one key each) the sequence numbers must run 0, 1, 2, ...
 *   without a gap or a repeat, the revisions a watcher sees never go down, and each key's
 *   revisions strictly increase. The delivery lag of an event is its arrival time minus the
 *   send time in its value (both epoch ms on one machine).
 *
 * Run by the benchmark only (`node kv-worker.js '<KvWorkerConfig JSON>' flexpaxos-sweep-kv`),
 * driven over IPC; it exits when told to stop and when its IPC channel closes.
 */
import { FlexPaxosClient, FlexPaxosClientError, WatchCompactedError } from '@flexpaxos/client';
import type { Watch } from '@flexpaxos/client';
import { encodeHistogram, newLatencyHistogram, recordMs } from './histogram.js';
import { WatchChecker, writerValue } from './kv-check.js';
import type { FromKvWorker, KvPhase, ToKvWorker, WatchIntegrity } from './kv-protocol.js';
import { epochMs } from './worker-protocol.js';
import type { KvWorkerConfig } from './kv-protocol.js';

const config = JSON.parse(process.argv[2] ?? '{}') as KvWorkerConfig;

function send(msg: FromKvWorker): void {
  process.send?.(msg);
}

process.on('disconnect', () => process.exit(0));

const client = await FlexPaxosClient.connect({
  servers: [...config.servers],
  cluster: config.cluster,
  name: `flexpaxos-sweep-kv-${config.role}`,
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// The measured window, shared by every phase.
let measuring = false;
let ops = 0;
let succeeded = 0;
let errors = 0;
let phaseErrors = 0;
let errorsByCode: Record<string, number> = {};
let hist = newLatencyHistogram();
let windowStart = epochMs();
let cpuStart = process.cpuUsage();

function resetWindow(): void {
  ops = 0;
  succeeded = 0;
  errors = 0;
  errorsByCode = {};
  hist.destroy();
  hist = newLatencyHistogram();
  windowStart = epochMs();
  cpuStart = process.cpuUsage();
}

function countError(err: unknown): void {
  phaseErrors++;
  errors++;
  const code =
    err instanceof FlexPaxosClientError ? err.code : err instanceof Error ? err.name : 'other';
  errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
}

/** A phase that runs closed loops (writer, keep-alive, transactions). */
interface LoopPhase {
  readonly loops: number;
  /** One operation of loop `i`; resolves with whether it succeeded (a txn's compare held). */
  run(i: number): Promise<boolean>;
  /** After the loops stopped (revoke leases). */
  cleanup?(): Promise<void>;
  readonly finalSeq?: number[];
}

let running = false;
let loopPhase: LoopPhase | undefined;
let loopPromises: Promise<void>[] = [];

async function loop(p: LoopPhase, i: number): Promise<void> {
  while (running) {
    const t0 = performance.now();
    try {
      const ok = await p.run(i);
      if (measuring) {
        ops++;
        if (ok) succeeded++;
        recordMs(hist, performance.now() - t0);
      }
    } catch (err) {
      countError(err);
      await sleep(10);
    }
  }
}

function setupWriter(phase: Extract<KvPhase, { kind: 'write' }>): LoopPhase {
  const next = new Array<number>(phase.clients).fill(0);
  const finalSeq = new Array<number>(phase.clients).fill(-1);
  return {
    loops: phase.clients,
    finalSeq,
    // A put that failed is sent again with the same sequence number (a watcher counts a
    // duplicate only if the failed one had been applied too; the phase reports the errors).
    run: async (i) => {
      const seq = next[i] ?? 0;
      await client.put(`${phase.prefix}${i}`, writerValue(seq, epochMs(), phase.valueSizeBytes));
      finalSeq[i] = seq;
      next[i] = seq + 1;
      return true;
    },
  };
}

async function setupKeepalive(phase: Extract<KvPhase, { kind: 'keepalive' }>): Promise<LoopPhase> {
  const leases: number[] = [];
  for (let i = 0; i < phase.leases; i += 16) {
    const batch = Array.from({ length: Math.min(16, phase.leases - i) }, () =>
      client.leaseGrant(phase.ttlMs),
    );
    for (const g of await Promise.all(batch)) leases.push(g.lease);
  }
  let turn = 0;
  return {
    loops: phase.callers,
    run: async () => {
      const lease = leases[turn++ % leases.length] ?? 0;
      await client.leaseKeepalive(lease);
      return true;
    },
    cleanup: async () => {
      await Promise.allSettled(leases.map((l) => client.leaseRevoke(l)));
    },
  };
}

async function setupTxn(phase: Extract<KvPhase, { kind: 'txn' }>): Promise<LoopPhase> {
  const value = 'x'.repeat(phase.valueSizeBytes);
  const keyOf = (i: number): string => `${phase.prefix}${i % phase.keys}`;
  const initial = new Map<number, number>();
  for (let k = 0; k < phase.keys; k++) {
    initial.set(k, (await client.put(`${phase.prefix}${k}`, value)).revision);
  }
  // Each loop keeps the mod revision it last saw of its key.
  const known = Array.from({ length: phase.clients }, (_, i) => initial.get(i % phase.keys) ?? 0);
  return {
    loops: phase.clients,
    run: async (i) => {
      const key = keyOf(i);
      const r = await client.txn({
        compare: [{ key, target: 'mod-revision', op: '=', value: known[i] ?? 0 }],
        success: [
          { type: 'put', key, value },
          { type: 'get', key },
        ],
        failure: [{ type: 'get', key }],
      });
      const got = r.results[r.succeeded ? 1 : 0];
      known[i] = got?.type === 'get' ? (got.entry?.revision ?? 0) : r.revision;
      return r.succeeded;
    },
  };
}

/** One watcher and what it saw. */
interface Watcher {
  readonly watch: Watch;
  readonly check: WatchChecker;
  ended: 'compacted' | 'failed' | undefined;
  done: Promise<void>;
}

let watchers: Watcher[] = [];
const errorSamples: string[] = [];

function startWatcher(phase: Extract<KvPhase, { kind: 'watch' }>, index: number): Watcher {
  const node = phase.nodes[index % phase.nodes.length];
  const watch = client.watch(phase.prefix, {
    prefix: true,
    ...(node === undefined ? {} : { node }),
  });
  const w: Watcher = {
    watch,
    check: new WatchChecker(phase.prefix, phase.loops),
    ended: undefined,
    done: Promise.resolve(),
  };
  const consume = async (): Promise<void> => {
    try {
      for await (const ev of watch) {
        const sentAt = w.check.see(ev);
        if (measuring) {
          ops++;
          recordMs(hist, epochMs() - sentAt);
        }
      }
    } catch (err) {
      w.ended = err instanceof WatchCompactedError ? 'compacted' : 'failed';
      if (errorSamples.length < 5) errorSamples.push(String(err));
      countError(err);
    }
  };
  w.done = consume();
  return w;
}

async function setupWatchers(phase: Extract<KvPhase, { kind: 'watch' }>): Promise<void> {
  watchers = [];
  errorSamples.length = 0;
  // Created in groups of 100, each group once every watch of it was created at a node.
  for (let i = 0; i < phase.watchers; i += 100) {
    const group: Watcher[] = [];
    for (let j = i; j < Math.min(phase.watchers, i + 100); j++) group.push(startWatcher(phase, j));
    watchers.push(...group);
    await Promise.all(group.map((w) => w.watch.ready));
  }
}

async function finishWatchers(
  finalSeq: readonly number[],
  drainTimeoutMs: number,
): Promise<WatchIntegrity> {
  const t0 = performance.now();
  while (
    performance.now() - t0 < drainTimeoutMs &&
    !watchers.every((w) => w.ended !== undefined || w.check.isComplete(finalSeq))
  ) {
    await sleep(20);
  }
  const drainMs = Math.round(performance.now() - t0);
  const byNode: Record<string, number> = {};
  for (const w of watchers) {
    const id = String(w.watch.node ?? 'none');
    byNode[id] = (byNode[id] ?? 0) + 1;
  }
  const events = watchers.map((w) => w.check.events);
  const sum = (f: (w: Watcher) => number): number => watchers.reduce((s, w) => s + f(w), 0);
  const integrity: WatchIntegrity = {
    watchers: watchers.length,
    events: events.reduce((s, n) => s + n, 0),
    minEventsPerWatcher: events.length === 0 ? 0 : Math.min(...events),
    maxEventsPerWatcher: events.length === 0 ? 0 : Math.max(...events),
    complete: watchers.filter((w) => w.ended === undefined && w.check.isComplete(finalSeq)).length,
    gaps: sum((w) => w.check.gaps),
    duplicates: sum((w) => w.check.duplicates),
    unexpected: sum((w) => w.check.unexpected),
    missingAtEnd: sum((w) => w.check.missingAtEnd(finalSeq)),
    revisionRegressions: sum((w) => w.check.revisionRegressions),
    compacted: watchers.filter((w) => w.ended === 'compacted').length,
    failed: watchers.filter((w) => w.ended === 'failed').length,
    resumes: sum((w) => w.watch.resumes),
    drainMs,
    byNode,
    errorSamples: [...errorSamples],
  };
  for (const w of watchers) w.watch.cancel();
  await Promise.all(watchers.map((w) => w.done));
  watchers = [];
  return integrity;
}

async function setup(phase: KvPhase): Promise<void> {
  phaseErrors = 0;
  resetWindow();
  switch (phase.kind) {
    case 'write':
      loopPhase = setupWriter(phase);
      break;
    case 'keepalive':
      loopPhase = await setupKeepalive(phase);
      break;
    case 'txn':
      loopPhase = await setupTxn(phase);
      break;
    case 'watch':
      loopPhase = undefined;
      await setupWatchers(phase);
      break;
    default: {
      const never: never = phase;
      throw new Error(`unknown phase ${JSON.stringify(never)}`);
    }
  }
}

async function finish(m: Extract<ToKvWorker, { type: 'finish' }>): Promise<void> {
  measuring = false;
  if (loopPhase !== undefined) {
    running = false;
    await Promise.all(loopPromises);
    loopPromises = [];
    const p = loopPhase;
    loopPhase = undefined;
    await p.cleanup?.();
    send({
      type: 'finished',
      errors: phaseErrors,
      ...(p.finalSeq === undefined ? {} : { finalSeq: p.finalSeq }),
    });
    return;
  }
  const watch = await finishWatchers(m.finalSeq ?? [], m.drainTimeoutMs ?? 30_000);
  send({ type: 'finished', errors: phaseErrors, watch });
}

function fatal(err: unknown): void {
  send({ type: 'fatal', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  setTimeout(() => process.exit(1), 100);
}

process.on('message', (m: ToKvWorker) => {
  switch (m.type) {
    case 'setup':
      setup(m.phase).then(() => send({ type: 'ready' }), fatal);
      break;
    case 'start':
      if (loopPhase !== undefined) {
        running = true;
        const p = loopPhase;
        loopPromises = Array.from({ length: p.loops }, (_, i) => loop(p, i));
      }
      break;
    case 'measure':
      resetWindow();
      measuring = true;
      break;
    case 'report': {
      const windowMs = epochMs() - windowStart;
      const cpu = process.cpuUsage(cpuStart);
      send({
        type: 'report',
        windowMs,
        ops,
        succeeded,
        errors,
        errorsByCode,
        histogram: encodeHistogram(hist),
        cpuPct: windowMs > 0 ? ((cpu.user + cpu.system) / 1000 / windowMs) * 100 : 0,
      });
      break;
    }
    case 'finish':
      finish(m).catch(fatal);
      break;
    case 'stop':
      running = false;
      void Promise.race([Promise.allSettled(loopPromises), sleep(200)])
        .then(() => client.close())
        .finally(() => process.exit(0));
      break;
    default: {
      const never: never = m;
      throw new Error(`unknown message ${JSON.stringify(never)}`);
    }
  }
});

send({ type: 'hello' });
