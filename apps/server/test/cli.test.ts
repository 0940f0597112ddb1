import { describe, expect, it } from 'vitest';
import { spawnCli } from './harness.js';

describe('flexpaxos node', () => {
  it('exits 2 naming every bad field and rule before starting anything', async () => {
    const p = spawnCli(
      [
        'node',
        '--id',
        '4',
        '--cluster',
        'bad.name',
        '--members',
        '1,2,3,4,5',
        '--replication',
        '2',
        '--election',
        '3',
        '--data-dir',
        '/tmp/x',
      ],
      30_000,
    );
    expect(await p.exited).toBe(2);
    const err = p.stderr();
    expect(err).toContain('config: election: P=2 and L=3 do not intersect for N=5: need L + P > N');
    expect(err).toContain('config: cluster: must be 1..64 characters of [A-Za-z0-9_-]');
    expect(err).toContain('config: nats: is required');
    expect(err).toContain('nothing started');
  });
});
