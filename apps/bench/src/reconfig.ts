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
import { SAMPLE_MS, renderTimelineChart, roundTimeline, startLoad } from './load.js';
import type { Load, Sample } from './load.js';
import { waitLeader } from './run-point.js';

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
  readonly timeline: readonly Sample[];
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
  let load: Load | undefined;
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
    load = await startLoad(c, options, clients);
    const l = load;
    l.startSampling();
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
      const startS = l.nowS();
      const begin = performance.now();
      const config = await ch.run();
      const durationMs = Math.round(performance.now() - begin);
      raw.push({ change: ch.change, startS, endS: l.nowS(), durationMs, config });
      say(`${ch.change}: in force after ${durationMs} ms (${config})`);
      await sleep(Math.max(gapS, AROUND_S) * 1000);
    }
    await l.stop();
    const baseline = l.rate(0, baselineS);
    const steps = raw.map((r): ReconfigStepRecord => {
      const during = l.timeline.filter((p) => p.tS > r.startS && p.tS <= r.endS + SAMPLE_MS / 1000);
      return {
        change: r.change,
        startS: Math.round(r.startS * 10) / 10,
        durationMs: r.durationMs,
        writesPerSecAround: Math.round(l.rate(r.startS - AROUND_S, r.startS + AROUND_S)),
        baselineWritesPerSec: Math.round(baseline),
        minSampleWritesPerSec: Math.round(
          during.length === 0 ? 0 : Math.min(...during.map((p) => p.writesPerSec)),
        ),
        config: r.config,
      };
    });
    return {
      clients,
      clientProcesses: l.clientProcesses,
      valueSizeBytes: options.valueSizeBytes,
      baselineWritesPerSec: Math.round(baseline),
      steps,
      timeline: roundTimeline(l.timeline),
    };
  } finally {
    await load?.stop();
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

/** The throughput timeline with a marker at each change. */
export function renderReconfigChart(r: ReconfigResult): string {
  return renderTimelineChart(
    `FlexPaxos: acknowledged writes/s through runtime configuration changes (${r.clients} clients, ${r.valueSizeBytes} B values, fsync on)`,
    [{ label: 'N=3 P=2 at the start', timeline: r.timeline }],
    r.steps.map((s) => ({ tS: s.startS, label: s.change })),
  );
}
