#!/usr/bin/env node
/**
 * `pnpm bench`: sweeps N, P (and L), client counts and emulated link delays over fresh real
 * clusters, with `--compare` also NATS JetStream KV and etcd clusters driven by the same
 * client; prints progress and a summary table, writes `--json` and `--chart`. See README.md.
 * Exit codes: 0 done, 1 a point failed (the records so far are still written), 2 bad options.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, hostname } from 'node:os';
import { dirname } from 'node:path';
import { parseBenchArgs, USAGE } from './args.js';
import type { BenchOptions } from './args.js';
import { renderChart } from './chart.js';
import { findEtcd } from './etcd-cluster.js';
import { estimateSeconds, planPoints, POINT_OVERHEAD_S } from './plan.js';
import type { BenchPoint } from './plan.js';
import { clockTicksPerSecond, procCpuAvailable } from './proc-cpu.js';
import { installCleanupHandlers, killAllNow } from './processes.js';
import { createProgress } from './progress.js';
import type { BenchRecord } from './record.js';
import {
  formatDoubleFaultTable,
  renderDoubleFaultChart,
  runDoubleFaultBench,
} from './double-fault.js';
import { formatKvTable, runKvBench } from './kv.js';
import { formatReconfigTable, renderReconfigChart, runReconfigBench } from './reconfig.js';
import { runPoint } from './run-point.js';
import { formatTable } from './table.js';
import { systemName } from './system.js';

function label(p: BenchPoint): string {
  if (p.system !== 'flexpaxos') return `${systemName(p.system)} N=${p.nodes} c=${p.clients}`;
  return `N=${p.nodes} P=${p.replication} L=${p.election} c=${p.clients}${p.delay.label === 'none' ? '' : ` delay=${p.delay.label}`}`;
}

/** Records of an older `--json` file lack the later fields: fill them as "not measured". */
function withDefaults(r: Partial<BenchRecord>): BenchRecord {
  return {
    system: 'flexpaxos',
    systemVersion: 'unknown',
    cpuUsPerWrite: null,
    cpuUsPerWriteByRole: null,
    cpuCoresBusy: null,
    cpuProcesses: [],
    ...r,
  } as BenchRecord;
}

function writeFile(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

async function writeOutputs(
  options: BenchOptions,
  records: readonly BenchRecord[],
  meta: Record<string, unknown>,
): Promise<void> {
  if (options.jsonFile !== undefined) {
    writeFile(options.jsonFile, `${JSON.stringify({ meta, records }, null, 2)}\n`);
    process.stderr.write(`wrote ${options.jsonFile}\n`);
  }
  if (options.tableFile !== undefined && records.length > 0) {
    writeFile(options.tableFile, `${formatTable(records)}\n`);
    process.stderr.write(`wrote ${options.tableFile}\n`);
  }
  if (options.chartFile !== undefined && records.length > 0) {
    const failover = records.some((r) => r.failoverMs !== null) ? ', failover against L' : '';
    const systems = [...new Set(records.map((r) => systemName(r.system)))];
    const procs = [...new Set(records.map((r) => r.clientProcesses))].join('/');
    const title =
      systems.length > 1
        ? `${systems.join(' vs ')}: writes, p99 and CPU per write (${records[0]?.valueSizeBytes ?? 0} B values, ${procs} client process${procs === '1' ? '' : 'es'})`
        : `FlexPaxos: throughput and p99 against P${failover} (${records[0]?.valueSizeBytes ?? 0} B values, fsync on)`;
    writeFile(options.chartFile, await renderChart(records, title));
    process.stderr.write(`wrote ${options.chartFile}\n`);
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseBenchArgs(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'invalid') {
    process.stderr.write(
      `${parsed.problems.map((p) => `  ${p}`).join('\n')}\nbench: invalid options (${parsed.problems.length}); nothing started\n${USAGE}\n`,
    );
    return 2;
  }
  const options = parsed.options;
  if (options.replotFile !== undefined) {
    const saved = JSON.parse(readFileSync(options.replotFile, 'utf8')) as {
      meta: Record<string, unknown>;
      records: Partial<BenchRecord>[];
    };
    const records = saved.records.map(withDefaults);
    process.stdout.write(`${formatTable(records)}\n`);
    await writeOutputs({ ...options, jsonFile: undefined }, records, saved.meta);
    return 0;
  }
  if (options.reconfig) return await runReconfig(options, argv);
  if (options.scenario === 'double-fault') return await runDoubleFault(options, argv);
  if (options.scenario === 'kv') return await runKv(options, argv);
  const skipped: string[] = [];
  let etcdMissing: string | undefined;
  if (options.compare.includes('etcd')) {
    try {
      findEtcd();
    } catch (err) {
      etcdMissing = err instanceof Error ? err.message : String(err);
      skipped.push(`etcd: ${etcdMissing}`);
      process.stderr.write(`bench: skipping the etcd points: ${etcdMissing}\n`);
    }
  }
  const cpuOn = procCpuAvailable();
  if (!cpuOn)
    process.stderr.write('bench: /proc is not readable here: no CPU per write (needs Linux)\n');
  const points = planPoints(options).points.filter(
    (p) => !(p.system === 'etcd' && etcdMissing !== undefined),
  );
  const pointS =
    POINT_OVERHEAD_S + options.warmupS + options.durationS + (options.failover ? 3 : 0);
  const est = estimateSeconds(points.length, options.warmupS, options.durationS, options.failover);
  process.stderr.write(
    `bench (${options.preset}): ${points.length} points, about ${est < 120 ? `${Math.round(est)} s` : `${Math.round(est / 60)} min`}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} on ${cpus().length} cores\n`,
  );
  const progress = createProgress(points.length, pointS, options.progress);
  installCleanupHandlers(() => progress.stop());
  const meta = {
    command: `pnpm bench ${argv.join(' ')}`.trim(),
    preset: options.preset,
    host: hostname(),
    cores: cpus().length,
    clockTicksPerS: cpuOn ? clockTicksPerSecond() : null,
    clientProcesses: options.clientProcs,
    skipped,
    loadAvgAtStart: loadavg(),
    startedAt: new Date().toISOString(),
  };
  const records: BenchRecord[] = [];
  let failed: Error | undefined;
  for (const [i, point] of points.entries()) {
    progress.point(i, label(point));
    // A point that fails (no leader in time on a loaded machine, a process that died) is tried
    // once more on fresh processes before the sweep stops.
    let record: BenchRecord | undefined;
    for (let attempt = 1; record === undefined; attempt++) {
      try {
        record = await runPoint(point, options, (phase) => progress.phase(phase));
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        if (attempt >= 2) {
          failed = e;
          break;
        }
        process.stderr.write(
          `\n${label(point)}: ${e.message.split('\n')[0] ?? ''}; retrying once\n`,
        );
      }
    }
    if (record === undefined) break;
    const r = record;
    records.push(r);
    progress.done(
      i,
      label(point),
      `${Math.round(r.opsPerSec)} ops/s, p50 ${r.p50Ms ?? '-'} ms, p99 ${r.p99Ms ?? '-'} ms, ${r.errors} errors` +
        `, ${r.cpuUsPerWrite === null ? '-' : Math.round(r.cpuUsPerWrite)} cpu µs/write` +
        (r.failoverMs !== null
          ? `, failover ${r.failoverMs} ms`
          : options.failover
            ? ', failover: no ack'
            : '') +
        (r.clientCpuMaxPct >= 80
          ? ` (a client process used ${r.clientCpuMaxPct}% of a core: the client may limit this point; --client-procs K spreads it)`
          : ''),
    );
  }
  progress.stop();
  const finished = { ...meta, finishedAt: new Date().toISOString(), loadAvgAtEnd: loadavg() };
  if (records.length > 0) process.stdout.write(`${formatTable(records)}\n`);
  await writeOutputs(options, records, finished);
  if (failed !== undefined) {
    process.stderr.write(`bench: point ${records.length + 1} failed: ${failed.message}\n`);
    return 1;
  }
  return 0;
}

async function runDoubleFault(options: BenchOptions, argv: readonly string[]): Promise<number> {
  process.stderr.write(
    `bench --scenario double-fault: two clusters (auto-subset on, off); about ${Math.round(2 * (options.warmupS + 40))} s\n`,
  );
  const startedAt = new Date().toISOString();
  const result = await runDoubleFaultBench(options, (line) => process.stderr.write(`${line}\n`));
  const table = formatDoubleFaultTable(result);
  process.stdout.write(`${table}\n`);
  const meta = {
    command: `pnpm bench ${argv.join(' ')}`.trim(),
    host: hostname(),
    cores: cpus().length,
    startedAt,
    finishedAt: new Date().toISOString(),
    loadAvgAtEnd: loadavg(),
  };
  writeScenarioOutputs(options, { meta, doubleFault: result }, table, () =>
    renderDoubleFaultChart(result),
  );
  const on = result.runs.find((r) => r.autoSubset);
  return on?.recoveredAfterKillMs !== null &&
    on?.recoveredAfterKillMs !== undefined &&
    on.recoveredAfterKillMs <= result.recoveryBoundMs
    ? 0
    : 1;
}

async function runKv(options: BenchOptions, argv: readonly string[]): Promise<number> {
  const phases = 2 + options.watchers.length + 3;
  process.stderr.write(
    `bench --scenario kv: one cluster, ${phases} phases; about ${Math.round(15 + phases * (options.warmupS + options.durationS + 3))} s or more (the drain after each fan-out phase); load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} on ${cpus().length} cores\n`,
  );
  installCleanupHandlers(() => undefined);
  const startedAt = new Date().toISOString();
  const result = await runKvBench(options, (line) => process.stderr.write(`${line}\n`));
  const table = formatKvTable(result);
  process.stdout.write(`${table}\n`);
  const meta = {
    command: `pnpm bench ${argv.join(' ')}`.trim(),
    host: hostname(),
    cores: cpus().length,
    clockTicksPerS: procCpuAvailable() ? clockTicksPerSecond() : null,
    startedAt,
    finishedAt: new Date().toISOString(),
    loadAvgAtStart: result.loadAvgAtStart,
    loadAvgAtEnd: loadavg(),
  };
  writeScenarioOutputs(options, { meta, kv: result }, table, undefined);
  const broken = result.fanout.some(
    (f) =>
      f.integrity !== null &&
      (f.integrity.gaps > 0 ||
        f.integrity.duplicates > 0 ||
        f.integrity.unexpected > 0 ||
        f.integrity.revisionRegressions > 0),
  );
  if (broken)
    process.stderr.write(
      'bench --scenario kv: a watcher saw a gap, a duplicate or revisions out of order\n',
    );
  return broken ? 1 : 0;
}

function writeScenarioOutputs(
  options: BenchOptions,
  json: unknown,
  table: string,
  chart: (() => string) | undefined,
): void {
  if (options.jsonFile !== undefined) {
    writeFile(options.jsonFile, `${JSON.stringify(json, null, 2)}\n`);
    process.stderr.write(`wrote ${options.jsonFile}\n`);
  }
  if (options.tableFile !== undefined) {
    writeFile(options.tableFile, `${table}\n`);
    process.stderr.write(`wrote ${options.tableFile}\n`);
  }
  if (options.chartFile !== undefined && chart !== undefined) {
    writeFile(options.chartFile, chart());
    process.stderr.write(`wrote ${options.chartFile}\n`);
  }
}

async function runReconfig(options: BenchOptions, argv: readonly string[]): Promise<number> {
  process.stderr.write(
    `bench --reconfig: one cluster, six changes; about ${Math.round(options.warmupS + Math.max(5, options.durationS) + 6 * 7 + 15)} s; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} on ${cpus().length} cores\n`,
  );
  const startedAt = new Date().toISOString();
  const result = await runReconfigBench(options, (line) => process.stderr.write(`${line}\n`));
  const table = formatReconfigTable(result);
  process.stdout.write(`${table}\n`);
  const meta = {
    command: `pnpm bench ${argv.join(' ')}`.trim(),
    host: hostname(),
    cores: cpus().length,
    startedAt,
    finishedAt: new Date().toISOString(),
    loadAvgAtEnd: loadavg(),
  };
  writeScenarioOutputs(options, { meta, reconfig: result }, table, () =>
    renderReconfigChart(result),
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    killAllNow();
    process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(
      `bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    killAllNow();
    process.exit(1);
  },
);
