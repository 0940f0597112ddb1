import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { Svcm } from '@nats-io/services';
import type { ServiceInfo, ServiceStats } from '@nats-io/services';
import { startTestCluster, waitFor } from './harness.js';
import type { TestCluster } from './harness.js';

const CLUSTER = 'svc';
const MEMBERS = [1, 2, 3];

let cluster: TestCluster;
let nc: NatsConnection;

async function all<T>(it: Promise<AsyncIterable<T>>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of await it) out.push(x);
  return out;
}

beforeAll(async () => {
  cluster = await startTestCluster({
    cluster: CLUSTER,
    members: MEMBERS,
    tmpPrefix: 'flexpaxos-svc-',
  });
  nc = await connect({ servers: cluster.nats.url });
  await waitFor('a leader', async () => {
    const s = await cluster.client.clusterStatus({ waitMs: 300 });
    return s.length === 3 && s.some((n) => n.role === 'leader') ? true : undefined;
  });
}, 60_000);

afterAll(async () => {
  await nc?.close();
  await cluster?.stop();
});

describe('the NATS micro service of every node', () => {
  it('answers $SRV.PING, INFO and STATS with one flexpaxos service per node and its endpoints', async () => {
    const svc = new Svcm(nc).client({ strategy: 'timer', maxWait: 1000 });

    const pings = await all(svc.ping('flexpaxos'));
    expect(pings).toHaveLength(3);
    expect(new Set(pings.map((p) => p.id)).size).toBe(3);
    for (const p of pings) {
      expect(p.name).toBe('flexpaxos');
      expect(p.version).toMatch(/^\d+\.\d+\.\d+/);
    }

    const infos: ServiceInfo[] = await all(svc.info('flexpaxos'));
    expect(infos.map((i) => Number(i.metadata?.['node'])).sort()).toEqual(MEMBERS);
    for (const info of infos) {
      expect(info.metadata?.['cluster']).toBe(CLUSTER);
      const id = info.metadata?.['node'];
      const endpoints = Object.fromEntries(info.endpoints.map((e) => [e.name, e]));
      expect(endpoints['client']).toMatchObject({
        subject: `flexpaxos.${CLUSTER}.client`,
        queue_group: 'flexpaxos-nodes',
      });
      expect(endpoints['node']?.subject).toBe(`flexpaxos.${CLUSTER}.client.${id}`);
      expect(endpoints['status']?.subject).toBe(`flexpaxos.${CLUSTER}.status`);
    }

    // Client traffic is counted by the endpoints it arrives on.
    for (let i = 0; i < 20; i++) await cluster.client.put(`k${i}`, `v${i}`);
    const stats: ServiceStats[] = await all(svc.stats('flexpaxos'));
    expect(stats).toHaveLength(3);
    let requests = 0;
    const roles: string[] = [];
    for (const s of stats) {
      for (const e of s.endpoints ?? []) {
        requests += e.num_requests;
        expect(e.num_errors).toBe(0);
        roles.push((e.data as { role: string }).role);
      }
    }
    expect(requests).toBeGreaterThanOrEqual(20);
    expect(roles.filter((r) => r === 'leader')).toHaveLength(3); // the leader's three endpoints

    // The raw subject any NATS tool uses.
    const raw = await nc.request('$SRV.PING.flexpaxos', '', { timeout: 1000 });
    expect(raw.json<{ type: string; name: string }>()).toMatchObject({
      type: 'io.nats.micro.v1.ping_response',
      name: 'flexpaxos',
    });
  }, 60_000);
});
