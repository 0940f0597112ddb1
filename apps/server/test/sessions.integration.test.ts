/**
 * Exactly once without holes, against real node processes: sessions are opened through the log
 * and a retry whose session the cluster forgot is refused `session-expired`, never applied
 * again. The clusters run with `--sessions-max 2`, so opening two sessions evicts an older one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  FlexPaxosClient,
  IndeterminateError,
  RejectedError,
  clusterClientSubject,
  decodeResponse,
  encodeRequest,
  nodeClientSubject,
} from '@flexpaxos/client';
import type { NodeStatusReport } from '@flexpaxos/client';
import {
  decodeReply,
  encodeCommand,
  kvCommand,
  kvOpenSession,
  kvPut,
  kvSessionCommand,
  sessionId,
} from '@flexpaxos/kv';
import type { KvReply } from '@flexpaxos/kv';
import { startTestCluster, waitFor } from './harness.js';
import type { TestCluster } from './harness.js';

const CLUSTER = 'sessions';
const MEMBERS = [1, 2, 3];

async function leaderOf(c: FlexPaxosClient): Promise<NodeStatusReport | undefined> {
  const all = await c.clusterStatus({ waitMs: 300 });
  const leaders = all.filter((n) => n.role === 'leader');
  const l = leaders[0];
  if (l === undefined || leaders.length !== 1) return undefined;
  return all.every((n) => n.leader === l.id) ? l : undefined;
}

/** Sends one KV command over raw NATS, following redirects, and returns its KV reply. */
async function raw(nc: NatsConnection, cluster: string, command: Uint8Array): Promise<KvReply> {
  let subject = clusterClientSubject(cluster);
  for (let i = 0; i < 20; i++) {
    const msg = await nc.request(
      subject,
      encodeRequest({ kind: 'command', readMode: 'none', command }),
      { timeout: 5000 },
    );
    const r = decodeResponse(msg.data);
    if (!r.ok) throw new Error(r.error);
    if (r.value.kind === 'result') {
      const d = decodeReply(r.value.result);
      if (!d.ok) throw new Error(d.error);
      return d.value;
    }
    if (r.value.kind === 'not-leader' && r.value.leader !== undefined) {
      subject = nodeClientSubject(cluster, r.value.leader);
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    subject = clusterClientSubject(cluster);
  }
  throw new Error('no leader answered');
}

async function openRaw(nc: NatsConnection, cluster: string): Promise<number> {
  const r = await raw(nc, cluster, encodeCommand(kvCommand(kvOpenSession())));
  if (r.type !== 'open-session') throw new Error(`expected open-session, got ${r.type}`);
  return r.sessionId;
}

async function proposals(http: string | undefined): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text();
  const m = /^flexpaxos_proposals_total (\d+)$/m.exec(text);
  return Number(m?.[1] ?? NaN);
}

describe('registered sessions (--sessions-max 2, legacy sessions off by default)', () => {
  let t: TestCluster | undefined;
  let nc: NatsConnection;
  let cluster: TestCluster;

  beforeAll(async () => {
    t = await startTestCluster({
      cluster: CLUSTER,
      members: MEMBERS,
      tmpPrefix: 'flexpaxos-sessions-',
      extra: () => ['--sessions-max', '2'],
    });
    cluster = t;
    await waitFor('a leader followed by every node', () => leaderOf(cluster.client));
    nc = await connect({ servers: [t.nats.url] });
  });

  afterAll(async () => {
    await nc?.close();
    await t?.stop();
  });

  it('refuses a retry of a first command after its session was evicted: applied once', async () => {
    const a = await openRaw(nc, CLUSTER);
    const first = encodeCommand(kvSessionCommand(kvPut('hole/k', 'once'), sessionId(a), 1));
    expect(await raw(nc, CLUSTER, first)).toMatchObject({ type: 'put', version: 1 });
    // The same bytes again while the session lives: answered from the session table.
    expect(await raw(nc, CLUSTER, first)).toMatchObject({ type: 'put', version: 1 });
    // Two newer sessions evict `a` (the table holds two).
    await openRaw(nc, CLUSTER);
    await openRaw(nc, CLUSTER);
    // The delayed retry of the first command: refused, and nothing changed.
    expect(await raw(nc, CLUSTER, first)).toMatchObject({
      type: 'error',
      code: 'session-expired',
    });
    expect(await cluster.client.get('hole/k', { readMode: 'quorum' })).toMatchObject({
      value: 'once',
      version: 1,
    });
    // Client-chosen session ids are refused by default.
    expect(
      await raw(nc, CLUSTER, encodeCommand(kvCommand(kvPut('hole/k', 'legacy'), 'old-client', 1))),
    ).toMatchObject({ type: 'error', code: 'invalid' });
  });

  it('sends a write again under a new session when its first sending found the session gone', async () => {
    const c = await FlexPaxosClient.connect({ servers: [cluster.nats.url], cluster: CLUSTER });
    try {
      expect((await c.put('reopen/k', 'a')).version).toBe(1);
      expect(c.sessionsOpened).toBe(1);
      await openRaw(nc, CLUSTER);
      await openRaw(nc, CLUSTER); // c's session is evicted
      // The first sending is answered session-expired: nothing was applied, so it is resent.
      expect((await c.put('reopen/k', 'b')).version).toBe(2);
      expect(c.sessionsOpened).toBe(2);
      expect((await c.get('reopen/k', { readMode: 'quorum' }))?.version).toBe(2);
    } finally {
      await c.close();
    }
  });

  it('closes its sessions on close(), and keeps an idle one alive', async () => {
    const c = await FlexPaxosClient.connect({ servers: [cluster.nats.url], cluster: CLUSTER });
    const leader = await waitFor('a leader', () => leaderOf(cluster.client));
    await c.put('idle/k', 'v');
    expect(c.sessionsIdle).toBe(1);
    const p0 = await proposals(leader.http ?? undefined);
    // Idle for two keep-alive periods: at least one session-keepalive went through the log.
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    const p1 = await proposals(leader.http ?? undefined);
    expect(p1).toBeGreaterThan(p0);
    expect(c.sessionsIdle).toBe(1);
    const t0 = performance.now();
    await c.close();
    expect(performance.now() - t0).toBeLessThan(2000);
    // close() sent close-session under the idle session.
    expect(await proposals(leader.http ?? undefined)).toBeGreaterThan(p1);
    await expect(c.put('idle/k', 'w')).rejects.toMatchObject({ code: 'CLOSED' });
  }, 30_000);

  it('reports a retried write whose session expired meanwhile as IndeterminateError', async () => {
    const c = await FlexPaxosClient.connect({
      servers: [cluster.nats.url],
      cluster: CLUSTER,
      timeoutMs: 30_000,
      attemptTimeoutMs: 1000,
    });
    try {
      await c.put('ind/warm', 'v'); // opens c's session
      // c learns the leader only from a redirect (its put may have reached the leader at
      // once), so ask the cluster. c's next write reaches the leader directly or by redirect.
      const leader = await waitFor('a leader', () => leaderOf(cluster.client));
      const victim = cluster.nodes.find((n) => n.id === leader.id);
      expect(victim).toBeDefined();
      await openRaw(nc, CLUSTER);
      await openRaw(nc, CLUSTER); // c's session is evicted; c does not know yet
      // The leader stops answering (but its subscription stays): c's first sending of the next
      // write gets no answer, so c cannot know whether it was applied; its retry, at the next
      // leader, finds the session gone.
      victim?.proc.kill('SIGSTOP');
      const err = await c.put('ind/x', 'v').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(IndeterminateError);
      expect(err).toMatchObject({ code: 'INDETERMINATE', name: 'IndeterminateError' });
      expect((err as IndeterminateError).cause).toBeInstanceOf(RejectedError);
      expect((err as IndeterminateError).cause).toMatchObject({ reason: 'session-expired' });
      victim?.proc.kill('SIGCONT');
      // In fact it was never applied, and the client writes on under a new session.
      expect(await c.get('ind/x', { readMode: 'quorum' })).toBeUndefined();
      expect((await c.put('ind/x', 'w')).version).toBe(1);
    } finally {
      await c.close();
    }
  }, 60_000);
});

describe('client-chosen session ids (--legacy-sessions true)', () => {
  let t: TestCluster | undefined;

  beforeAll(async () => {
    t = await startTestCluster({
      cluster: 'legacy',
      members: [1],
      tmpPrefix: 'flexpaxos-legacy-',
      extra: () => ['--sessions-max', '2', '--legacy-sessions', 'true'],
    });
    const c = t.client;
    await waitFor('a leader', async () =>
      (await c.status(1)).role === 'leader' ? true : undefined,
    );
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('are accepted, and keep the hole: a retry of seq 1 after eviction is applied again', async () => {
    const cluster = t as TestCluster;
    const nc = await connect({ servers: [cluster.nats.url] });
    try {
      const first = encodeCommand(kvCommand(kvPut('legacy/k', 'v'), 'client-a', 1));
      expect(await raw(nc, 'legacy', first)).toMatchObject({ type: 'put', version: 1 });
      for (const id of ['client-b', 'client-c'])
        await raw(nc, 'legacy', encodeCommand(kvCommand(kvPut(`legacy/${id}`, 'v'), id, 1)));
      expect(await raw(nc, 'legacy', first)).toMatchObject({ type: 'put', version: 2 });
      // The client itself uses registered sessions on such a cluster too.
      expect((await cluster.client.put('legacy/k', 'w')).version).toBe(3);
    } finally {
      await nc.close();
    }
  });
});
