import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlexPaxosClient } from '@flexpaxos/client';
import { startTestCluster, waitFor } from './harness.js';
import type { TestCluster } from './harness.js';

const CLUSTER = 'delay';
const MEMBERS = [1, 2, 3];
const DELAY_MS = 40;

let client: FlexPaxosClient;
let testCluster: TestCluster | undefined;

beforeAll(async () => {
  testCluster = await startTestCluster({
    cluster: CLUSTER,
    members: MEMBERS,
    tmpPrefix: 'flexpaxos-delay-',
    // Every peer link delayed; node 1's link to node 2 through the per-peer override.
    extra: (id) =>
      id === 1
        ? ['--link-delay-ms', String(DELAY_MS), '--link-delay-to', `2:${DELAY_MS}`]
        : ['--link-delay-ms', String(DELAY_MS)],
  });
  ({ client } = testCluster);
  await waitFor('a leader', async () => {
    const all = await client.clusterStatus({ waitMs: 300 });
    return all.some((n) => n.role === 'leader') ? true : undefined;
  });
});

afterAll(async () => {
  await testCluster?.stop();
});

describe('flexpaxos node --link-delay-ms (real processes, real nats-server)', () => {
  it('delays the peer messages of a write: Accept out and Accepted back, one delay each', async () => {
    await client.put('warm', 'up');
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const r = await client.put(`k${i}`, 'v');
      const ms = performance.now() - t0;
      expect(r.version).toBe(1);
      // A lower bound only (two one-way link delays); no upper bound is asserted.
      expect(ms).toBeGreaterThanOrEqual(2 * DELAY_MS - 1);
    }
    expect(await client.get('k2')).toMatchObject({ value: 'v' });
  });
});
