/**
 * `pnpm bench --scenario double-fault`: write throughput through the double fault that
 * flexible quorums are weak against, on real processes, with and without automatic
 * subsetting (one fresh cluster each).
 *
 * N = 5, P = 2, L = 4 under a closed-loop load. After a baseline, a partition (emulated in
 * the nodes: `--test-partition-control`, `apps/server/src/test-faults.ts`) splits the leader
 * and two followers from the other two: no side holds L = 4 nodes, so no side can elect, while
 * the leader still writes with P = 2. After {@link HOLD_S} s the leader is killed -9. With
 * automatic subsetting the leader has meanwhile changed the configuration to the three voters
 * it reaches (N = 3, P = 2, L = 2), so the two survivors elect and writes resume; without it
 * the survivors cannot reach L = 4 and writes stop until the partition heals
 * ({@link LOCKED_S} s later) and the killed node is restarted. Recorded per run: writes/s in
 * each phase, the time from the kill to the first acknowledged writes, and the timeline.
 */
import { FlexPaxosClient } from '@flexpaxos/client';
import type { NodeStatusReport } from '@flexpaxos/client';
import { connect } from '@nats-io/transport-node';
import type { BenchOptions } from './args.js';
import { startCluster } from './cluster.js';
import type { Cluster } from './cluster.js';
import { NO_DELAY, linkDelays } from './delay.js';
import { SAMPLE_MS, renderTimelineChart, roundTimeline, startLoad } from './load.js';
import type { Load, Sample } from './load.js';
import { waitLeader } from './run-point.js';

/** Seconds the partition holds with the leader alive (the hold-down is 1.5 s). */
const HOLD_S = 5;
/** Seconds after the kill before the partition heals. */
const LOCKED_S = 10;
/** Seconds observed after the heal. */
const AFTER_S = 8;
/** The bound the scenario states for writes to resume after the kill, with subsetting. */
export const RECOVERY_BOUND_MS = 3000;

/** One run of the scenario. */
export interface DoubleFaultRun {
  readonly autoSubset: boolean;
  readonly baselineWritesPerSec: number;
  /** While partitioned, the leader alive. */
  readonly partitionedWritesPerSec: number;
  /** From the kill to the heal. */
  readonly afterKillWritesPerSec: number;
  /** After the heal (and the restart of the killed node). */
  readonly afterHealWritesPerSec: number;
  /**
   * From the kill to the end of the first sample that began after the kill and holds
   * acknowledged writes (null: none before the heal); {@link SAMPLE_MS} ms resolution.
   */
  readonly recoveredAfterKillMs: number | null;
  /** From the heal to the first sample with writes, when writes had stopped (else null). */
  readonly recoveredAfterHealMs: number | null;
  /** The configuration the survivors reported before the heal. */
  readonly configBeforeHeal: string;
  /** The configuration at the end. */
  readonly configAtEnd: string;
  readonly partitionS: number;
  readonly killS: number;
  readonly healS: number;
  readonly timeline: readonly Sample[];
}

/** The output of `--scenario double-fault`. */
export interface DoubleFaultResult {
  readonly clients: number;
  readonly valueSizeBytes: number;
  readonly recoveryBoundMs: number;
  readonly runs: readonly DoubleFaultRun[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs the scenario with and without automatic subsetting (see the module comment). */
export async function runDoubleFaultBench(
  options: BenchOptions,
  say: (line: string) => void,
): Promise<DoubleFaultResult> {
  const clients = options.clients[0] ?? 64;
  const runs: DoubleFaultRun[] = [];
  for (const autoSubset of [true, false]) {
    say(`auto-subset ${autoSubset ? 'on' : 'off'}:`);
    runs.push(await runOnce(options, clients, autoSubset, say));
  }
  return {
    clients,
    valueSizeBytes: options.valueSizeBytes,
    recoveryBoundMs: RECOVERY_BOUND_MS,
    runs,
  };
}

async function runOnce(
  options: BenchOptions,
  clients: number,
  autoSubset: boolean,
  say: (line: string) => void,
): Promise<DoubleFaultRun> {
  const delays = linkDelays(NO_DELAY, 5, undefined);
  if (!delays.ok) throw new Error(delays.problems.join('\n'));
  let cluster: Cluster | undefined;
  let control: FlexPaxosClient | undefined;
  let load: Load | undefined;
  try {
    cluster = await startCluster({
      nodes: 5,
      replication: 2,
      election: 4,
      thrifty: options.thrifty,
      linkDelays: delays.value,
      extraNodeArgs: [
        '--test-partition-control',
        'true',
        ...(autoSubset ? [] : ['--auto-subset', 'false']),
      ],
    });
    const c = cluster;
    control = await FlexPaxosClient.connect({
      servers: [c.natsUrl],
      cluster: c.clusterName,
      timeoutMs: 10_000,
      name: 'flexpaxos-bench-control',
    });
    const ctl = control;
    const leader = await waitLeader(ctl, 30_000);
    load = await startLoad(c, options, clients);
    const l = load;
    l.startSampling();
    const baselineS = Math.max(3, Math.min(options.durationS, 6));
    await sleep(baselineS * 1000);

    // The partition: the leader and two followers | the other two.
    const others = [1, 2, 3, 4, 5].filter((id) => id !== leader);
    const sideA = [leader, ...others.slice(0, 2)];
    const sideB = others.slice(2);
    const partitionS = l.nowS();
    await partition(c, sideA, sideB);
    say(`  t=${partitionS.toFixed(1)} s partition [${sideA.join(',')}] | [${sideB.join(',')}]`);
    await sleep(HOLD_S * 1000);
    const subset = await configOf(ctl, leader);
    say(`  before the kill the leader's configuration is ${subset}`);

    const killS = l.nowS();
    await c.nodes.get(leader)?.kill();
    say(`  t=${killS.toFixed(1)} s kill -9 node ${leader} (the leader)`);
    await sleep(LOCKED_S * 1000);
    const survivors = sideA.filter((id) => id !== leader);
    const configBeforeHeal = await configOf(ctl, survivors[0] ?? 1);

    const healS = l.nowS();
    await partition(c, [], []);
    say(`  t=${healS.toFixed(1)} s heal; restart node ${leader}`);
    await c.restart(leader);
    await sleep(AFTER_S * 1000);
    await l.stop();
    const configAtEnd = await configOf(ctl, undefined);

    // Samples that began after the event (a sample straddling it holds writes from before).
    const sampleS = SAMPLE_MS / 1000;
    const firstWrites = (fromS: number, toS: number): number | null => {
      const p = l.timeline.find(
        (s) => s.tS - sampleS >= fromS && s.tS <= toS && s.writesPerSec > 0,
      );
      return p === undefined ? null : Math.round((p.tS - fromS) * 1000);
    };
    // Writes had stopped after the kill when a whole second of samples before the heal was empty.
    const stalled = l.timeline.some(
      (s, i, xs) =>
        s.tS > killS + 1 &&
        s.tS <= healS &&
        xs.slice(Math.max(0, i - 3), i + 1).every((p) => p.writesPerSec === 0),
    );
    const run: DoubleFaultRun = {
      autoSubset,
      baselineWritesPerSec: Math.round(l.rate(0, partitionS)),
      partitionedWritesPerSec: Math.round(l.rate(partitionS, killS)),
      afterKillWritesPerSec: Math.round(l.rate(killS + sampleS, healS)),
      afterHealWritesPerSec: Math.round(l.rate(healS + sampleS, l.nowS())),
      recoveredAfterKillMs: firstWrites(killS, healS),
      recoveredAfterHealMs: stalled ? firstWrites(healS, l.nowS()) : null,
      configBeforeHeal,
      configAtEnd,
      partitionS: round1(partitionS),
      killS: round1(killS),
      healS: round1(healS),
      timeline: roundTimeline(l.timeline),
    };
    say(
      `  writes resumed ${run.recoveredAfterKillMs === null ? 'only after the heal' : `${run.recoveredAfterKillMs} ms after the kill`}; configuration before the heal ${configBeforeHeal}, at the end ${configAtEnd}`,
    );
    return run;
  } finally {
    await load?.stop();
    await control?.close().catch(() => undefined);
    await cluster?.stop();
  }
}

/** Tells every node of each side to drop the other side's messages (`[]`, `[]` heals). */
async function partition(
  cluster: Cluster,
  sideA: readonly number[],
  sideB: readonly number[],
): Promise<void> {
  const nc = await connect({ servers: [cluster.natsUrl], name: 'flexpaxos-bench-partition' });
  try {
    const enc = new TextEncoder();
    await Promise.all(
      [...cluster.nodes.keys()].map(async (id) => {
        if (cluster.nodes.get(id)?.hasExited() === true) return;
        const blocked = sideA.includes(id) ? sideB : sideB.includes(id) ? sideA : [];
        await nc.request(
          `flexpaxos.${cluster.clusterName}.test.partition.${id}`,
          enc.encode(JSON.stringify({ blocked })),
          { timeout: 5000 },
        );
      }),
    );
  } finally {
    await nc.close();
  }
}

/** The configuration node `id` (or any node) reports, as one line. */
async function configOf(client: FlexPaxosClient, id: number | undefined): Promise<string> {
  try {
    const s: NodeStatusReport =
      id === undefined
        ? ((await client.clusterStatus({ waitMs: 500 })).find((n) => n.role === 'leader') ??
          (await client.status()))
        : await client.status(id, { timeoutMs: 2000 });
    const q = s.config?.quorum;
    return q === undefined ? 'unknown' : q.text;
  } catch {
    return 'unknown';
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/** The runs as a Markdown table. */
export function formatDoubleFaultTable(r: DoubleFaultResult): string {
  const head = [
    '| auto-subset | baseline writes/s | partitioned, leader alive | after the kill | writes resumed after the kill | after the heal | configuration before the heal |',
    '| --- | --: | --: | --: | --: | --: | --- |',
  ];
  const rows = r.runs.map(
    (x) =>
      `| ${x.autoSubset ? 'on' : 'off'} | ${x.baselineWritesPerSec} | ${x.partitionedWritesPerSec} | ${x.afterKillWritesPerSec} | ${x.recoveredAfterKillMs === null ? 'not before the heal' : `${x.recoveredAfterKillMs} ms`} | ${x.afterHealWritesPerSec}${x.recoveredAfterHealMs === null ? '' : ` (resumed ${x.recoveredAfterHealMs} ms after the heal)`} | ${x.configBeforeHeal} |`,
  );
  return [...head, ...rows].join('\n');
}

/** Both timelines, with the partition, kill and heal marked. */
export function renderDoubleFaultChart(r: DoubleFaultResult): string {
  const first = r.runs[0];
  return renderTimelineChart(
    `FlexPaxos N=5 P=2 L=4: partition 3|2, then kill -9 of the leader (${r.clients} clients, fsync on)`,
    r.runs.map((x) => ({
      label: `auto-subset ${x.autoSubset ? 'on' : 'off'}`,
      timeline: x.timeline,
    })),
    first === undefined
      ? []
      : [
          { tS: first.partitionS, label: 'partition' },
          { tS: first.killS, label: 'kill leader' },
          { tS: first.healS, label: 'heal, restart' },
        ],
  );
}
