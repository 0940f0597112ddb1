/**
 * `pnpm bench --reconfig`: write throughput around runtime configuration changes on one real
 * cluster under a steady closed-loop load (the same client processes as every point).
 *
 * A cluster of N = 3, P = 2 starts with two more nodes running with `--join`; after a warm-up
 * and a quiet baseline, the control client makes these changes one after the other, waiting
 * for each to be in force and then `gapS` seconds: add node 4, add node 5, P = 3, P = 2,
 * remove node 5, transfer leadership. The client processes report their acknowledged writes
 * every {@link SAMPLE_MS} ms, which gives a throughput timeline; for each change the record
 * holds how long it took to be in force, the writes per second in the 10 s around it (5 s
 * before it began to 5 s after it began), the baseline for comparison, and the worst
 * {@link SAMPLE_MS} ms sample while it ran (0 would mean writes stopped).
 */
import { FlexPaxosClient } from '@flexpaxos/client';
import type { BenchOptions } from './args.js';
import { startCluster } from './cluster.js';
import type { Cluster } from './cluster.js';
import { NO_DELAY, linkDelays } from './delay.js';
import { spawnWorkerProcess } from './processes.js';
import { REPO_ROOT } from './cluster.js';
import { Worker, splitClients, waitLeader, workerCommand } from './run-point.js';
import type { WorkerConfig } from './worker-protocol.js';

/** Length of one throughput sample. */
export const SAMPLE_MS = 250;
/** Seconds on each side of a change's start that its window covers. */
const AROUND_S = 5;

/** One change and the throughput around it. */
export interface ReconfigStepRecord {
  readonly change: string;
  /** Seconds since the measured timeline began. */
  readonly startS: number;
  /** From the request to the reply "in force". */
  readonly durationMs: number;
  /** Acknowledged writes per second from 5 s before the change began to 5 s after. */
  readonly writesPerSecAround: number;
  /** The baseline (no change running) for comparison. */
  readonly baselineWritesPerSec: number;
  /** The lowest {@link SAMPLE_MS} ms sample while the change ran, in writes per second. */
  readonly minSampleWritesPerSec: number;
  /** The configuration once in force, e.g. `N=4 P=2 L=3 [1,2,3,4]`. */
  readonly config: string;
}

/** The output of a `--reconfig` run. */
export interface ReconfigResult {
  readonly clients: number;
  readonly clientProcesses: number;
  readonly valueSizeBytes: number;
  readonly baselineWritesPerSec: number;
  readonly steps: readonly ReconfigStepRecord[];
  /** Writes per second of every sample, from the start of the baseline. */
  readonly timeline: readonly { readonly tS: number; readonly writesPerSec: number }[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs the reconfiguration scenario (see the module comment). */
export async function runReconfigBench(
  options: BenchOptions,
  say: (line: string) => void,
  gapS = 6,
): Promise<ReconfigResult> {
  const clients = options.clients[0] ?? 64;
  const delays = linkDelays(NO_DELAY, 5, undefined);
  if (!delays.ok) throw new Error(delays.problems.join('\n'));
  let cluster: Cluster | undefined;
  let control: FlexPaxosClient | undefined;
  const workers: Worker[] = [];
  try {
    cluster = await startCluster({
      nodes: 3,
      replication: 2,
      election: 2,
      thrifty: options.thrifty,
      linkDelays: delays.value,
    });
    const c = cluster;
    await Promise.all([c.startJoiner(4), c.startJoiner(5)]);
    control = await FlexPaxosClient.connect({
      servers: [c.natsUrl],
      cluster: c.clusterName,
      timeoutMs: 10_000,
      name: 'flexpaxos-bench-control',
    });
    await waitLeader(control, 30_000);
    const cmd = workerCommand();
    for (const [index, n] of splitClients(clients, options.clientProcs).entries()) {
      const config: WorkerConfig = {
        index,
        target: { system: 'flexpaxos', servers: [c.natsUrl], cluster: c.clusterName },
        clients: n,
        valueSizeBytes: options.valueSizeBytes,
        readRatio: options.readRatio,
        readMode: options.readMode,
        keysPerClient: options.keysPerClient,
      };
      workers.push(
        new Worker(
          spawnWorkerProcess(
            `client ${index}`,
            [...cmd, JSON.stringify(config), 'flexpaxos-sweep-client'],
            REPO_ROOT,
          ),
        ),
      );
    }
    await Promise.all(workers.map((w) => w.next('ready', 60_000)));
    for (const w of workers) w.send({ type: 'start' });
    await sleep(options.warmupS * 1000);

    // The sampler: every SAMPLE_MS, each process reports its window and starts the next.
    const timeline: { tS: number; writesPerSec: number }[] = [];
    const t0 = performance.now();
    let sampling = true;
    for (const w of workers) w.send({ type: 'measure' });
    const sampler = (async () => {
      while (sampling) {
        await sleep(SAMPLE_MS);
        for (const w of workers) w.send({ type: 'report' });
        const reports = await Promise.all(workers.map((w) => w.next('report', 15_000)));
        for (const w of workers) w.send({ type: 'measure' });
        const writes = reports.reduce((s, r) => s + r.writes, 0);
        const ms = Math.max(...reports.map((r) => r.windowMs));
        timeline.push({ tS: (performance.now() - t0) / 1000, writesPerSec: (writes * 1000) / ms });
      }
    })();
    const rate = (fromS: number, toS: number): number => {
      const xs = timeline.filter((p) => p.tS > fromS && p.tS <= toS);
      return xs.length === 0 ? 0 : xs.reduce((s, p) => s + p.writesPerSec, 0) / xs.length;
    };

    const baselineS = Math.max(AROUND_S, options.durationS);
    say(`baseline: ${baselineS} s of writes with no change`);
    await sleep(baselineS * 1000);
    const ctl = control;
    const changes: { change: string; run: () => Promise<string> }[] = [
      { change: 'add node 4', run: async () => (await ctl.addMember(4)).config.quorum.text },
      { change: 'add node 5', run: async () => (await ctl.addMember(5)).config.quorum.text },
      {
        change: 'P=3',
        run: async () => (await ctl.setQuorum({ replication: 3 })).config.quorum.text,
      },
      {
        change: 'P=2',
        run: async () => (await ctl.setQuorum({ replication: 2 })).config.quorum.text,
      },
      { change: 'remove node 5', run: async () => (await ctl.removeMember(5)).config.quorum.text },
      {
        change: 'transfer leadership',
        run: async () => {
          const leader = await waitLeader(ctl, 10_000);
          const to = [1, 2, 3, 4].find((id) => id !== leader) ?? 1;
          const r = await ctl.transferLeader(to);
          return `leader ${leader} -> ${r.leader ?? '?'}`;
        },
      },
    ];
    const raw: {
      change: string;
      startS: number;
      endS: number;
      durationMs: number;
      config: string;
    }[] = [];
    for (const ch of changes) {
      const startS = (performance.now() - t0) / 1000;
      const begin = performance.now();
      const config = await ch.run();
      const durationMs = Math.round(performance.now() - begin);
      raw.push({
        change: ch.change,
        startS,
        endS: (performance.now() - t0) / 1000,
        durationMs,
        config,
      });
      say(`${ch.change}: in force after ${durationMs} ms (${config})`);
      await sleep(Math.max(gapS, AROUND_S) * 1000);
    }
    sampling = false;
    await sampler;
    const baseline = rate(0, baselineS);
    const steps = raw.map((r): ReconfigStepRecord => {
      const during = timeline.filter((p) => p.tS > r.startS && p.tS <= r.endS + SAMPLE_MS / 1000);
      return {
        change: r.change,
        startS: Math.round(r.startS * 10) / 10,
        durationMs: r.durationMs,
        writesPerSecAround: Math.round(rate(r.startS - AROUND_S, r.startS + AROUND_S)),
        baselineWritesPerSec: Math.round(baseline),
        minSampleWritesPerSec: Math.round(
          during.length === 0 ? 0 : Math.min(...during.map((p) => p.writesPerSec)),
        ),
        config: r.config,
      };
    });
    return {
      clients,
      clientProcesses: workers.length,
      valueSizeBytes: options.valueSizeBytes,
      baselineWritesPerSec: Math.round(baseline),
      steps,
      timeline: timeline.map((p) => ({
        tS: Math.round(p.tS * 100) / 100,
        writesPerSec: Math.round(p.writesPerSec),
      })),
    };
  } finally {
    for (const w of workers) w.send({ type: 'stop' });
    await Promise.all(workers.map((w) => Promise.race([w.child.exited, sleep(5000)])));
    await Promise.all(workers.map((w) => w.child.kill()));
    await control?.close().catch(() => undefined);
    await cluster?.stop();
  }
}

/** The steps as a Markdown table. */
export function formatReconfigTable(r: ReconfigResult): string {
  const head = [
    '| change | in force after | writes/s in the 10 s around | baseline writes/s | lowest 250 ms sample (writes/s) | configuration |',
    '| --- | --: | --: | --: | --: | --- |',
  ];
  const rows = r.steps.map(
    (s) =>
      `| ${s.change} | ${s.durationMs} ms | ${s.writesPerSecAround} | ${s.baselineWritesPerSec} | ${s.minSampleWritesPerSec} | ${s.config} |`,
  );
  return [...head, ...rows].join('\n');
}

/** A small SVG chart of the throughput timeline with a marker at each change. */
export function renderReconfigChart(r: ReconfigResult): string {
  const w = 900;
  const h = 320;
  const pad = { l: 60, r: 20, t: 40, b: 40 };
  const maxT = Math.max(1, ...r.timeline.map((p) => p.tS));
  const maxY = Math.max(1, ...r.timeline.map((p) => p.writesPerSec)) * 1.1;
  const x = (t: number): number => pad.l + (t / maxT) * (w - pad.l - pad.r);
  const y = (v: number): number => h - pad.b - (v / maxY) * (h - pad.t - pad.b);
  const line = r.timeline
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.tS).toFixed(1)},${y(p.writesPerSec).toFixed(1)}`)
    .join(' ');
  const markers = r.steps
    .map(
      (s) =>
        `<line x1="${x(s.startS).toFixed(1)}" y1="${pad.t}" x2="${x(s.startS).toFixed(1)}" y2="${h - pad.b}" stroke="#c33" stroke-dasharray="4 3"/>` +
        `<text x="${(x(s.startS) + 3).toFixed(1)}" y="${pad.t + 12}" font-size="11" fill="#c33" transform="rotate(0)">${escapeXml(s.change)}</text>`,
    )
    .join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const v = Math.round(maxY * f);
      return `<text x="${pad.l - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${v}</text><line x1="${pad.l}" x2="${w - pad.r}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${w / 2}" y="22" text-anchor="middle" font-size="14">FlexPaxos: acknowledged writes/s through runtime configuration changes (${r.clients} clients, ${r.valueSizeBytes} B values, fsync on)</text>
${ticks}
<path d="${line}" fill="none" stroke="#36c" stroke-width="1.5"/>
${markers}
<text x="${w / 2}" y="${h - 8}" text-anchor="middle" font-size="12">seconds</text>
</svg>
`;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
