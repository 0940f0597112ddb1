/**
 * Runs many seeds and formats the report: one line per violation with the seed, the invariant
 * and the command that replays it; a seeds/second figure; the linearizability check's totals
 * (verdicts, `unknown` counted apart: a check that ran out of time is no pass); and the final
 * line `simulated K seeds: V violations`.
 */
import type { ReplicaFactory } from './core-types.js';
import { replayCommand, runSeed, type SeedOptions, type SeedResult } from './simulation.js';

/** Options of a multi-seed run. */
export interface RunOptions {
  readonly seeds: number;
  readonly firstSeed: number;
  readonly nodes?: number | undefined;
  readonly replication?: number | undefined;
  readonly election?: number | undefined;
  readonly unsafeQuorum?: boolean | undefined;
  readonly unsafeLease?: boolean | undefined;
  readonly reconfig?: boolean | undefined;
  readonly unsafeReconfig?: boolean | undefined;
  readonly scenario?: 'double-fault' | undefined;
  readonly autoSubset?: boolean | undefined;
  readonly preVote?: boolean | undefined;
  readonly leases?: boolean | undefined;
  readonly workload?: 'basic' | 'full' | undefined;
  readonly checkBudgetMs?: number | undefined;
  readonly verbose?: boolean | undefined;
  readonly factory: ReplicaFactory;
  readonly sabotage?: SeedOptions['sabotage'];
}

/** Totals of a multi-seed run. */
export interface RunSummary {
  readonly seeds: number;
  readonly violations: number;
  readonly failedSeeds: readonly number[];
  readonly seedsPerSecond: number;
  /** Seeds whose linearizability check ran out of time (not a pass, not a violation). */
  readonly unknownSeeds: readonly number[];
  /** Total and slowest linearizability check time, ms. */
  readonly checkMsTotal: number;
  readonly checkMsMax: number;
  /** Double-fault scenario: seeds that wrote again before the heal, and those that locked up. */
  readonly doubleFault?: { readonly recovered: number; readonly lockedUp: readonly number[] } | undefined;
}

/** Runs `opts.seeds` seeds, writing report lines to `out`. */
export function runSeeds(opts: RunOptions, out: (line: string) => void, clock: () => number): RunSummary {
  const started = clock();
  let violations = 0;
  const failedSeeds: number[] = [];
  const unknownSeeds: number[] = [];
  let checkMsTotal = 0;
  let checkMsMax = 0;
  let historyOps = 0;
  const reads = { stale: 0, lease: 0, quorum: 0, leaseFallback: 0 };
  /** Double-fault scenario: ticks to the first write after the crash, and seeds that locked up. */
  const recovered: number[] = [];
  const lockedUp: number[] = [];
  for (let i = 0; i < opts.seeds; i++) {
    const seed = opts.firstSeed + i;
    const r: SeedResult = runSeed({
      seed,
      factory: opts.factory,
      nodes: opts.nodes,
      replication: opts.replication,
      election: opts.election,
      unsafeQuorum: opts.unsafeQuorum,
      unsafeLease: opts.unsafeLease,
      reconfig: opts.reconfig,
      unsafeReconfig: opts.unsafeReconfig,
      scenario: opts.scenario,
      autoSubset: opts.autoSubset,
      preVote: opts.preVote,
      leases: opts.leases,
      workload: opts.workload,
      checkBudgetMs: opts.checkBudgetMs,
      now: clock,
      sabotage: opts.sabotage,
      verbose: opts.verbose,
    });
    if (r.doubleFault !== undefined) {
      if (r.doubleFault.recoveredAfterTicks === undefined) lockedUp.push(seed);
      else recovered.push(r.doubleFault.recoveredAfterTicks);
    }
    checkMsTotal += r.checkMs;
    checkMsMax = Math.max(checkMsMax, r.checkMs);
    historyOps += r.historyOperations;
    reads.stale += r.reads.stale;
    reads.lease += r.reads.lease;
    reads.quorum += r.reads.quorum;
    reads.leaseFallback += r.reads.leaseFallback;
    if (r.linearizability === 'unknown') {
      unknownSeeds.push(seed);
      out(`UNKNOWN seed ${seed}: linearizability check ran out of time after ${r.checkMs.toFixed(0)} ms (${r.historyOperations} operations)`);
      out(`  replay: ${replayCommand(seed, opts)}`);
    }
    if (opts.verbose === true) {
      out(`seed ${seed}: ${r.summary}${r.violationCount > 0 ? ` | ${r.violationCount} VIOLATIONS` : ' | ok'}`);
      for (const f of r.faultLog.slice(0, 8)) out(`    ${f}`);
    }
    if (r.violationCount > 0) {
      violations += r.violationCount;
      failedSeeds.push(seed);
      for (const v of r.violations) {
        out(`VIOLATION seed ${seed} invariant ${v.invariant} (${v.name}) at tick ${v.tick}: ${v.detail}`);
      }
      if (r.violationCount > r.violations.length) out(`  ... and ${r.violationCount - r.violations.length} more`);
      out(`  replay: ${replayCommand(seed, opts)}`);
    }
  }
  const elapsedMs = Math.max(1, clock() - started);
  const seedsPerSecond = (opts.seeds * 1000) / elapsedMs;
  out(`${seedsPerSecond.toFixed(1)} seeds/s (${(elapsedMs / 1000).toFixed(1)} s)`);
  out(
    `reads answered: ${reads.lease} lease, ${reads.quorum} quorum (${reads.leaseFallback} lease reads fell back), ${reads.stale} stale;` +
      ` linearizability: ${opts.seeds - unknownSeeds.length} seeds decided, ${unknownSeeds.length} unknown;` +
      ` ${historyOps} operations checked in ${(checkMsTotal / 1000).toFixed(1)} s (mean ${(checkMsTotal / Math.max(1, opts.seeds)).toFixed(1)} ms, max ${checkMsMax.toFixed(0)} ms per seed)`,
  );
  if (opts.scenario === 'double-fault') {
    recovered.sort((a, b) => a - b);
    const median = recovered[Math.floor(recovered.length / 2)];
    out(
      `double fault (auto-subset ${opts.autoSubset === false ? 'off' : 'on'}): ${recovered.length} of ${opts.seeds} seeds wrote again before the partition healed` +
        `${median === undefined ? '' : ` (median ${median}, max ${recovered[recovered.length - 1]} ticks after the leader crash)`}` +
        `, ${lockedUp.length} locked up${lockedUp.length > 0 ? ` (first: ${lockedUp.slice(0, 5).join(', ')})` : ''}`,
    );
  }
  out(`simulated ${opts.seeds} seeds: ${violations} violations`);
  return {
    seeds: opts.seeds,
    violations,
    failedSeeds,
    seedsPerSecond,
    unknownSeeds,
    checkMsTotal,
    checkMsMax,
    doubleFault: opts.scenario === 'double-fault' ? { recovered: recovered.length, lockedUp } : undefined,
  };
}
