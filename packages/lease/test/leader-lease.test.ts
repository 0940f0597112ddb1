import { describe, expect, it } from 'vitest';
import {
  LeaderLease,
  LeaseAssertionError,
  type LeaseConfig,
  type LeaseRoundId,
} from '../src/index.js';
import { subsetsOfSize, counting } from './support/test-quorum.js';
import fc from 'fast-check';

const config: LeaseConfig = {
  leaseDurationMs: 1000,
  clockDriftBoundMs: 100,
  electionTimeoutMs: 1500,
};
const ballot = { round: 4, nodeId: 1 };

describe('LeaderLease', () => {
  it('holds no lease before acknowledgements', () => {
    const l = new LeaderLease(config, counting(3, 2, 2), ballot, 0);
    expect(l.validUntilMs()).toBeUndefined();
    expect(l.holds(0)).toBe(false);
  });

  it('counts a grant from the send time, shortened by the drift bound', () => {
    const l = new LeaderLease(config, counting(3, 2, 2), ballot, 0);
    const r = l.beginRound(100);
    expect(l.onAck(1, r, 150)).toBe(true);
    expect(l.grantedUntilMs(1)).toBe(100 + 1000 - 100);
    // One grant does not meet every phase-1 quorum of size 2 out of 3.
    expect(l.holds(150)).toBe(false);
    expect(l.onAck(2, r, 400)).toBe(true); // late acknowledgement: still measured from the send
    expect(l.validUntilMs()).toBe(1000);
    expect(l.holds(999.9)).toBe(true);
    expect(l.holds(1000)).toBe(false);
  });

  it('uses the full lease duration when unsafeLease is set', () => {
    const l = new LeaderLease({ ...config, unsafeLease: true }, counting(3, 2, 2), ballot, 0);
    const r = l.beginRound(100);
    l.onAck(1, r, 110);
    l.onAck(2, r, 110);
    expect(l.validUntilMs()).toBe(1100);
  });

  it('holds until the grant that completes a phase-1-intersecting set ends', () => {
    // N=5, L=4, P=2: any 2 grants intersect every phase-1 quorum of 4.
    const l = new LeaderLease(config, counting(5, 4, 2), ballot, 0);
    const r1 = l.beginRound(0);
    const r2 = l.beginRound(300);
    l.onAck(3, r1, 310); // until 900
    l.onAck(4, r2, 310); // until 1200
    l.onAck(5, r2, 310); // until 1200
    expect(l.validUntilMs()).toBe(1200);
    // N=5, L=2, P=4: need 4 grants; the fourth-longest decides.
    const m = new LeaderLease(config, counting(5, 2, 4), ballot, 0);
    const s1 = m.beginRound(0);
    const s2 = m.beginRound(300);
    m.onAck(1, s1, 310); // 900
    m.onAck(2, s2, 310); // 1200
    m.onAck(3, s2, 310); // 1200
    expect(m.validUntilMs()).toBeUndefined();
    m.onAck(4, s2, 320); // 1200
    expect(m.validUntilMs()).toBe(900); // {1, 2, 3, 4} granted until 900 or later
    m.onAck(5, s2, 330); // 1200
    expect(m.validUntilMs()).toBe(1200); // {2, 3, 4, 5} granted until 1200
  });

  it('is renewed by later rounds and ignores an older round acknowledged late', () => {
    const l = new LeaderLease(config, counting(3, 2, 2), ballot, 0);
    const r1 = l.beginRound(0);
    const r2 = l.beginRound(500);
    l.onAck(1, r2, 510);
    l.onAck(2, r2, 510);
    expect(l.validUntilMs()).toBe(1400);
    expect(l.onAck(1, r1, 520)).toBe(false);
    expect(l.grantedUntilMs(1)).toBe(1400);
  });

  it('forgets rounds whose grant has ended, so an acknowledgement of one only counts as heard', () => {
    const l = new LeaderLease(config, counting(3, 2, 2), ballot, 0);
    const r1 = l.beginRound(0);
    l.beginRound(900); // r1 would grant until 900: forgotten
    expect(l.onAck(1, r1, 950)).toBe(false);
    expect(l.grantedUntilMs(1)).toBeUndefined();
  });

  it('asserts on an acknowledgement of a round never begun and on a clock going backwards', () => {
    const l = new LeaderLease(config, counting(3, 2, 2), ballot, 100);
    expect(() => l.onAck(1, 1 as LeaseRoundId, 100)).toThrow(LeaseAssertionError);
    expect(() => l.beginRound(99)).toThrow(/went backwards/);
  });

  it('ignores acknowledgements from non-voters', () => {
    const l = new LeaderLease(config, counting(3, 2, 2), ballot, 0);
    const r = l.beginRound(0);
    expect(l.onAck(9, r, 1)).toBe(false);
    expect(l.grantedUntilMs(9)).toBeUndefined();
  });

  it('agrees with a naive check over all phase-1 quorums (property)', () => {
    const systems = [
      [3, 2, 2],
      [5, 3, 3],
      [5, 4, 2],
      [5, 2, 4],
      [7, 5, 3],
    ] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...systems),
        fc.array(
          fc.record({
            acceptor: fc.integer({ min: 1, max: 7 }),
            sentAtMs: fc.integer({ min: 0, max: 3000 }),
          }),
          {
            maxLength: 12,
          },
        ),
        fc.integer({ min: 0, max: 5000 }),
        ([n, lq, pq], acks, probeMs) => {
          const quorum = counting(n, lq, pq);
          const l = new LeaderLease(config, quorum, ballot, 0);
          const sends = [...acks].sort((a, b) => a.sentAtMs - b.sentAtMs);
          const rounds = sends.map((s) => ({ ...s, round: l.beginRound(s.sentAtMs) }));
          const lastSend = sends.at(-1)?.sentAtMs ?? 0;
          const until = new Map<number, number>();
          for (const s of rounds) {
            l.onAck(s.acceptor, s.round, lastSend);
            // Rounds already forgotten by the time of the last send count nothing.
            if (s.acceptor <= n && s.sentAtMs + 900 > lastSend) {
              until.set(s.acceptor, Math.max(until.get(s.acceptor) ?? -Infinity, s.sentAtMs + 900));
            }
          }
          const t = lastSend + probeMs / 2;
          const granting = [...until].filter(([, u]) => u > t).map(([id]) => id);
          const voters = Array.from({ length: n }, (_, i) => i + 1);
          const naive = subsetsOfSize(voters, lq).every((q) =>
            q.some((id) => granting.includes(id)),
          );
          expect(l.holds(t)).toBe(naive);
        },
      ),
      { seed: 20261122, numRuns: 300 },
    );
  });
});

describe('LeaderLease.canServeLeaseRead', () => {
  const held = (): LeaderLease => {
    const l = new LeaderLease(config, counting(3, 2, 2), ballot, 0);
    const r = l.beginRound(0);
    l.onAck(1, r, 5);
    l.onAck(2, r, 5);
    return l;
  };

  it('serves once its own ballot has a committed entry and everything committed is applied', () => {
    const l = held();
    expect(
      l.canServeLeaseRead({
        nowMs: 10,
        ownBallotEntryCommitted: false,
        appliedIndex: 7,
        committedIndex: 7,
      }),
    ).toEqual({
      ok: false,
      reason: 'own-ballot-entry-not-committed',
    });
    expect(
      l.canServeLeaseRead({
        nowMs: 10,
        ownBallotEntryCommitted: true,
        appliedIndex: 6,
        committedIndex: 7,
      }),
    ).toEqual({
      ok: false,
      reason: 'not-applied',
    });
    expect(
      l.canServeLeaseRead({
        nowMs: 10,
        ownBallotEntryCommitted: true,
        appliedIndex: 7,
        committedIndex: 7,
      }),
    ).toEqual({
      ok: true,
      validUntilMs: 900,
    });
  });

  it('stops serving when the lease is not renewed in time', () => {
    const l = held();
    expect(
      l.canServeLeaseRead({
        nowMs: 900,
        ownBallotEntryCommitted: true,
        appliedIndex: 7,
        committedIndex: 7,
      }),
    ).toEqual({
      ok: false,
      reason: 'no-lease',
    });
  });

  it('stops serving at once when a transfer begins, and acknowledgements no longer renew', () => {
    const l = held();
    l.beginTransfer();
    expect(l.transferring).toBe(true);
    expect(l.holds(10)).toBe(false);
    expect(
      l.canServeLeaseRead({
        nowMs: 10,
        ownBallotEntryCommitted: true,
        appliedIndex: 7,
        committedIndex: 7,
      }),
    ).toEqual({
      ok: false,
      reason: 'transferring',
    });
    const r = l.beginRound(20);
    expect(l.onAck(1, r, 21)).toBe(false);
    expect(l.onAck(2, r, 21)).toBe(false);
    expect(l.validUntilMs()).toBeUndefined();
  });

  it('asserts applied <= committed', () => {
    expect(() =>
      held().canServeLeaseRead({
        nowMs: 10,
        ownBallotEntryCommitted: true,
        appliedIndex: 8,
        committedIndex: 7,
      }),
    ).toThrow(LeaseAssertionError);
  });
});

describe('LeaderLease.shouldStepDown', () => {
  it('does not step down during its first election timeout', () => {
    const l = new LeaderLease(config, counting(3, 2, 2), ballot, 1000);
    expect(l.shouldStepDown(2499)).toBe(false);
    expect(l.shouldStepDown(2500)).toBe(true);
  });

  it('steps down after an election timeout without hearing a phase-2 quorum', () => {
    const l = new LeaderLease(config, counting(5, 3, 3), ballot, 0);
    const r = l.beginRound(1000);
    l.onAck(1, r, 1010);
    l.onAck(2, r, 1020);
    l.onHeard(3, 1100);
    expect(l.shouldStepDown(2000)).toBe(false);
    expect(l.shouldStepDown(2509)).toBe(false);
    // 1 was heard 1500 ago: only {2, 3} remain in the window, not a phase-2 quorum of 3.
    expect(l.shouldStepDown(2510)).toBe(true);
  });

  it('stays while a phase-2 quorum was heard within the last election timeout', () => {
    const l = new LeaderLease(config, counting(5, 3, 3), ballot, 0);
    l.onHeard(2, 1020);
    l.onHeard(3, 1100);
    l.onHeard(4, 2500);
    expect(l.shouldStepDown(2500)).toBe(false); // {2, 3, 4}
    expect(l.shouldStepDown(2520)).toBe(true); // 2 heard 1500 ago: out of the window
    l.onHeard(5, 2550);
    expect(l.shouldStepDown(2550)).toBe(false); // {3, 4, 5}
    expect(l.shouldStepDown(2600)).toBe(true); // 3 left the window
  });

  it('counts replies to forgotten rounds as heard', () => {
    const l = new LeaderLease(config, counting(3, 2, 2), ballot, 0);
    const r1 = l.beginRound(0);
    l.beginRound(950);
    l.onAck(1, r1, 1600);
    l.onAck(2, r1, 1600);
    expect(l.shouldStepDown(1600)).toBe(false);
  });

  it('uses the phase-2 quorum size, not a majority', () => {
    // N=5, L=4, P=2: two acceptors keep the leader in office.
    const l = new LeaderLease(config, counting(5, 4, 2), ballot, 0);
    l.onHeard(1, 1400);
    l.onHeard(2, 1400);
    expect(l.shouldStepDown(2000)).toBe(false);
    const m = new LeaderLease(config, counting(5, 2, 4), ballot, 0);
    m.onHeard(1, 1400);
    m.onHeard(2, 1400);
    m.onHeard(3, 1400);
    expect(m.shouldStepDown(2000)).toBe(true);
  });
});
