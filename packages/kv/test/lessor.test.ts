import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  KvStateMachine,
  Lessor,
  decodeReply,
  encodeCommand,
  kvCommand,
  kvGet,
  kvLeaseGrant,
  kvPut,
  leaseId,
  toBytes,
} from '../src/index.js';
import type { LeaseChange, LeaseId, LessorLease } from '../src/index.js';

const me = toBytes('node-1/ballot-7');
const none = (): LessorLease[] => [];

/** A lessor promoted at `nowMs` with `leases` under epoch 1. */
function leader(nowMs: number, leases: LessorLease[], config = {}): Lessor {
  const l = new Lessor(config);
  const op = l.campaign(me);
  expect(op).toEqual({ type: 'lessor-epoch', holder: me });
  l.observe([{ kind: 'epoch', epoch: 1, holder: me }], nowMs, () => leases);
  return l;
}

const lease = (n: number, ttlMs: number): LessorLease => ({ lease: leaseId(n), ttlMs });

describe('Lessor', () => {
  it('does nothing as a follower: keep-alives go to the leader, nothing expires', () => {
    const l = new Lessor();
    expect(l.role).toBe('follower');
    expect(l.keepalive(leaseId(1), 0)).toEqual({ kind: 'not-leader' });
    expect(l.remainingMs(leaseId(1), 0)).toBeUndefined();
    expect(l.expire(1e9)).toEqual([]);
    expect(l.nextWakeMs()).toBeUndefined();
  });

  it('starts only when its own epoch is applied, giving every lease its full TTL from then', () => {
    const l = new Lessor();
    l.campaign(me);
    expect(l.role).toBe('campaigning');
    expect(l.keepalive(leaseId(1), 10)).toEqual({ kind: 'not-leader' });
    // Another node's epoch (recovered from an earlier ballot) does not start it.
    l.observe([{ kind: 'epoch', epoch: 4, holder: toBytes('node-2') }], 20, none);
    expect(l.role).toBe('campaigning');
    l.observe([{ kind: 'epoch', epoch: 5, holder: me }], 100, () => [
      lease(1, 5000),
      lease(2, 2000),
    ]);
    expect(l.role).toBe('leader');
    expect(l.epoch).toBe(5);
    expect(l.remainingMs(leaseId(1), 100)).toBe(5000);
    expect(l.remainingMs(leaseId(2), 1100)).toBe(1000);
    expect(l.nextWakeMs()).toBe(2100);
  });

  it('renews on keep-alive, expires at the deadline with the epoch, never renews an expired lease', () => {
    const l = leader(0, [lease(1, 1000)]);
    expect(l.keepalive(leaseId(1), 600)).toEqual({ kind: 'renewed', lease: 1, ttlMs: 1000 });
    expect(l.expire(1599)).toEqual([]);
    expect(l.keepalive(leaseId(1), 1600)).toEqual({ kind: 'not-found', lease: 1 });
    expect(l.expire(1600)).toEqual([
      { type: 'lease-revoke', lease: 1, reason: 'expired', epoch: 1 },
    ]);
    expect(l.keepalive(leaseId(1), 1601)).toEqual({ kind: 'not-found', lease: 1 });
    expect(l.keepalive(leaseId(9), 1601)).toEqual({ kind: 'not-found', lease: 9 });
  });

  it('offers a revocation again after revokeRetryMs until it is seen applied', () => {
    const l = leader(0, [lease(1, 1000)], { revokeRetryMs: 300 });
    expect(l.expire(1000)).toHaveLength(1);
    expect(l.nextWakeMs()).toBe(1300);
    expect(l.expire(1299)).toEqual([]);
    expect(l.expire(1300)).toHaveLength(1);
    l.observe([{ kind: 'revoked', lease: leaseId(1) }], 1400, none);
    expect(l.expire(5000)).toEqual([]);
    expect(l.nextWakeMs()).toBeUndefined();
    expect(l.leaseCount).toBe(0);
  });

  it('expires earliest first, ties by id, at most revokesPerCallMax per call', () => {
    const l = leader(0, [lease(3, 1000), lease(1, 1000), lease(2, 500), lease(4, 2000)], {
      revokesPerCallMax: 2,
      revokeRetryMs: 10_000,
    });
    expect(l.expire(1000).map((r) => r.lease)).toEqual([2, 1]);
    expect(l.expire(1000).map((r) => r.lease)).toEqual([3]);
    expect(l.expire(2000).map((r) => r.lease)).toEqual([4]);
  });

  it('follows grants while leading and demotes on another holder’s epoch', () => {
    const l = leader(0, []);
    const changes: LeaseChange[] = [{ kind: 'granted', lease: leaseId(7), ttlMs: 2000 }];
    l.observe(changes, 50, none);
    expect(l.remainingMs(leaseId(7), 50)).toBe(2000);
    l.observe([{ kind: 'epoch', epoch: 2, holder: me }], 60, none);
    expect(l.epoch).toBe(2);
    expect(l.expire(2050)).toEqual([
      { type: 'lease-revoke', lease: 7, reason: 'expired', epoch: 2 },
    ]);
    l.observe([{ kind: 'epoch', epoch: 3, holder: toBytes('node-2') }], 2070, none);
    expect(l.role).toBe('follower');
    expect(l.expire(1e9)).toEqual([]);
  });

  it('asserts that time never goes back', () => {
    const l = leader(100, []);
    expect(() => l.expire(99)).toThrow(/clock went back/);
  });

  it('rejects a bad config naming the field', () => {
    expect(() => new Lessor({ revokeRetryMs: 0 })).toThrow(/revokeRetryMs/);
  });

  it('agrees with a naive lessor on random keep-alives, grants, revocations and time', () => {
    const stepArb = fc.oneof(
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 700 }) }),
      fc.record({ kind: fc.constant('keepalive' as const), lease: fc.integer({ min: 1, max: 6 }) }),
      fc.record({
        kind: fc.constant('grant' as const),
        ttlMs: fc.integer({ min: 1000, max: 3000 }),
      }),
      fc.record({ kind: fc.constant('revoked' as const), lease: fc.integer({ min: 1, max: 6 }) }),
    );
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 80 }), (steps) => {
        const retry = 400;
        const initial = [lease(1, 1000), lease(2, 1500)];
        const l = leader(0, initial, { revokeRetryMs: retry, revokesPerCallMax: 100 });
        // naive: deadline, and when its revocation was last offered
        const naive = new Map<number, { ttlMs: number; deadline: number; offered?: number }>(
          initial.map((x) => [x.lease as number, { ttlMs: x.ttlMs, deadline: x.ttlMs }]),
        );
        let now = 0;
        let nextId = 3;
        for (const s of steps) {
          if (s.kind === 'advance') now += s.ms;
          else if (s.kind === 'keepalive') {
            const n = naive.get(s.lease);
            const got = l.keepalive(s.lease as LeaseId, now);
            if (n === undefined || n.deadline <= now || n.offered !== undefined)
              expect(got.kind).toBe('not-found');
            else {
              expect(got).toEqual({ kind: 'renewed', lease: s.lease, ttlMs: n.ttlMs });
              n.deadline = now + n.ttlMs;
            }
          } else if (s.kind === 'grant') {
            const id = nextId++;
            l.observe([{ kind: 'granted', lease: id as LeaseId, ttlMs: s.ttlMs }], now, none);
            naive.set(id, { ttlMs: s.ttlMs, deadline: now + s.ttlMs });
          } else {
            l.observe([{ kind: 'revoked', lease: s.lease as LeaseId }], now, none);
            naive.delete(s.lease);
          }
          // The wake-up is never late: nothing is due before it.
          const wake = l.nextWakeMs();
          const due = [...naive.entries()].filter(([, n]) =>
            n.offered === undefined ? n.deadline <= now : n.offered + retry <= now,
          );
          if (due.length > 0) expect(wake).toBeLessThanOrEqual(now);
          const expected = due
            .map(([id, n]) => ({
              id,
              at: n.offered === undefined ? n.deadline : n.offered + retry,
            }))
            .sort((a, b) => a.at - b.at || a.id - b.id)
            .map((x) => x.id);
          expect(l.expire(now).map((r) => r.lease as number)).toEqual(expected);
          for (const id of expected) {
            const n = naive.get(id);
            if (n !== undefined) n.offered = now;
          }
        }
      }),
      { seed: 41, numRuns: 300 },
    );
  });
});

describe('Lessor with the state machine', () => {
  const apply = (m: KvStateMachine, slot: number, op: Parameters<typeof kvCommand>[0]) => {
    const r = m.apply(slot, encodeCommand(kvCommand(op)));
    const d = decodeReply(r.reply);
    if (!d.ok) throw new Error(d.error);
    return { ...r, result: d.value };
  };

  it('expires a lease the leader stopped hearing about, deleting its keys on every replica', () => {
    const m = new KvStateMachine();
    const l = new Lessor();
    const proposal = l.campaign(me);
    l.observe(apply(m, 1, proposal).leaseChanges, 0, () => m.leases());
    const grant = apply(m, 2, kvLeaseGrant(1000));
    l.observe(grant.leaseChanges, 10, () => m.leases());
    const id = grant.result.type === 'lease-grant' ? grant.result.lease : leaseId(1);
    apply(m, 3, kvPut('lock', 'owner', id));
    expect(l.keepalive(id, 900).kind).toBe('renewed');
    expect(l.expire(1899)).toEqual([]);
    const [revoke] = l.expire(1900);
    expect(revoke).toBeDefined();
    if (revoke === undefined) return;
    const applied = apply(m, 4, revoke);
    expect(applied.result).toMatchObject({ type: 'lease-revoke', revoked: true, deleted: 1 });
    expect(applied.events.map((e) => e.type)).toEqual(['delete']);
    l.observe(applied.leaseChanges, 1950, () => m.leases());
    expect(m.read(kvGet('lock'))).toEqual({ type: 'get', kv: undefined });
    expect(l.nextWakeMs()).toBeUndefined();
  });

  it('survives a failover: the deposed leader’s late revocation is ignored, the new one restarts the TTL', () => {
    const m = new KvStateMachine();
    const a = new Lessor();
    const b = new Lessor();
    a.observe(apply(m, 1, a.campaign(toBytes('A'))).leaseChanges, 0, () => m.leases());
    const g = apply(m, 2, kvLeaseGrant(1000));
    a.observe(g.leaseChanges, 0, () => m.leases());
    const id = leaseId(1);
    apply(m, 3, kvPut('lock', 'x', id));
    // A decides the lease expired and proposes; the proposal is delayed. B is elected.
    const [late] = a.expire(1000);
    expect(late).toMatchObject({ epoch: 1 });
    const bEpoch = apply(m, 4, b.campaign(toBytes('B')));
    a.observe(bEpoch.leaseChanges, 1100, () => m.leases());
    b.observe(bEpoch.leaseChanges, 1200, () => m.leases());
    expect(a.role).toBe('follower');
    expect(b.role).toBe('leader');
    // No key expires because of the failover: B gives the lease its full TTL from promotion.
    expect(b.remainingMs(id, 1200)).toBe(1000);
    expect(b.keepalive(id, 1500).kind).toBe('renewed');
    if (late === undefined) return;
    expect(apply(m, 5, late).result).toMatchObject({ revoked: false });
    expect(m.read(kvGet('lock'))).toMatchObject({ kv: { lease: id } });
    expect(b.expire(2499)).toEqual([]);
    expect(b.expire(2500)).toEqual([
      { type: 'lease-revoke', lease: 1, reason: 'expired', epoch: 2 },
    ]);
  });
});
