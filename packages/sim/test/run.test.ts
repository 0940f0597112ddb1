import { describe, expect, it } from 'vitest';
import { paxosReplicaFactory } from '../src/paxos-factory.js';
import { runSeeds } from '../src/run.js';

describe('runSeeds', () => {
  it('ends with the exact summary line and reports seeds per second', () => {
    const lines: string[] = [];
    let t = 0;
    const summary = runSeeds({ seeds: 3, firstSeed: 1, factory: paxosReplicaFactory }, (l) => lines.push(l), () => (t += 500));
    expect(lines.at(-1)).toBe('simulated 3 seeds: 0 violations');
    expect(lines.at(-3)).toMatch(/^[\d.]+ seeds\/s/);
    expect(lines.at(-2)).toMatch(/^reads answered: \d+ lease, \d+ quorum .*linearizability: 3 seeds decided, 0 unknown;/);
    expect(summary.violations).toBe(0);
  });

  it('prints seed, invariant and replay command for each violation', () => {
    const lines: string[] = [];
    const summary = runSeeds(
      { seeds: 3, firstSeed: 1, nodes: 2, replication: 1, election: 1, unsafeQuorum: true, factory: paxosReplicaFactory },
      (l) => lines.push(l),
      () => 0,
    );
    expect(summary.violations).toBeGreaterThan(0);
    expect(lines.some((l) => /^VIOLATION seed \d+ invariant 1 \(agreement\)/.test(l))).toBe(true);
    expect(lines).toContain(`  replay: pnpm sim --seeds 1 --first-seed ${summary.failedSeeds[0]} --nodes 2 --replication 1 --election 1 --unsafe-quorum --verbose`);
    expect(lines.at(-1)).toBe(`simulated 3 seeds: ${summary.violations} violations`);
  });

  it('describes each seed in verbose mode', () => {
    const lines: string[] = [];
    runSeeds({ seeds: 1, firstSeed: 4, nodes: 5, replication: 2, verbose: true, factory: paxosReplicaFactory }, (l) => lines.push(l), () => 0);
    expect(lines[0]).toMatch(/^seed 4: N=5 P=2 L=4 .*faults: .*ops: .*checked: .*liveness in \d+ ticks \| ok$/);
  });
});

describe('runSeeds (linearizability budget)', () => {
  it('reports a check that ran out of time as UNKNOWN, counted apart from violations', () => {
    const lines: string[] = [];
    let t = 0;
    const summary = runSeeds(
      // The checker reads its clock every 1,024 search steps: histories that need more run out
      // of this 1 ms budget on a clock that jumps 1 s per reading (seed 16 did, among others).
      { seeds: 40, firstSeed: 1, checkBudgetMs: 1, factory: paxosReplicaFactory },
      (l) => lines.push(l),
      () => (t += 1000),
    );
    expect(summary.violations).toBe(0);
    const n = summary.unknownSeeds.length;
    expect(n).toBeGreaterThan(0);
    expect(lines.filter((l) => /^UNKNOWN seed \d+: linearizability check ran out of time/.test(l))).toHaveLength(n);
    expect(lines.at(-2)).toContain(`linearizability: ${40 - n} seeds decided, ${n} unknown;`);
    expect(lines.at(-1)).toBe('simulated 40 seeds: 0 violations');
  });
});
