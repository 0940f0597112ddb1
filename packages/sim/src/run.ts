/**
 * Runs many seeds and formats the report: one line per violation with the seed, the invariant
 * and the command that replays it; a seeds/second figure; and the final line
 * `simulated K seeds: V violations`.
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
}

/** Runs `opts.seeds` seeds, writing report lines to `out`. */
export function runSeeds(opts: RunOptions, out: (line: string) => void, clock: () => number): RunSummary {
  const started = clock();
  let violations = 0;
  const failedSeeds: number[] = [];
  for (let i = 0; i < opts.seeds; i++) {
    const seed = opts.firstSeed + i;
    const r: SeedResult = runSeed({
      seed,
      factory: opts.factory,
      nodes: opts.nodes,
      replication: opts.replication,
      election: opts.election,
      unsafeQuorum: opts.unsafeQuorum,
      sabotage: opts.sabotage,
      verbose: opts.verbose,
    });
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
  out(`simulated ${opts.seeds} seeds: ${violations} violations`);
  return { seeds: opts.seeds, violations, failedSeeds, seedsPerSecond };
}
