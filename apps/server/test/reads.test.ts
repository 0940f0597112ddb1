import { describe, expect, it } from 'vitest';
import type { Response } from '@flexpaxos/client';
import { formatBallot } from '@flexpaxos/paxos';
import type { NodeId, Ready, ReadMode, ReadResult, Round, Slot } from '@flexpaxos/paxos';
import { LEASE_RETRIES_MAX, ReadServer, leaseReport, leaseSummary } from '../src/reads.js';
import type { ReadOp } from '../src/reads.js';

/** A replica whose `read` answers from a script, recording every call. */
function scripted(answer: (mode: ReadMode, id: number) => ReadResult) {
  const calls: { id: number; mode: ReadMode }[] = [];
  return {
    calls,
    read(r: { readonly id: number; readonly mode: ReadMode }): ReadResult {
      calls.push({ id: r.id, mode: r.mode });
      return answer(r.mode, r.id);
    },
  };
}

function setup(answer: (mode: ReadMode, id: number) => ReadResult) {
  const replica = scripted(answer);
  const state = { applied: 5, kicks: 0 };
  const server = new ReadServer({
    replica,
    applied: () => state.applied,
    answer: (op) => ({
      kind: 'result',
      result: new TextEncoder().encode(`${op.type}@${state.applied}`),
    }),
    kick: () => {
      state.kicks++;
    },
  });
  const replies: Response[] = [];
  const respond = (r: Response): void => {
    replies.push(r);
  };
  return { replica, state, server, replies, respond };
}

const GET: ReadOp = { type: 'get', key: new TextEncoder().encode('k') };
const text = (r: Response | undefined): string =>
  r?.kind === 'result' ? new TextDecoder().decode(r.result) : `(${r?.kind})`;
const ready = (reads: Ready['reads'], failedReads: Ready['failedReads'] = []): Ready => ({
  persist: undefined,
  mustSync: false,
  messages: [],
  messagesAfterPersist: [],
  committed: [],
  reads,
  failedReads,
});

describe('ReadServer', () => {
  it('answers a lease read at once when the core grants it and the index is applied', () => {
    const t = setup(() => ({ kind: 'ready', index: 5 as Slot }));
    t.server.serve(GET, 'lease', t.respond);
    expect(t.replies.map(text)).toEqual(['get@5']);
    expect(t.server.counts.lease).toBe(1);
    expect(t.server.counts.quorum).toBe(0);
    expect(t.server.seconds.lease.count).toBe(1);
    expect(t.server.seconds.quorum.count).toBe(0);
  });

  it('holds a granted read until the state machine applied through its index', () => {
    const t = setup(() => ({ kind: 'ready', index: 7 as Slot }));
    t.server.serve(GET, 'lease', t.respond);
    expect(t.replies).toEqual([]);
    t.state.applied = 6;
    t.server.afterAdvance();
    expect(t.replies).toEqual([]);
    t.state.applied = 7;
    t.server.afterAdvance();
    expect(t.replies.map(text)).toEqual(['get@7']);
  });

  it('retries a lease read refused as not-applied after the next advance, then falls back to quorum', () => {
    const t = setup((mode) =>
      mode === 'lease' ? { kind: 'unavailable', reason: 'not-applied' } : { kind: 'pending' },
    );
    t.server.serve(GET, 'lease', t.respond);
    for (let i = 0; i < LEASE_RETRIES_MAX; i++) t.server.afterAdvance();
    expect(t.server.counts.leaseRetries).toBe(LEASE_RETRIES_MAX);
    expect(t.replica.calls.map((c) => c.mode)).toEqual([
      ...Array<ReadMode>(LEASE_RETRIES_MAX + 1).fill('lease'),
      'quorum',
    ]);
    expect(t.server.counts.leaseFallbacks).toBe(1);
    expect(t.server.waiting).toBe(1);
  });

  it('falls back to a quorum read when the lease is not held, answering when the round confirms it', () => {
    const t = setup((mode) =>
      mode === 'lease' ? { kind: 'unavailable', reason: 'lease-not-held' } : { kind: 'pending' },
    );
    t.server.serve(GET, 'lease', t.respond);
    expect(t.state.kicks).toBe(1);
    const quorumId = t.replica.calls[1]?.id ?? -1;
    t.server.onReady(ready([{ id: quorumId + 100, index: 1 as Slot }])); // someone else's id
    expect(t.replies).toEqual([]);
    t.server.onReady(ready([{ id: quorumId, index: 9 as Slot }]));
    expect(t.replies).toEqual([]); // applied 5 < 9
    t.state.applied = 9;
    t.server.afterAdvance();
    expect(t.replies.map(text)).toEqual(['get@9']);
    expect(t.server.counts).toMatchObject({ lease: 0, quorum: 1, leaseFallbacks: 1 });
    expect(t.server.waiting).toBe(0);
  });

  it('redirects a quorum read that fails because the leader stepped down', () => {
    const t = setup(() => ({ kind: 'pending' }));
    t.server.serve(GET, 'quorum', t.respond);
    const id = t.replica.calls[0]?.id ?? -1;
    t.server.onReady(ready([], [{ id, leaderHint: 2 as NodeId }]));
    expect(t.replies).toEqual([{ kind: 'not-leader', leader: 2 }]);
    expect(t.server.counts.redirected).toBe(1);
  });

  it('answers not-leader and unavailable from the core as such', () => {
    const t = setup((mode) =>
      mode === 'lease'
        ? { kind: 'not-leader', leaderHint: 3 as NodeId }
        : { kind: 'unavailable', reason: 'own-ballot-not-committed' },
    );
    t.server.serve(GET, 'lease', t.respond);
    t.server.serve(GET, 'quorum', t.respond);
    expect(t.replies[0]).toEqual({ kind: 'not-leader', leader: 3 });
    expect(t.replies[1]).toMatchObject({ kind: 'error', code: 'unavailable' });
    expect(t.server.counts).toMatchObject({ redirected: 1, unavailable: 1 });
  });

  it('answers every waiting read when the node stops', () => {
    const t = setup((mode) =>
      mode === 'lease' ? { kind: 'ready', index: 50 as Slot } : { kind: 'pending' },
    );
    t.server.serve(GET, 'lease', t.respond);
    t.server.serve(GET, 'quorum', t.respond);
    expect(t.server.waiting).toBe(2);
    t.server.failAll({ kind: 'error', code: 'unavailable', message: 'stopping' });
    expect(t.replies.map((r) => r.kind)).toEqual(['error', 'error']);
    expect(t.server.waiting).toBe(0);
    t.state.applied = 60;
    t.server.afterAdvance();
    expect(t.replies).toHaveLength(2);
  });
});

describe('leaseReport', () => {
  it('reports the time left of a held lease and the ballot a follower grants', () => {
    const held = leaseReport(
      {
        held: true,
        validUntilMs: 1250,
        servesReads: true,
        grantedTo: undefined,
        preparesRefused: 0,
      },
      1000,
      formatBallot,
    );
    expect(held).toMatchObject({ held: true, remainingMs: 250 });
    expect(leaseSummary(held)).toBe('held');
    const follower = leaseReport(
      {
        held: false,
        validUntilMs: undefined,
        servesReads: false,
        grantedTo: { round: 4 as Round, nodeId: 2 as NodeId },
        preparesRefused: 3,
      },
      1000,
      formatBallot,
    );
    expect(follower).toMatchObject({ held: false, remainingMs: null, grantedTo: '4.2' });
    expect(leaseSummary(follower)).toBe('granted:4.2');
  });
});
