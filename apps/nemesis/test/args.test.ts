import { describe, expect, it } from 'vitest';
import { DEFAULTS, parseNemesisArgs, replayCommand } from '../src/args.js';
import type { NemesisOptions } from '../src/args.js';

function run(argv: string[]): NemesisOptions {
  const parsed = parseNemesisArgs(argv);
  if (parsed.kind !== 'run') throw new Error(`not a run: ${JSON.stringify(parsed)}`);
  return parsed.options;
}

describe('parseNemesisArgs', () => {
  it('fills the defaults (P majority, L = N - P + 1, 2 clients per node)', () => {
    const o = run(['--seed', '7']);
    expect(o).toMatchObject({
      nodes: 3,
      replication: 2,
      election: 2,
      durationS: 60,
      seed: 7,
      clients: 6,
      faults: DEFAULTS.faults,
      sabotage: undefined,
      thrifty: false,
    });
  });

  it('reports every problem, naming the option and the rule', () => {
    const parsed = parseNemesisArgs([
      '--nodes',
      '5',
      '--replication',
      '2',
      '--election',
      '3',
      '--faults',
      'kill,meteor',
      '--sabotage',
      'nothing',
      '--election-timeout-ms',
      '305',
      '--lease-ms',
      '400',
    ]);
    expect(parsed.kind).toBe('invalid');
    const problems = parsed.kind === 'invalid' ? parsed.problems : [];
    expect(problems).toContainEqual(
      '--election: P=2 and L=3 do not intersect for N=5: need L + P > N',
    );
    expect(problems.some((p) => p.startsWith('--faults:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('--sabotage:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('--election-timeout-ms: must be a multiple'))).toBe(
      true,
    );
    expect(problems.some((p) => p.startsWith('--lease-ms: lease + drift'))).toBe(true);
  });

  it('reads "none" as no faults', () => {
    expect(run(['--faults', 'none']).faults).toEqual([]);
  });

  it('rebuilds a run from its replay command', () => {
    const o = run([
      '--nodes',
      '5',
      '--replication',
      '2',
      '--election',
      '4',
      '--duration',
      '30',
      '--seed',
      '99',
      '--faults',
      'lease,kill',
      '--lease-ms',
      '2000',
      '--drift-ms',
      '100',
      '--election-timeout-ms',
      '2200',
      '--election-jitter-ms',
      '200',
      '--thrifty',
      '--sabotage',
      'lease-no-drift',
      '--out',
      '/tmp/x',
    ]);
    const replay = replayCommand(o);
    expect(replay).toMatch(/^pnpm nemesis /);
    expect(replay).not.toContain('--out');
    const again = run(replay.replace(/^pnpm nemesis /, '').split(' '));
    expect({ ...again, outDir: o.outDir }).toEqual(o);
  });
});
