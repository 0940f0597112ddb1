import { describe, expect, it } from 'vitest';
import { decodeResponse, encodeRequest } from '@flexpaxos/client';
import type { AdminRequest, ReadMode, Response } from '@flexpaxos/client';
import {
  KvStateMachine,
  decodeReply,
  decodeResult,
  encodeCommand,
  kvCommand,
  kvGet,
  kvLeaseExpire,
  kvLeaseGrant,
  kvLeaseKeepalive,
  kvLeaseList,
  kvLeaseRevoke,
  kvLeaseTtl,
  kvLessorEpoch,
  kvOpenSession,
  kvPut,
  kvSessionCommand,
  kvTxn,
  leaseId,
  sessionId,
} from '@flexpaxos/kv';
import type { KvCommandOp, KvConfig, KvReply, LeaseId } from '@flexpaxos/kv';
import type { NodeId, ProposeResult, Role } from '@flexpaxos/paxos';
import { ClientService, PENDING_EXPIRY_MS } from '../src/client-service.js';
import type { ReadOp, ServerStatusReport } from '../src/reads.js';

const command = (op: KvCommandOp, seq?: number): Uint8Array =>
  encodeCommand(seq === undefined ? kvCommand(op) : kvCommand(op, 'client-1', seq));
const frame = (op: KvCommandOp, seq?: number, readMode: ReadMode | 'none' = 'none'): Uint8Array =>
  encodeRequest({ kind: 'command', readMode, command: command(op, seq) });

/** The KV reply inside a result frame. */
function kvReply(f: Uint8Array | undefined): KvReply {
  const r = decoded(f);
  if (r.kind !== 'result') throw new Error(`not a result: ${r.kind}`);
  const d = decodeReply(r.result);
  if (!d.ok) throw new Error(d.error);
  return d.value;
}

function decoded(f: Uint8Array | undefined): Response {
  const r = f === undefined ? undefined : decodeResponse(f);
  if (!r?.ok) throw new Error(`not a response frame: ${r?.error}`);
  return r.value;
}

function setup(
  role: Role = 'leader',
  leader: number | undefined = 1,
  kvConfig: Partial<KvConfig> = {},
) {
  const replica = {
    role,
    leader: leader as NodeId | undefined,
    proposed: [] as Uint8Array[],
    propose(cmd: Uint8Array): ProposeResult {
      this.proposed.push(cmd);
      return { kind: 'queued' };
    },
  };
  const reads: { op: ReadOp; mode: string }[] = [];
  const admins: AdminRequest[] = [];
  const keepalives: LeaseId[] = [];
  let kicks = 0;
  /** How many commands were proposed at each kick. */
  const proposedAtKick: number[] = [];
  const service = new ClientService({
    nodeId: 1,
    replica,
    reads: {
      serve: (op, mode, respond) => {
        reads.push({ op, mode });
        respond({ kind: 'result', result: new Uint8Array([7]) });
      },
      serveStale: (op, respond) => {
        reads.push({ op, mode: 'stale' });
        respond({ kind: 'result', result: new Uint8Array([8]) });
      },
    },
    status: () => ({ id: 1 }) as ServerStatusReport,
    admin: {
      onRequest: (request, respond) => {
        admins.push(request);
        respond({ kind: 'error', code: 'refused', message: 'recorded' });
      },
    },
    lessor: {
      keepalive: (lease, respond) => {
        keepalives.push(lease);
        respond({ kind: 'not-leader', leader: 2 });
      },
    },
    kick: () => {
      kicks++;
      proposedAtKick.push(replica.proposed.length);
    },
  });
  const replies: Uint8Array[] = [];
  const send = (data: Uint8Array): void =>
    service.onRequest({ data, respond: (f: Uint8Array) => replies.push(f) });
  /** Applies what was proposed so far as one slot, as the host loop would. */
  const kv = new KvStateMachine(kvConfig);
  let slot = 0;
  const applyProposed = (): void => {
    const cmds = replica.proposed.splice(0);
    const r = kv.applySlot(++slot, { kind: 'commands', commands: cmds });
    service.onApplied(cmds, r.replies);
  };
  return {
    replica,
    reads,
    admins,
    keepalives,
    service,
    replies,
    send,
    applyProposed,
    kicks: () => kicks,
    proposedAtKick,
  };
}

describe('ClientService', () => {
  it('proposes a write on the leader and answers it only once its command is applied', () => {
    const t = setup();
    t.send(frame(kvPut('k', 'v'), 1));
    expect(t.replica.proposed).toHaveLength(1);
    expect(t.kicks()).toBe(1);
    expect(t.replies).toEqual([]);
    expect(t.service.pending).toBe(1);
    t.applyProposed();
    const r = decoded(t.replies[0]);
    expect(r.kind).toBe('result');
    const result = r.kind === 'result' ? decodeResult(r.result) : undefined;
    expect(result?.ok && result.value.type).toBe('put');
    expect(t.service.pending).toBe(0);
    expect(t.service.counts).toMatchObject({ requests: 1, proposals: 1, errors: 0 });
    expect(t.service.requestSeconds.count).toBe(1);
  });

  it('hands admin requests to the admin service, and refuses them inside a batch', () => {
    const t = setup();
    t.send(encodeRequest({ kind: 'admin', admin: { op: 'add-member', id: 4 } }));
    expect(t.admins).toEqual([{ op: 'add-member', id: 4 }]);
    expect(decoded(t.replies[0])).toMatchObject({ kind: 'error', code: 'refused' });
    t.send(
      encodeRequest({
        kind: 'batch',
        items: [encodeRequest({ kind: 'admin', admin: { op: 'remove-member', id: 2 } })],
      }),
    );
    expect(t.admins).toHaveLength(1);
    const batch = decoded(t.replies[1]);
    const item = batch.kind === 'batch' ? decoded(batch.items[0]) : batch;
    expect(item).toMatchObject({ kind: 'error', code: 'bad-request' });
    // A malformed admin request never reaches the service.
    const bad = encodeRequest({ kind: 'admin', admin: { op: 'add-member', id: 4 } });
    const text = new TextDecoder().decode(bad.subarray(2)).replace('4', '-1');
    t.send(Uint8Array.of(bad[0] ?? 1, 4, ...new TextEncoder().encode(text)));
    expect(t.admins).toHaveLength(1);
    expect(decoded(t.replies[2])).toMatchObject({ kind: 'error', code: 'bad-request' });
  });

  it('serves reads by their mode without proposing them', () => {
    const t = setup();
    t.send(frame(kvGet('k'), undefined, 'lease'));
    t.send(frame(kvGet('k'), undefined, 'quorum'));
    t.send(frame(kvGet('k'), undefined, 'stale'));
    t.send(frame(kvGet('k'), undefined, 'none'));
    expect(t.reads.map((r) => r.mode)).toEqual(['lease', 'quorum', 'stale', 'lease']);
    expect(t.replica.proposed).toEqual([]);
    expect(t.replies.map((f) => decoded(f).kind)).toEqual(['result', 'result', 'result', 'result']);
  });

  it('serves lease-ttl and lease-list as reads, and hands keep-alives to the lessor', () => {
    const t = setup();
    t.send(frame(kvLeaseTtl(leaseId(5), true), undefined, 'lease'));
    t.send(frame(kvLeaseList(), undefined, 'stale'));
    t.send(frame(kvLeaseKeepalive(leaseId(5))));
    expect(t.reads.map((r) => [r.op.type, r.mode])).toEqual([
      ['lease-ttl', 'lease'],
      ['lease-list', 'stale'],
    ]);
    expect(t.keepalives).toEqual([5]);
    expect(decoded(t.replies[2])).toEqual({ kind: 'not-leader', leader: 2 });
    expect(t.replica.proposed).toEqual([]);
  });

  it('proposes transactions and lease writes under a session like any write', () => {
    const t = setup();
    t.send(frame(kvTxn([], [kvPut('a', '1')]), 1));
    t.send(frame(kvLeaseGrant(2000), 2));
    t.send(frame(kvLeaseRevoke(leaseId(1)), 3));
    expect(t.replica.proposed).toHaveLength(3);
    t.applyProposed();
    const types = t.replies.map((f) => {
      const r = decoded(f);
      const d = r.kind === 'result' ? decodeReply(r.result) : undefined;
      return d?.ok ? d.value.type : r.kind;
    });
    expect(types).toEqual(['txn', 'lease-grant', 'lease-revoke']);
  });

  it('refuses host-only operations from a client: lessor epochs and expiry revocations', () => {
    const t = setup();
    t.send(frame(kvLessorEpoch('me'), 1));
    t.send(frame(kvLeaseExpire(leaseId(1), 1), 2));
    t.send(frame(kvLessorEpoch('me')));
    expect(t.replica.proposed).toEqual([]);
    for (const f of t.replies) {
      const r = decoded(f);
      const d = r.kind === 'result' ? decodeReply(r.result) : undefined;
      expect(d?.ok && d.value).toMatchObject({ type: 'error', code: 'invalid' });
      expect(d?.ok && d.value.type === 'error' && d.value.message).toMatch(/host-only/);
    }
    expect(t.replies).toHaveLength(3);
  });

  it('answers a batch in one reply, in request order, once every item is answered', () => {
    const t = setup();
    const batch = encodeRequest({
      kind: 'batch',
      items: [
        frame(kvPut('a', '1'), 1),
        frame(kvGet('a'), undefined, 'lease'),
        encodeRequest({ kind: 'status' }),
        new Uint8Array([9, 9]),
      ],
    });
    t.send(batch);
    expect(t.replies).toEqual([]); // the write is not applied yet
    t.applyProposed();
    expect(t.replies).toHaveLength(1);
    const r = decoded(t.replies[0]);
    if (r.kind !== 'batch') throw new Error(`expected a batch, got ${r.kind}`);
    const items = r.items.map(decoded);
    expect(items.map((i) => i.kind)).toEqual(['result', 'result', 'error', 'error']);
    expect(items[2]).toMatchObject({
      code: 'bad-request',
      message: 'a batch may hold only command requests',
    });
    expect(items[3]).toMatchObject({ code: 'bad-request' });
    expect(t.service.counts).toMatchObject({ requests: 1, batches: 1, errors: 2 });
  });

  it('proposes every write of a batch before it kicks the host loop, once (one slot)', () => {
    const t = setup();
    const items = ['a', 'b', 'c'].map((k, i) =>
      encodeRequest({
        kind: 'command',
        readMode: 'none',
        command: encodeCommand(kvCommand(kvPut(k, 'v'), `client-${k}`, i + 1)),
      }),
    );
    t.send(encodeRequest({ kind: 'batch', items }));
    expect(t.proposedAtKick).toEqual([3]);
    // A lone write still kicks at once.
    t.send(frame(kvPut('d', 'v'), 1));
    expect(t.proposedAtKick).toEqual([3, 4]);
    t.applyProposed();
    expect(decoded(t.replies[0]).kind).toBe('batch');
  });

  it('redirects a write on a follower to the leader it knows, and refuses one without a session', () => {
    const t = setup('follower', 3);
    t.send(frame(kvPut('k', 'v'), 1));
    expect(decoded(t.replies[0])).toEqual({ kind: 'not-leader', leader: 3 });
    t.send(frame(kvPut('k', 'v')));
    expect(decoded(t.replies[1])).toMatchObject({
      kind: 'error',
      code: 'bad-request',
      message: 'a write needs a session (open one with open-session)',
    });
    expect(t.replica.proposed).toEqual([]);
  });

  it('opens sessions through the log: each open-session request gets its own id', () => {
    const t = setup('leader', 1, { legacySessions: false });
    const open = encodeRequest({
      kind: 'command',
      readMode: 'none',
      command: encodeCommand(kvCommand(kvOpenSession())),
    });
    t.send(open);
    t.send(open);
    expect(t.replica.proposed).toHaveLength(2);
    expect(t.service.pending).toBe(2);
    t.applyProposed();
    const ids = t.replies.map((f) => {
      const r = kvReply(f);
      return r.type === 'open-session' ? r.sessionId : undefined;
    });
    expect(ids).toEqual([1, 2]);
    expect(t.service.pending).toBe(0);
    // A write under a registered session is proposed and answered like any write.
    const put = (seq: number): Uint8Array =>
      encodeRequest({
        kind: 'command',
        readMode: 'none',
        command: encodeCommand(kvSessionCommand(kvPut('k', `v${seq}`), sessionId(2), seq)),
      });
    t.send(put(1));
    t.applyProposed();
    expect(kvReply(t.replies[2])).toMatchObject({ type: 'put', version: 1 });
    // A client-chosen id is refused by the state machine when legacy sessions are off.
    t.send(frame(kvPut('k', 'legacy'), 1));
    t.applyProposed();
    expect(kvReply(t.replies[3])).toMatchObject({ type: 'error', code: 'invalid' });
    // An unknown session changes nothing.
    t.send(
      encodeRequest({
        kind: 'command',
        readMode: 'none',
        command: encodeCommand(kvSessionCommand(kvPut('k', 'x'), sessionId(9), 1)),
      }),
    );
    t.applyProposed();
    expect(kvReply(t.replies[4])).toMatchObject({ type: 'error', code: 'session-expired' });
  });

  it('answers waiting open-session requests on lost leadership, expiry and stop', () => {
    const t = setup();
    const open = encodeRequest({
      kind: 'command',
      readMode: 'none',
      command: encodeCommand(kvCommand(kvOpenSession())),
    });
    t.send(open);
    t.service.onLostLeadership(2 as NodeId);
    expect(decoded(t.replies[0])).toEqual({ kind: 'not-leader', leader: 2, proposed: true });
    t.send(open);
    t.service.expire(performance.now() + PENDING_EXPIRY_MS + 1000);
    expect(t.service.pending).toBe(0);
    t.send(open);
    t.service.stop();
    expect(decoded(t.replies[1])).toMatchObject({ kind: 'error', code: 'unavailable' });
    t.applyProposed();
    expect(t.replies).toHaveLength(2);
  });

  it('answers bad frames and invalid commands without proposing anything', () => {
    const t = setup();
    t.send(new Uint8Array([1]));
    t.send(
      encodeRequest({ kind: 'command', readMode: 'none', command: new Uint8Array([1, 2, 3]) }),
    );
    t.send(frame(kvPut('', 'v'), 1));
    expect(decoded(t.replies[0])).toMatchObject({ kind: 'error', code: 'bad-request' });
    expect(decoded(t.replies[1])).toMatchObject({ kind: 'error', code: 'bad-request' });
    const invalid = decoded(t.replies[2]);
    const result = invalid.kind === 'result' ? decodeResult(invalid.result) : undefined;
    expect(result?.ok && result.value).toMatchObject({ type: 'error', code: 'invalid' });
    expect(t.replica.proposed).toEqual([]);
  });

  it('tells waiting writes not-leader when leadership is lost', () => {
    const t = setup();
    t.send(frame(kvPut('k', 'v'), 1));
    t.service.onLostLeadership(2 as NodeId);
    expect(decoded(t.replies[0])).toEqual({ kind: 'not-leader', leader: 2, proposed: true });
    expect(t.service.pending).toBe(0);
  });

  it('drops waiters older than the expiry, unanswered', () => {
    const t = setup();
    t.send(frame(kvPut('k', 'v'), 1));
    t.service.expire(performance.now() + PENDING_EXPIRY_MS - 1000);
    expect(t.service.pending).toBe(1);
    t.service.expire(performance.now() + PENDING_EXPIRY_MS + 1000);
    expect(t.service.pending).toBe(0);
    t.applyProposed();
    expect(t.replies).toEqual([]);
  });

  it('answers waiting writes unavailable on stop and refuses new commands', () => {
    const t = setup();
    t.send(frame(kvPut('k', 'v'), 1));
    t.service.stop();
    t.send(frame(kvPut('k', 'w'), 2));
    expect(t.replies.map(decoded)).toEqual([
      { kind: 'error', code: 'unavailable', message: 'node 1 is shutting down' },
      { kind: 'error', code: 'unavailable', message: 'node 1 is shutting down' },
    ]);
    expect(t.replica.proposed).toHaveLength(1);
  });
});
