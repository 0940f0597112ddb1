import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { liveGroups } from '../src/processes.js';
import { runNemesis } from '../src/run.js';
import type { NemesisResult } from '../src/run.js';
import { explain, nemesisOptions } from './helpers.js';

/** Runs one schedule and expects every check to pass; removes the output when it does. */
async function expectClean(argv: readonly string[]): Promise<NemesisResult> {
  const r = await runNemesis(nemesisOptions(argv));
  expect(r.verdict, explain(r)).toBe('pass');
  expect(liveGroups(), 'node processes left running').toEqual([]);
  rmSync(r.outDir, { recursive: true, force: true });
  return r;
}

describe('nemesis against correct nodes', () => {
  it('finds every check passing for N=3, P=2 under kill, power loss, pause, partition, nats and skew faults', async () => {
    const r = await expectClean([
      '--nodes',
      '3',
      '--replication',
      '2',
      '--duration',
      '20',
      '--seed',
      '3',
    ]);
    expect(r.ops.ok).toBeGreaterThan(300);
    expect(r.faultsTotal).toBeGreaterThanOrEqual(4);
    expect(r.checks.map((c) => c.name)).toEqual([
      'linearizability',
      'durability',
      'exactly-once',
      'stale-reads',
      'recovery',
      'processes',
    ]);
  }, 240_000);

  it('finds every check passing for N=5, P=2, L=4 under the same fault kinds', async () => {
    const r = await expectClean([
      '--nodes',
      '5',
      '--replication',
      '2',
      '--election',
      '4',
      '--duration',
      '20',
      '--seed',
      '5',
    ]);
    expect(r.ops.ok).toBeGreaterThan(300);
    expect(r.faultsTotal).toBeGreaterThanOrEqual(4);
  }, 240_000);
});
