import { describe, expect, it } from 'vitest';
import { NO_DELAY, estimateSeconds, parseDelay, planPoints, splitClients } from '../src/index.js';
import type { DelayVariant } from '../src/index.js';

const base = { replication: undefined, election: undefined, clients: [64], delays: [NO_DELAY] };
const triples = (input: Parameters<typeof planPoints>[0]): string[] =>
  planPoints(input).points.map((p) => `${p.nodes}/${p.replication}/${p.election}`);

describe('planPoints', () => {
  it('runs every valid P with L = N - P + 1 by default', () => {
    expect(triples({ ...base, nodes: [3, 5] })).toEqual([
      '3/1/3',
      '3/2/2',
      '3/3/1',
      '5/1/5',
      '5/2/4',
      '5/3/3',
      '5/4/2',
      '5/5/1',
    ]);
  });

  it('runs the given P with the default L', () => {
    expect(triples({ ...base, nodes: [3, 5], replication: [2, 3] })).toEqual([
      '3/2/2',
      '3/3/1',
      '5/2/4',
      '5/3/3',
    ]);
  });

  it('runs every P valid with a given L', () => {
    expect(triples({ ...base, nodes: [5], election: [3] })).toEqual(['5/3/3', '5/4/3', '5/5/3']);
    expect(triples({ ...base, nodes: [3, 5], election: [4] })).toEqual([
      '5/2/4',
      '5/3/4',
      '5/4/4',
      '5/5/4',
    ]);
    expect(planPoints({ ...base, nodes: [3, 5], election: [4] }).problems).toEqual([
      '--election: election L=4 is out of range: need an integer with 1 <= L <= N (N=3)',
    ]);
  });

  it('runs given (P, L) pairs and names the invalid ones', () => {
    const plan = planPoints({ ...base, nodes: [5], replication: [2, 3], election: [3, 4] });
    expect(plan.points.map((p) => `${p.replication}/${p.election}`)).toEqual(['2/4', '3/3', '3/4']);
    expect(plan.problems).toEqual([
      '--election: P=2 and L=3 do not intersect for N=5: need L + P > N',
    ]);
  });

  it('puts delays outermost and clients innermost', () => {
    const delay = (parseDelay('5') as { ok: true; value: DelayVariant }).value;
    const plan = planPoints({
      ...base,
      nodes: [3],
      replication: [2],
      clients: [1, 16],
      delays: [NO_DELAY, delay],
    });
    expect(plan.points.map((p) => `${p.delay.label}/${p.clients}`)).toEqual([
      'none/1',
      'none/16',
      '5/1',
      '5/16',
    ]);
  });

  it('estimates a run from its points', () => {
    expect(estimateSeconds(8, 2, 8, false)).toBe(8 * (5 + 2 + 8));
    expect(estimateSeconds(1, 2, 5, true)).toBeGreaterThan(estimateSeconds(1, 2, 5, false));
  });
});

describe('splitClients', () => {
  it('uses one process by default, the given count otherwise, never more than the clients', () => {
    expect(splitClients(1, undefined)).toEqual([1]);
    expect(splitClients(64, undefined)).toEqual([64]);
    expect(splitClients(256, 1)).toEqual([256]);
    expect(splitClients(64, 2)).toEqual([32, 32]);
    expect(splitClients(10, 3)).toEqual([4, 3, 3]);
    expect(splitClients(2, 8)).toEqual([1, 1]);
  });
});

describe('planPoints with --compare', () => {
  const systems = (input: Parameters<typeof planPoints>[0]): string[] =>
    planPoints(input).points.map(
      (p) => `${p.system}/${p.nodes}/${p.replication}/${p.election}/${p.clients}/${p.delay.label}`,
    );

  it('runs every system at one client count before the next, comparisons with a majority quorum', () => {
    expect(
      systems({
        ...base,
        nodes: [3, 5],
        replication: [2],
        clients: [16, 64],
        compare: ['natskv', 'etcd'],
      }),
    ).toEqual([
      'flexpaxos/3/2/2/16/none',
      'natskv/3/2/2/16/none',
      'etcd/3/2/2/16/none',
      'flexpaxos/3/2/2/64/none',
      'natskv/3/2/2/64/none',
      'etcd/3/2/2/64/none',
      'flexpaxos/5/2/4/16/none',
      'natskv/5/3/3/16/none',
      'etcd/5/3/3/16/none',
      'flexpaxos/5/2/4/64/none',
      'natskv/5/3/3/64/none',
      'etcd/5/3/3/64/none',
    ]);
    // Several P: each at one client count, then the comparisons.
    expect(systems({ ...base, nodes: [3], clients: [1, 16], compare: ['natskv'] })).toEqual([
      'flexpaxos/3/1/3/1/none',
      'flexpaxos/3/2/2/1/none',
      'flexpaxos/3/3/1/1/none',
      'natskv/3/2/2/1/none',
      'flexpaxos/3/1/3/16/none',
      'flexpaxos/3/2/2/16/none',
      'flexpaxos/3/3/1/16/none',
      'natskv/3/2/2/16/none',
    ]);
  });

  it('runs the comparisons once, in the variant without delays', () => {
    const d = parseDelay('5');
    if (!d.ok) throw new Error('bad delay');
    const input = {
      ...base,
      nodes: [3],
      replication: [2],
      delays: [NO_DELAY, d.value],
      compare: ['etcd' as const],
    };
    expect(systems(input)).toEqual([
      'flexpaxos/3/2/2/64/none',
      'etcd/3/2/2/64/none',
      'flexpaxos/3/2/2/64/5',
    ]);
    expect(planPoints(input).problems).toEqual([]);
  });

  it('refuses comparisons without a variant without delays, and NATS KV beyond 5 servers', () => {
    const d = parseDelay('5');
    if (!d.ok) throw new Error('bad delay');
    expect(
      planPoints({ ...base, nodes: [3], delays: [d.value], compare: ['natskv'] }).problems,
    ).toEqual([expect.stringMatching(/^--compare: .*add --delay none/)]);
    expect(
      planPoints({ ...base, nodes: [3, 7], replication: [2], compare: ['natskv'] }).problems,
    ).toEqual([expect.stringMatching(/^--compare natskv: N=7 .*at most 5 replicas/)]);
    expect(
      planPoints({ ...base, nodes: [7], replication: [2], compare: ['etcd'] }).problems,
    ).toEqual([]);
  });
});
