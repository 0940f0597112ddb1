import { describe, expect, it } from 'vitest';
import { FULL_DEFAULTS, QUICK_DEFAULTS, parseBenchArgs } from '../src/index.js';
import type { BenchOptions } from '../src/index.js';

function ok(argv: string[]): BenchOptions {
  const r = parseBenchArgs(argv);
  if (r.kind !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(r)}`);
  return r.options;
}

function problems(argv: string[]): readonly string[] {
  const r = parseBenchArgs(argv);
  if (r.kind !== 'invalid') throw new Error(`expected problems, got ${r.kind}`);
  return r.problems;
}

describe('parseBenchArgs', () => {
  it('uses the quick defaults without options', () => {
    const o = ok([]);
    expect(o.nodes).toEqual(QUICK_DEFAULTS.nodes);
    expect(o.clients).toEqual(QUICK_DEFAULTS.clients);
    expect(o.replication).toBeUndefined();
    expect(o.election).toBeUndefined();
    expect([o.warmupS, o.durationS, o.valueSizeBytes, o.readRatio, o.readMode]).toEqual([
      2,
      8,
      100,
      0,
      'lease',
    ]);
    expect(o.failover).toBe(false);
    expect(o.delays.map((d) => d.label)).toEqual(['none']);
    expect(o.preset).toBe('quick');
    // One client process, as one application, and no comparison systems.
    expect(o.clientProcs).toBe(1);
    expect(o.compare).toEqual([]);
  });

  it('takes --reconfig with one client count, and refuses the sweep options that do not apply', () => {
    expect(ok(['--reconfig', '--clients', '16'])).toMatchObject({ reconfig: true, clients: [16] });
    expect(ok([]).reconfig).toBe(false);
    expect(problems(['--reconfig', '--nodes', '5', '--clients', '16,64'])).toEqual([
      '--nodes: does not apply to --reconfig (it runs its own N=3 P=2 cluster)',
      '--clients: --reconfig takes one client count',
    ]);
  });

  it('takes --scenario kv with one N, P, L and client count (N=3 P=2 by default), and --watchers only there', () => {
    const o = ok(['--scenario', 'kv']);
    expect([o.scenario, o.nodes, o.replication, o.clients, o.watchers]).toEqual([
      'kv',
      [3],
      [2],
      [64],
      [1, 100, 1000],
    ]);
    const p = ok(['--scenario', 'kv', '--nodes', '5', '--replication', '3', '--watchers', '1,10']);
    expect([p.nodes, p.replication, p.watchers, p.warmupS, p.durationS]).toEqual([
      [5],
      [3],
      [1, 10],
      2,
      8,
    ]);
    expect(ok(['--scenario', 'kv', '--warmup', '0.5', '--duration', '1.5']).durationS).toBe(1.5);
    expect(problems(['--watchers', '10'])).toEqual(['--watchers: applies to --scenario kv only']);
    expect(
      problems(['--scenario', 'kv', '--nodes', '3,5', '--failover', '--watchers', '0']),
    ).toEqual(['--watchers "0": 0 is out of range: need 1 <= value <= 30000']);
    expect(problems(['--scenario', 'kv', '--nodes', '3,5', '--failover'])).toEqual([
      '--failover: does not apply to --scenario kv',
      '--nodes: --scenario kv takes one value',
    ]);
    expect(problems(['--scenario', 'kv', '--replication', '4'])).toEqual([
      '--replication: replication P=4 is out of range: need an integer with 1 <= P <= N (N=3)',
    ]);
  });

  it('takes --scenario double-fault alone, and nothing else as a scenario', () => {
    expect(ok(['--scenario', 'double-fault']).scenario).toBe('double-fault');
    expect(ok([]).scenario).toBeUndefined();
    expect(problems(['--scenario', 'split-brain'])).toEqual([
      '--scenario: must be double-fault or kv (got "split-brain")',
    ]);
    expect(problems(['--scenario', 'double-fault', '--reconfig'])).toContain(
      '--scenario: give --reconfig or --scenario, not both',
    );
    expect(problems(['--scenario', 'double-fault', '--replication', '3'])).toEqual([
      '--replication: does not apply to --scenario double-fault (it runs its own N=5 P=2 L=4 cluster)',
    ]);
  });

  it('takes --compare and --client-procs', () => {
    const o = ok(['--compare', 'natskv,etcd', '--nodes', '3', '--client-procs', '2']);
    expect(o.compare).toEqual(['natskv', 'etcd']);
    expect(o.clientProcs).toBe(2);
    expect(ok(['--compare', 'etcd', '--nodes', '3']).compare).toEqual(['etcd']);
  });

  it('refuses unknown or repeated comparison systems, reads with comparisons and NATS KV beyond 5', () => {
    expect(problems(['--compare', 'zookeeper', '--nodes', '3'])).toEqual([
      '--compare "zookeeper": "zookeeper" is not a comparison system (give a comma-separated list of natskv, etcd)',
    ]);
    expect(problems(['--compare', 'etcd,etcd', '--nodes', '3'])).toEqual([
      '--compare "etcd,etcd": etcd is listed twice',
    ]);
    expect(problems(['--compare', 'etcd', '--nodes', '3', '--read-ratio', '0.5'])).toEqual([
      '--read-ratio: the comparison systems are measured on writes only; drop --read-ratio or --compare',
    ]);
    expect(problems(['--compare', 'natskv', '--nodes', '3,7', '--replication', '2'])[0]).toMatch(
      /^--compare natskv: N=7/,
    );
    expect(problems(['--client-procs', '0'])[0]).toMatch(/^--client-procs "0": 0 is out of range/);
  });

  it('uses the full preset with --full, and explicit options still win', () => {
    const full = ok(['--full']);
    expect(full.nodes).toEqual(FULL_DEFAULTS.nodes);
    expect(full.clients).toEqual(FULL_DEFAULTS.clients);
    expect(full.failover).toBe(true);
    expect(full.preset).toBe('full');
    expect(ok(['--full', '--clients', '8', '--duration', '3']).clients).toEqual([8]);
  });

  it('parses lists, seconds, ratios, modes and repeated delays', () => {
    const o = ok([
      '--nodes',
      '3,5',
      '--replication',
      '3',
      '--clients',
      '1,16',
      '--warmup',
      '500ms',
      '--duration',
      '2.5s',
      '--value-size',
      '1000',
      '--read-ratio',
      '0.9',
      '--read-mode',
      'quorum',
      '--thrifty',
      '--failover',
      '--delay',
      '2',
      '--delay',
      'zones:2',
      '--zone-delay',
      '10',
      '--json',
      'out.json',
      '--chart',
      'c.svg',
      '--table',
      't.md',
    ]);
    expect(o.nodes).toEqual([3, 5]);
    expect(o.replication).toEqual([3]);
    expect(o.clients).toEqual([1, 16]);
    expect(o.warmupS).toBe(0.5);
    expect(o.durationS).toBe(2.5);
    expect(o.valueSizeBytes).toBe(1000);
    expect(o.readRatio).toBe(0.9);
    expect(o.readMode).toBe('quorum');
    expect(o.thrifty && o.failover).toBe(true);
    expect(o.delays.map((d) => d.label)).toEqual(['2', 'zones:2']);
    expect(o.jsonFile).toBe('out.json');
    expect(o.chartFile).toBe('c.svg');
    expect(o.tableFile).toBe('t.md');
  });

  it('names the option and the rule for bad lists', () => {
    expect(problems(['--nodes', '3,,5'])).toEqual([
      '--nodes "3,,5": "" is not a whole number (give a comma-separated list like 3,5,7)',
    ]);
    expect(problems(['--clients', '16,abc'])[0]).toContain(
      '--clients "16,abc": "abc" is not a whole number',
    );
    expect(problems(['--nodes', '3,3'])).toEqual(['--nodes "3,3": 3 is listed twice']);
    expect(problems(['--nodes', '0'])).toEqual([
      '--nodes "0": 0 is out of range: need 1 <= value <= 15',
    ]);
    expect(problems(['--clients', '-4'])[0]).toMatch(/^--clients/);
  });

  it('names P invalid for N with the rule', () => {
    expect(problems(['--nodes', '3,5', '--replication', '4'])).toEqual([
      '--replication: replication P=4 is out of range: need an integer with 1 <= P <= N (N=3)',
    ]);
    expect(problems(['--nodes', '5', '--replication', '2', '--election', '3'])).toEqual([
      '--election: P=2 and L=3 do not intersect for N=5: need L + P > N',
    ]);
    expect(problems(['--nodes', '3', '--election', '4'])[0]).toContain('L=4 is out of range');
  });

  it('reports every problem at once', () => {
    const p = problems([
      '--nodes',
      'x',
      '--duration',
      'soon',
      '--read-ratio',
      '1.5',
      '--read-mode',
      'fast',
      '--bogus',
    ]);
    expect(p).toEqual(
      expect.arrayContaining([
        '--bogus: is not a known option',
        expect.stringContaining('--nodes "x"'),
        '--duration "soon": must be seconds (5, 2.5, 5s or 500ms)',
        '--read-ratio "1.5": must be a number with 0 <= ratio <= 1',
        '--read-mode "fast": must be lease, quorum or stale',
      ]),
    );
    expect(p.length).toBeGreaterThanOrEqual(5);
  });

  it('refuses a read mode without reads, and delay variants unusable for some N', () => {
    expect(problems(['--read-mode', 'stale'])[0]).toContain(
      '--read-mode: has no effect without --read-ratio',
    );
    expect(problems(['--delay', 'zones:a=1;b=2,3', '--zone-delay', '5', '--nodes', '5'])).toEqual([
      '--delay zones:a=1;b=2,3: nodes 4,5 of N=5 in no zone (every node of a point must be in a zone)',
    ]);
    expect(problems(['--delay', 'zones:3'])[0]).toContain('zones need --zone-delay');
    expect(problems(['--delay', 'fast'])[0]).toMatch(/^--delay "fast": must be none, MS/);
    expect(problems(['--zone-delay', '5'])).toEqual([
      '--zone-delay: needs a --delay zones:... variant',
    ]);
  });

  it('takes --replot FILE (nothing runs; outputs from saved records)', () => {
    expect(ok(['--replot', 'results/sweep.json', '--chart', 'x.svg']).replotFile).toBe(
      'results/sweep.json',
    );
    expect(ok([]).replotFile).toBeUndefined();
  });

  it('answers help', () => {
    expect(parseBenchArgs(['--help']).kind).toBe('help');
  });
});
