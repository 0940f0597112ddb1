/**
 * Automatic subsetting on real processes: N = 5, P = 2, L = 4; a partition (emulated in the
 * nodes, `--test-partition-control`) leaves the leader and two followers on one side and two
 * nodes on the other, so no side can elect; the leader subsets to the three it reaches, then is
 * killed -9, and the two survivors elect and take writes. Healed, the cluster grows back to 5.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import type { NodeStatusReport } from '@flexpaxos/client';
import { nodeArgs, spawnCli, startTestCluster, waitFor } from './harness.js';
import type { TestCluster } from './harness.js';

const MEMBERS = [1, 2, 3, 4, 5];
const EXTRA = ['--replication', '2', '--election', '4', '--test-partition-control', 'true'];
let c: TestCluster;

beforeAll(async () => {
  c = await startTestCluster({
    cluster: 'subset',
    members: MEMBERS,
    tmpPrefix: 'flexpaxos-subset-',
    extra: () => EXTRA,
  });
});

afterAll(async () => {
  await c?.stop();
});

async function partition(sides: readonly (readonly number[])[]): Promise<void> {
  const nc = await connect({ servers: [c.nats.url] });
  try {
    for (const id of MEMBERS) {
      const mine = sides.find((s) => s.includes(id)) ?? [];
      const blocked = MEMBERS.filter((m) => !mine.includes(m) && sides.some((s) => s.includes(m)));
      await nc
        .request(
          `flexpaxos.subset.test.partition.${id}`,
          new TextEncoder().encode(JSON.stringify({ blocked })),
          {
            timeout: 2000,
          },
        )
        .catch(() => undefined); // a killed node does not answer
    }
  } finally {
    await nc.close();
  }
}

const leaderStatus = (): Promise<NodeStatusReport> =>
  waitFor('a leader', async () =>
    (await c.client.clusterStatus({ waitMs: 300 })).find((n) => n.role === 'leader'),
  );

describe('automatic subsetting after a double fault', () => {
  it('shrinks to the reachable side, survives the leader kill, and grows back after the heal', async () => {
    const leader = (await leaderStatus()).id;
    await c.client.put('before', '1');
    const others = MEMBERS.filter((id) => id !== leader);
    const sideA = [leader, others[0] ?? 0, others[1] ?? 0];
    const sideB = others.slice(2);
    await partition([sideA, sideB]);
    // The leader still writes (P = 2) and, after the hold-down, subsets to side A.
    await c.client.put('partitioned', '1');
    const subset = await waitFor(
      'the subset configuration',
      async () => {
        const s = await c.client.status(leader, { timeoutMs: 1000 });
        return s.config?.quorum.voters.length === 3 ? s.config : undefined;
      },
      20_000,
    );
    expect(subset.quorum.voters).toEqual([...sideA].sort((a, b) => a - b));
    expect(subset.quorum).toMatchObject({ replication: 2, election: 2 });
    expect(subset.restore).toBe('N=5 P=2 L=4 [1,2,3,4,5]');
    // Counted and shown with its reason.
    const http = (await c.client.status(leader)).http ?? '';
    const metrics = await waitFor('the automatic change counted', async () => {
      const text = await (await fetch(`${http}/metrics`)).text();
      return /^flexpaxos_config_changes_auto_subset_total 1$/m.test(text) ? text : undefined;
    });
    expect(metrics).toMatch(/^flexpaxos_config_subset 1$/m);
    expect(subset.lastChange?.reason).toMatch(
      /^auto-subset: reached a phase-2 but no phase-1 quorum/,
    );

    c.nodes.find((n) => n.id === leader)?.proc.kill('SIGKILL');
    const killedAt = performance.now();
    await c.client.put('after-kill', '1', { timeoutMs: 10_000 });
    const recoveredMs = performance.now() - killedAt;
    console.log(`writes resumed ${Math.round(recoveredMs)} ms after the leader was killed`);
    expect(recoveredMs).toBeLessThan(10_000);
    const newLeader = (await leaderStatus()).id;
    expect(sideA).toContain(newLeader);

    // Heal and restart the killed node: once every voter of the original configuration is
    // reachable and caught up, the leader changes back to it (learners first).
    await partition([]);
    const again = spawnCli(
      nodeArgs({
        id: leader,
        members: MEMBERS,
        cluster: 'subset',
        nats: c.nats.url,
        dataDir: c.dir,
        extra: EXTRA,
      }),
    );
    c.nodes.push(again);
    await again.started;
    const restored = await waitFor(
      'the configuration restored to N = 5',
      async () => {
        const s = await leaderStatus();
        return s.config?.quorum.voters.length === 5 ? s.config : undefined;
      },
      40_000,
    );
    expect(restored.quorum).toMatchObject({ replication: 2, election: 4 });
    expect(restored.restore).toBeNull();
    for (const key of ['before', 'partitioned', 'after-kill']) {
      expect((await c.client.get(key, { readMode: 'quorum' }))?.value).toBe('1');
    }
  }, 90_000);
});
