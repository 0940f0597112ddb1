import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { liveGroups } from '../src/processes.js';
import { runNemesis } from '../src/run.js';
import type { NemesisResult } from '../src/run.js';
import { explain, nemesisOptions } from './helpers.js';

/**
 * The checks can fail: against deliberately broken nodes the verdict is a failure that names
 * the check. Each sabotage runs on the seeds given, in turn, until one catches it (the catch
 * rates over many seeds are in the README).
 */
async function expectCaught(
  argv: readonly string[],
  seeds: readonly number[],
  checks: readonly string[],
): Promise<NemesisResult> {
  const runs: NemesisResult[] = [];
  for (const seed of seeds) {
    const r = await runNemesis(nemesisOptions([...argv, '--seed', String(seed)]));
    runs.push(r);
    expect(liveGroups(), 'node processes left running').toEqual([]);
    if (r.verdict === 'fail') {
      expect(r.summary).toMatch(/verdict FAIL \(/);
      expect(
        r.failed.some((name) => checks.includes(name)),
        explain(r),
      ).toBe(true);
      expect(r.failed, explain(r)).not.toContain('harness');
      for (const done of runs) rmSync(done.outDir, { recursive: true, force: true });
      return r;
    }
  }
  throw new Error(`not caught on seeds ${seeds.join(', ')}:\n${runs.map(explain).join('\n')}`);
}

describe('nemesis against sabotaged nodes', () => {
  it('catches acknowledgements before fsync with power losses', async () => {
    await expectCaught(
      [
        '--nodes',
        '3',
        '--duration',
        '20',
        '--faults',
        'power',
        '--fault-gap-ms',
        '2000',
        '--sabotage',
        'ack-before-fsync',
      ],
      [71, 72, 73, 74, 75],
      ['linearizability', 'durability', 'exactly-once', 'stale-reads'],
    );
  }, 600_000);

  it('catches a lease without the drift margin and restart wait with the lease nemesis', async () => {
    await expectCaught(
      [
        '--nodes',
        '3',
        '--duration',
        '25',
        '--faults',
        'lease',
        '--fault-gap-ms',
        '1000',
        '--lease-ms',
        '3000',
        '--drift-ms',
        '100',
        '--election-timeout-ms',
        '3200',
        '--election-jitter-ms',
        '200',
        '--sabotage',
        'lease-no-drift',
      ],
      [51, 52],
      ['linearizability', 'stale-reads'],
    );
  }, 400_000);
});
