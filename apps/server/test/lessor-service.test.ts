// The lessor service against a real KvStateMachine and Lessor; the replica is a small stand-in
// whose role, lease-read answer and proposals the test controls (proposals are applied to the
// machine as the host loop would, one slot each).
import { describe, expect, it } from 'vitest';
import type { Response } from '@flexpaxos/client';
import {
  KvStateMachine,
  decodeCommand,
  decodeReply,
  encodeCommand,
  encodeResult,
  kvCommand,
  kvGet,
  kvLeaseGrant,
  kvLeaseTtl,
  kvPut,
  leaseId,
} from '@flexpaxos/kv';
import type { KvCommandOp, KvReply, LeaseId } from '@flexpaxos/kv';
import type { NodeId, ProposeResult, ReadResult, Role } from '@flexpaxos/paxos';
import { CAMPAIGN_RETRY_MS, LessorService } from '../src/lessor-service.js';
import { jsonLogger } from '../src/logger.js';

function setup() {
  let nowMs = 1000;
  const kv = new KvStateMachine();
  const replica = {
    role: 'leader' as Role,
    leader: 1 as NodeId | undefined,
    readAnswer: { kind: 'ready', index: 0 } as ReadResult,
    proposed: [] as Uint8Array[],
    propose(command: Uint8Array): ProposeResult {
      if (this.role !== 'leader') return { kind: 'not-leader', leaderHint: undefined };
      this.proposed.push(command);
      return { kind: 'queued' };
    },
    read(): ReadResult {
      return this.role === 'leader'
        ? this.readAnswer
        : { kind: 'not-leader', leaderHint: 2 as NodeId };
    },
  };
  const svc = new LessorService({
    nodeId: 1,
    replica,
    kv: () => kv,
    now: () => nowMs,
    ballot: () => '3.1',
    kick: () => undefined,
    log: jsonLogger('error', {}, () => undefined),
  });
  /** Applies every proposal so far, one slot each, feeding the lessor like the host loop. */
  const applyProposed = (): KvReply[] => {
    const out: KvReply[] = [];
    for (const command of replica.proposed.splice(0)) {
      const r = kv.applySlot(kv.applied + 1, { kind: 'commands', commands: [command] });
      svc.observe(r.leaseChanges);
      const d = decodeReply(r.replies[0] ?? new Uint8Array());
      if (d.ok) out.push(d.value);
    }
    return out;
  };
  const applyOp = (op: KvCommandOp): KvReply => {
    replica.proposed.push(encodeCommand(kvCommand(op)));
    const [r] = applyProposed();
    if (r === undefined) throw new Error('no reply');
    return r;
  };
  const keepalive = (lease: LeaseId): Response[] => {
    const got: Response[] = [];
    svc.keepalive(lease, (r) => got.push(r));
    return got;
  };
  return {
    svc,
    replica,
    applyProposed,
    applyOp,
    keepalive,
    advance: (ms: number) => (nowMs += ms),
    kv: () => kv,
  };
}

const replyOf = (r: Response | undefined): KvReply | undefined => {
  if (r?.kind !== 'result') return undefined;
  const d = decodeReply(r.result);
  return d.ok ? d.value : undefined;
};

describe('LessorService', () => {
  it('proposes a lessor epoch tagged with node and ballot, and starts once it is applied', () => {
    const t = setup();
    t.svc.check();
    expect(t.svc.role).toBe('campaigning');
    expect(t.replica.proposed).toHaveLength(1);
    const cmd = decodeCommand(t.replica.proposed[0] ?? new Uint8Array());
    expect(cmd.ok && cmd.value.op.type).toBe('lessor-epoch');
    expect(cmd.ok && cmd.value.session).toBeUndefined();
    const holder = cmd.ok && cmd.value.op.type === 'lessor-epoch' ? cmd.value.op.holder : undefined;
    expect(new TextDecoder().decode(holder)).toBe('n1/b3.1/c1');
    // Checked again before the retry interval: nothing new.
    t.svc.check();
    expect(t.replica.proposed).toHaveLength(1);
    expect(t.applyProposed()[0]).toMatchObject({ type: 'lessor-epoch', epoch: 1 });
    expect(t.svc.role).toBe('leader');
    expect(t.svc.epoch).toBe(1);
    expect(t.svc.counts.epochsProposed).toBe(1);
  });

  it('proposes the epoch again when it was not seen applied in time', () => {
    const t = setup();
    t.svc.check();
    t.replica.proposed.length = 0; // lost with a leader change that did not happen here
    t.advance(CAMPAIGN_RETRY_MS);
    t.svc.check();
    expect(t.replica.proposed).toHaveLength(1);
    t.applyProposed();
    expect(t.svc.role).toBe('leader');
  });

  it('renews keep-alives while the lease read check passes, and answers lease-not-found', () => {
    const t = setup();
    t.svc.check();
    t.applyProposed();
    const grant = t.applyOp(kvLeaseGrant(2000));
    const lease = grant.type === 'lease-grant' ? grant.lease : leaseId(99);
    t.advance(1500);
    expect(replyOf(t.keepalive(lease)[0])).toEqual({ type: 'lease-keepalive', lease, ttlMs: 2000 });
    expect(replyOf(t.keepalive(leaseId(77))[0])).toMatchObject({
      type: 'error',
      code: 'lease-not-found',
    });
    // remainingMs on the leader comes from the lessor (renewed 2000 ms before), in whole
    // milliseconds rounded up, as the result codec needs them.
    t.advance(500.25);
    const ttl = t.svc.query(kvLeaseTtl(lease));
    expect(ttl).toMatchObject({ type: 'lease-ttl', remainingMs: 1500 });
    expect(decodeReply(encodeResult(ttl))).toMatchObject({
      ok: true,
      value: { remainingMs: 1500 },
    });
    expect(t.svc.counts).toMatchObject({ keepalives: 1, keepalivesNotFound: 1 });
  });

  it('redirects keep-alives without the leader lease, and holds them while not applied', () => {
    const t = setup();
    t.svc.check();
    t.applyProposed();
    const grant = t.applyOp(kvLeaseGrant(2000));
    const lease = grant.type === 'lease-grant' ? grant.lease : leaseId(99);
    t.replica.readAnswer = { kind: 'unavailable', reason: 'lease-not-held' };
    expect(t.keepalive(lease)).toEqual([{ kind: 'not-leader', leader: undefined }]);
    t.replica.readAnswer = { kind: 'unavailable', reason: 'not-applied' };
    const held = t.keepalive(lease);
    expect(held).toEqual([]);
    t.replica.readAnswer = { kind: 'ready', index: 0 } as ReadResult;
    t.svc.afterAdvance();
    expect(replyOf(held[0])).toMatchObject({ type: 'lease-keepalive', lease });
    t.replica.role = 'follower';
    t.replica.leader = 2 as NodeId;
    expect(t.keepalive(lease)).toEqual([{ kind: 'not-leader', leader: 2 }]);
  });

  it('answers unavailable while the lessor of a new leader has not started', () => {
    const t = setup();
    t.svc.check();
    expect(t.keepalive(leaseId(1))[0]).toMatchObject({ kind: 'error', code: 'unavailable' });
  });

  it('proposes an expiry with its epoch once the deadline passed, and the key goes', async () => {
    const t = setup();
    t.svc.check();
    t.applyProposed();
    const grant = t.applyOp(kvLeaseGrant(1000));
    const lease = grant.type === 'lease-grant' ? grant.lease : leaseId(99);
    t.applyOp(kvPut('k', 'v', lease));
    t.advance(1000);
    // The timer armed at the deadline (1 s of real time) fires and proposes the revocation.
    await new Promise((r) => setTimeout(r, 1100));
    expect(t.replica.proposed).toHaveLength(1);
    const cmd = decodeCommand(t.replica.proposed[0] ?? new Uint8Array());
    expect(cmd.ok && cmd.value.op).toMatchObject({
      type: 'lease-revoke',
      lease,
      reason: 'expired',
      epoch: 1,
    });
    expect(t.applyProposed()[0]).toMatchObject({ type: 'lease-revoke', revoked: true, deleted: 1 });
    expect(t.kv().read(kvGet('k'))).toEqual({ type: 'get', kv: undefined });
    expect(t.svc.counts.expiriesProposed).toBe(1);
    t.svc.stop();
  });

  it('on step-down: demotes, answers waiting keep-alives not-leader, campaigns anew later', () => {
    const t = setup();
    t.svc.check();
    t.applyProposed();
    t.replica.readAnswer = { kind: 'unavailable', reason: 'not-applied' };
    const held = t.keepalive(leaseId(1));
    t.replica.role = 'follower';
    t.replica.leader = 3 as NodeId;
    t.svc.check();
    expect(t.svc.role).toBe('follower');
    expect(held).toEqual([{ kind: 'not-leader', leader: 3 }]);
    // Leading again: a new campaign with a new tag (the counter moves).
    t.replica.role = 'leader';
    t.svc.check();
    const cmd = decodeCommand(t.replica.proposed[0] ?? new Uint8Array());
    const holder = cmd.ok && cmd.value.op.type === 'lessor-epoch' ? cmd.value.op.holder : undefined;
    expect(new TextDecoder().decode(holder)).toBe('n1/b3.1/c2');
  });

  it('reads no clock while a follower applies lease changes', () => {
    let reads = 0;
    const kv = new KvStateMachine();
    const svc = new LessorService({
      nodeId: 2,
      replica: {
        role: 'follower',
        leader: 1 as NodeId,
        propose: () => ({ kind: 'not-leader', leaderHint: 1 as NodeId }),
        read: () => ({ kind: 'not-leader', leaderHint: 1 as NodeId }),
      },
      kv: () => kv,
      now: () => {
        reads++;
        return 0;
      },
      ballot: () => '1.1',
      kick: () => undefined,
      log: jsonLogger('error', {}, () => undefined),
    });
    const r = kv.applySlot(1, {
      kind: 'commands',
      commands: [encodeCommand(kvCommand(kvLeaseGrant(5000)))],
    });
    expect(r.leaseChanges).toHaveLength(1);
    svc.observe(r.leaseChanges);
    svc.check();
    expect(reads).toBe(0);
    expect(svc.query(kvLeaseTtl(leaseId(1)))).toMatchObject({ remainingMs: undefined });
  });
});
