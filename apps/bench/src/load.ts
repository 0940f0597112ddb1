/**
 * A steady closed-loop load on one FlexPaxos cluster with a throughput timeline, for the
 * scenario runs (`reconfig.ts`, `double-fault.ts`): the same client processes as every sweep
 * point (`worker.ts`), asked every {@link SAMPLE_MS} ms for the writes they got acknowledged.
 */
import type { BenchOptions } from './args.js';
import { REPO_ROOT } from './cluster.js';
import type { Cluster } from './cluster.js';
import { spawnWorkerProcess } from './processes.js';
import { Worker, splitClients, workerCommand } from './run-point.js';
import type { WorkerConfig } from './worker-protocol.js';

/** Length of one throughput sample. */
export const SAMPLE_MS = 250;

/** One sample: acknowledged writes per second over the {@link SAMPLE_MS} ms ending at `tS`. */
export interface Sample {
  readonly tS: number;
  readonly writesPerSec: number;
}

/** A running load; see the module comment. */
export interface Load {
  readonly clientProcesses: number;
  /** The samples so far (from {@link Load.startSampling} on). */
  readonly timeline: readonly Sample[];
  /** Seconds since sampling began. */
  nowS(): number;
  /** Begins the timeline (after the warm-up). */
  startSampling(): void;
  /** Mean writes per second of the samples in (fromS, toS]. */
  rate(fromS: number, toS: number): number;
  /** Stops sampling and the client processes. */
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts `clients` closed-loop clients against `cluster` and warms them up. */
export async function startLoad(
  cluster: Cluster,
  options: BenchOptions,
  clients: number,
): Promise<Load> {
  const workers: Worker[] = [];
  const cmd = workerCommand();
  const stopWorkers = async (): Promise<void> => {
    for (const w of workers) w.send({ type: 'stop' });
    await Promise.all(workers.map((w) => Promise.race([w.child.exited, sleep(5000)])));
    await Promise.all(workers.map((w) => w.child.kill()));
  };
  try {
    for (const [index, n] of splitClients(clients, options.clientProcs).entries()) {
      const config: WorkerConfig = {
        index,
        target: { system: 'flexpaxos', servers: [cluster.natsUrl], cluster: cluster.clusterName },
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
  } catch (err) {
    await stopWorkers();
    throw err;
  }
  const timeline: Sample[] = [];
  let t0 = performance.now();
  let sampling = false;
  let sampler: Promise<void> = Promise.resolve();
  return {
    clientProcesses: workers.length,
    timeline,
    nowS: () => (performance.now() - t0) / 1000,
    startSampling() {
      t0 = performance.now();
      sampling = true;
      for (const w of workers) w.send({ type: 'measure' });
      sampler = (async () => {
        while (sampling) {
          await sleep(SAMPLE_MS);
          for (const w of workers) w.send({ type: 'report' });
          const reports = await Promise.all(workers.map((w) => w.next('report', 15_000)));
          for (const w of workers) w.send({ type: 'measure' });
          const writes = reports.reduce((s, r) => s + r.writes, 0);
          const ms = Math.max(...reports.map((r) => r.windowMs));
          timeline.push({
            tS: (performance.now() - t0) / 1000,
            writesPerSec: (writes * 1000) / ms,
          });
        }
      })();
    },
    rate(fromS, toS) {
      const xs = timeline.filter((p) => p.tS > fromS && p.tS <= toS);
      return xs.length === 0 ? 0 : xs.reduce((s, p) => s + p.writesPerSec, 0) / xs.length;
    },
    async stop() {
      sampling = false;
      await sampler.catch(() => undefined);
      await stopWorkers();
    },
  };
}

/** The timeline rounded for JSON. */
export function roundTimeline(timeline: readonly Sample[]): Sample[] {
  return timeline.map((p) => ({
    tS: Math.round(p.tS * 100) / 100,
    writesPerSec: Math.round(p.writesPerSec),
  }));
}

/**
 * An SVG chart of one or more timelines (one colour each) with labelled vertical markers.
 */
export function renderTimelineChart(
  title: string,
  series: readonly { readonly label: string; readonly timeline: readonly Sample[] }[],
  markers: readonly { readonly tS: number; readonly label: string }[],
): string {
  const w = 900;
  const h = 340;
  const pad = { l: 60, r: 20, t: 40, b: 56 };
  const all = series.flatMap((s) => s.timeline);
  const maxT = Math.max(1, ...all.map((p) => p.tS));
  const maxY = Math.max(1, ...all.map((p) => p.writesPerSec)) * 1.1;
  const x = (t: number): number => pad.l + (t / maxT) * (w - pad.l - pad.r);
  const y = (v: number): number => h - pad.b - (v / maxY) * (h - pad.t - pad.b);
  const colours = ['#36c', '#e80', '#393', '#c3c'];
  const lines = series
    .map((s, i) => {
      const d = s.timeline
        .map(
          (p, j) => `${j === 0 ? 'M' : 'L'}${x(p.tS).toFixed(1)},${y(p.writesPerSec).toFixed(1)}`,
        )
        .join(' ');
      const c = colours[i % colours.length] ?? '#36c';
      return (
        `<path d="${d}" fill="none" stroke="${c}" stroke-width="1.5"/>` +
        `<rect x="${pad.l + i * 220}" y="${h - 18}" width="12" height="4" fill="${c}"/>` +
        `<text x="${pad.l + i * 220 + 16}" y="${h - 13}" font-size="11">${escapeXml(s.label)}</text>`
      );
    })
    .join('\n');
  const marks = markers
    .map(
      (m, i) =>
        `<line x1="${x(m.tS).toFixed(1)}" y1="${pad.t}" x2="${x(m.tS).toFixed(1)}" y2="${h - pad.b}" stroke="#c33" stroke-dasharray="4 3"/>` +
        `<text x="${(x(m.tS) + 3).toFixed(1)}" y="${pad.t + 12 + (i % 3) * 12}" font-size="11" fill="#c33">${escapeXml(m.label)}</text>`,
    )
    .join('\n');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const v = Math.round(maxY * f);
      return `<text x="${pad.l - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${v}</text><line x1="${pad.l}" x2="${w - pad.r}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`;
    })
    .join('');
  const xticks = Array.from({ length: Math.floor(maxT / 5) + 1 }, (_, i) => i * 5)
    .map(
      (t) =>
        `<text x="${x(t)}" y="${h - pad.b + 14}" font-size="11" text-anchor="middle">${t}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${w / 2}" y="22" text-anchor="middle" font-size="14">${escapeXml(title)}</text>
${ticks}
${xticks}
<text x="${w / 2}" y="${h - 28}" text-anchor="middle" font-size="11">seconds; acknowledged writes/s per 250 ms</text>
${lines}
${marks}
</svg>
`;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
