import { countingQuorum } from '@flexpaxos/quorum';
import { describe, expect, it } from 'vitest';
import { LeaderLease, type LeaseConfig } from '../src/index.js';
import { counting } from './support/test-quorum.js';

const config: LeaseConfig = {
  leaseDurationMs: 1000,
  clockDriftBoundMs: 100,
  electionTimeoutMs: 1500,
};
const ballot = { round: 2, nodeId: 1 };

describe('LeaderLease.setQuorums', () => {
  it('holds only when the grants meet every phase-1 quorum of every system in force', () => {
    // Old {1,2,3} with P=2 L=2, new {1,2,3,4,5} with P=3 L=3 (a node pair being added).
    const old = counting(3, 2, 2);
    const next = countingQuorum({ members: [1, 2, 3, 4, 5], replication: 3, election: 3 });
    const l = new LeaderLease(config, old, ballot, 0);
    const r = l.beginRound(0);
    l.onAck(1, r, 1);
    l.onAck(2, r, 1);
    expect(l.holds(10)).toBe(true); // {1,2} meets every 2-of-3
    l.setQuorums([old, next]);
    expect(l.holds(10)).toBe(false); // {1,2} misses {3,4,5}, a phase-1 quorum of the new system
    l.onAck(4, r, 11); // a voter of the new system only: its grant counts now
    expect(l.holds(12)).toBe(true); // {1,2,4} meets every 3-of-5 and {1,2} every 2-of-3
    expect(l.validUntilMs()).toBe(900);
    l.setQuorums([next]);
    expect(l.holds(13)).toBe(true);
  });

  it('ignores and forgets acceptors that vote in no system in force', () => {
    const a = countingQuorum({ members: [1, 2, 3, 4], replication: 2, election: 3 });
    const b = countingQuorum({ members: [1, 2, 3], replication: 2, election: 2 });
    const l = new LeaderLease(config, a, ballot, 0);
    const r = l.beginRound(0);
    l.onAck(4, r, 1);
    expect(l.grantedUntilMs(4)).toBe(900);
    l.setQuorums([b]);
    expect(l.grantedUntilMs(4)).toBeUndefined();
    expect(l.onAck(4, r, 2)).toBe(false);
    l.onAck(1, r, 3);
    expect(l.holds(10)).toBe(false);
    l.onAck(2, r, 11);
    expect(l.holds(12)).toBe(true);
  });

  it('refuses an empty list', () => {
    const l = new LeaderLease(config, counting(3, 2, 2), ballot, 0);
    expect(() => l.setQuorums([])).toThrow(/at least one/);
  });
});
