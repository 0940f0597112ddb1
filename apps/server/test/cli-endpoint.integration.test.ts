/**
 * The CLI against a live cluster (real nats-server, three node processes on RocksDB): global
 * options before the command, `-w table|simple|json`, `endpoint status` (with the RocksDB size
 * of each node) and `endpoint health`, also with a member down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeStatusReport } from '@flexpaxos/client';
import { spawnCli, startTestCluster, waitFor } from './harness.js';
import type { TestCluster } from './harness.js';

const CLUSTER = 'cliendpoint';
const MEMBERS = [1, 2, 3];
let c: TestCluster;

beforeAll(async () => {
  c = await startTestCluster({ cluster: CLUSTER, members: MEMBERS, tmpPrefix: 'flexpaxos-cliep-' });
  await waitFor('a leader', async () =>
    (await c.client.clusterStatus({ waitMs: 300 })).find((n) => n.role === 'leader'),
  );
  // Every node knows the leader (a follower learns it from the first heartbeat).
  await waitFor('every node to know the leader', async () => {
    const all = await c.client.clusterStatus({ waitMs: 300 });
    return all.length === MEMBERS.length && all.every((n) => n.leader !== null) ? true : undefined;
  });
}, 60_000);

afterAll(async () => {
  await c?.stop();
});

async function cli(
  args: readonly string[],
): Promise<{ code: number | string; out: string; err: string }> {
  const p = spawnCli(args, 30_000);
  const code = await p.exited;
  return { code, out: p.stdout(), err: p.stderr() };
}

/** The global options that name the cluster, for the front of a command line. */
const target = (): string[] => ['--nats', c.nats.url, '--cluster', CLUSTER];

describe('the CLI against a live cluster', () => {
  it('takes global options before the command and prints table, simple and json', async () => {
    const put = await cli([...target(), 'put', 'cli/k', 'v1', '-w', 'table']);
    expect(put.code).toBe(0);
    expect(put.out).toMatch(/^key +version +revision\ncli\/k +1 +\d+\n$/);
    const simple = await cli(['get', 'cli/k', ...target(), '-w', 'simple']);
    expect(simple.code).toBe(0);
    expect(simple.out).toMatch(/^cli\/k, v1, 1, \d+\n$/);
    const json = await cli(['--json', ...target(), 'get', 'cli/k']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({ found: true, key: 'cli/k', value: 'v1' });
    const status = await cli([...target(), 'status', '-w', 'table']);
    expect(status.code).toBe(0);
    const lines = status.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id +role +leader +ballot +committed +applied +lease +pid +http$/);
    expect(lines.slice(1).map((l) => Number(l.split(/ +/)[0]))).toEqual(MEMBERS);
  });

  it('endpoint status: one row per member with its db size and the latency of the request', async () => {
    const table = await cli([...target(), 'endpoint', 'status']);
    expect(table.code).toBe(0);
    const lines = table.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^id +role +ballot +leader +committed +applied +lease +db size +latency$/,
    );
    expect(lines).toHaveLength(1 + MEMBERS.length);
    for (const [i, line] of lines.slice(1).entries()) {
      expect(line).toMatch(
        new RegExp(
          `^${MEMBERS[i]} +(leader|follower) +\\d+\\.\\d+ +\\d+ +\\d+ +\\d+ +\\S+ +\\d+(\\.\\d)? (B|KiB|MiB) +\\d+(\\.\\d)? ms$`,
        ),
      );
    }
    expect(lines.filter((l) => /^\d+ +leader /.test(l))).toHaveLength(1);

    const json = await cli(['endpoint', 'status', ...target(), '-w', 'json']);
    expect(json.code).toBe(0);
    const probes = JSON.parse(json.out) as {
      id: number;
      latencyMs: number;
      status: NodeStatusReport | null;
      error: string | null;
    }[];
    expect(probes.map((p) => p.id)).toEqual(MEMBERS);
    for (const p of probes) {
      expect(p.error).toBeNull();
      expect(p.latencyMs).toBeGreaterThan(0);
      expect(p.status?.id).toBe(p.id);
      expect(p.status?.dbBytes).toBeGreaterThan(0);
    }
  });

  it('endpoint health: every member healthy (exit 0); a member down is unhealthy (exit 1)', async () => {
    const ok = await cli([...target(), 'endpoint', 'health']);
    expect(ok.code).toBe(0);
    const lines = ok.out.trimEnd().split('\n');
    expect(lines).toHaveLength(MEMBERS.length);
    for (const [i, line] of lines.entries())
      expect(line).toMatch(new RegExp(`^node ${MEMBERS[i]} is healthy: took \\d+(\\.\\d)? ms$`));

    const victim = c.nodes.find((n) => n.id === 3);
    victim?.proc.kill('SIGKILL');
    await victim?.exited;
    const down = await cli([...target(), 'endpoint', 'health', '--timeout-ms', '1000']);
    expect(down.code).toBe(1);
    expect(down.out).toMatch(/^node 1 is healthy: /m);
    expect(down.out).toMatch(/^node 2 is healthy: /m);
    expect(down.out).toMatch(
      /^node 3 is unhealthy: took \d+(\.\d)? ms: UnavailableError: no answer/m,
    );
    const json = await cli([...target(), 'endpoint', 'health', '--timeout-ms', '1000', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject([
      { id: 1, healthy: true, error: null },
      { id: 2, healthy: true, error: null },
      { id: 3, healthy: false },
    ]);
    const status = await cli([...target(), 'endpoint', 'status', '--timeout-ms', '1000']);
    expect(status.code).toBe(1);
    expect(status.out).toMatch(/^3 +unreachable +- /m);
    expect(status.err).toContain('flexpaxos endpoint status: node 3: UnavailableError');
  });
});
