import { describe, expect, it } from 'vitest';
import type { NodeStatusReport } from '@flexpaxos/client';
import type { Configuration, NodeId } from '@flexpaxos/paxos';
import { targetFor } from '../src/admin-service.js';
import { memberRows } from '../src/cli-members.js';

const config = (
  voters: number[],
  replication: number,
  election: number,
  learners: number[] = [],
): Configuration => ({
  quorum: { kind: 'counting', voters, replication, election },
  learners: learners as NodeId[],
});

const target = (r: ReturnType<typeof targetFor>): Configuration => {
  if ('problem' in r) throw new Error(r.problem);
  return r.target;
};

describe('targetFor', () => {
  it('adding a voter keeps P and the smallest L when L was the smallest', () => {
    expect(target(targetFor({ op: 'add-member', id: 4 }, config([1, 2, 3], 2, 2))).quorum).toEqual({
      kind: 'counting',
      voters: [1, 2, 3, 4],
      replication: 2,
      election: 3,
    });
  });

  it('adding a voter keeps a larger L when the rule still holds, raises it when not', () => {
    // N=3 P=1 L=3 -> N=4: L must be 4.
    expect(
      target(targetFor({ op: 'add-member', id: 4 }, config([1, 2, 3], 1, 3))).quorum,
    ).toMatchObject({
      replication: 1,
      election: 4,
    });
    // N=4 P=2 L=4 (not the smallest, 3) -> N=5: L stays 4 (4 + 2 > 5).
    expect(
      target(targetFor({ op: 'add-member', id: 5 }, config([1, 2, 3, 4], 2, 4))).quorum,
    ).toMatchObject({
      election: 4,
    });
  });

  it('removing a voter caps P at the new N; a learner just leaves the learners', () => {
    expect(
      target(targetFor({ op: 'remove-member', id: 3 }, config([1, 2, 3], 3, 1))).quorum,
    ).toMatchObject({
      voters: [1, 2],
      replication: 2,
      election: 1,
    });
    const t = target(targetFor({ op: 'remove-member', id: 9 }, config([1, 2, 3], 2, 2, [9])));
    expect(t.learners).toEqual([]);
    expect(t.quorum).toMatchObject({ voters: [1, 2, 3] });
  });

  it('refuses what breaks a rule, naming it', () => {
    const r = targetFor(
      { op: 'set-quorum', replication: 2, election: 3 },
      config([1, 2, 3, 4, 5], 2, 4),
    );
    expect(r).toEqual({
      problem: 'election: P=2 and L=3 do not intersect for N=5: need L + P > N',
    });
    const problem = (r: ReturnType<typeof targetFor>): string => ('problem' in r ? r.problem : '');
    expect(problem(targetFor({ op: 'remove-member', id: 1 }, config([1], 1, 1)))).toContain(
      'last voter',
    );
    expect(problem(targetFor({ op: 'prefer-leader', id: 7 }, config([1, 2, 3], 2, 2)))).toContain(
      'must be a voter',
    );
  });

  it('set-quorum without L takes the smallest L; an unknown member removal changes nothing', () => {
    expect(
      target(targetFor({ op: 'set-quorum', replication: 3 }, config([1, 2, 3, 4, 5], 2, 4))).quorum,
    ).toMatchObject({
      replication: 3,
      election: 3,
    });
    const same = config([1, 2, 3], 2, 2);
    expect(target(targetFor({ op: 'remove-member', id: 8 }, same))).toEqual(same);
  });

  it('a removed preferred leader is no longer preferred', () => {
    const t = target(
      targetFor(
        { op: 'remove-member', id: 2 },
        { ...config([1, 2, 3], 2, 2), preferredLeader: 2 as NodeId },
      ),
    );
    expect(t.preferredLeader).toBeUndefined();
  });
});

describe('memberRows', () => {
  const base = {
    cluster: 'c',
    ballot: '3.1',
    applied: 0,
    replication: 2,
    election: 2,
    lease: 'none',
    pid: 1,
    http: null,
  };
  const cfg = {
    quorum: {
      kind: 'counting',
      voters: [1, 2, 3],
      replication: 2,
      election: 2,
      text: 'N=3 P=2 L=2 [1,2,3]',
    },
    joint: null,
    learners: [4],
    preferredLeader: null,
    index: 7,
    pending: null,
    lastChange: null,
    restore: null,
  };
  it('shows roles, who is up, and how far behind the leader each member is', () => {
    const nodes: NodeStatusReport[] = [
      {
        ...base,
        id: 1,
        role: 'leader',
        leader: 1,
        committed: 100,
        members: [1, 2, 3],
        config: cfg,
        peers: [
          { id: 2, committed: 90, recent: true },
          { id: 3, committed: null, recent: false },
          { id: 4, committed: 40, recent: true },
        ],
      },
      {
        ...base,
        id: 2,
        role: 'follower',
        leader: 1,
        committed: 95,
        members: [1, 2, 3],
        config: cfg,
      },
      {
        ...base,
        id: 4,
        role: 'follower',
        leader: 1,
        committed: 40,
        members: [1, 2, 3],
        config: cfg,
      },
      { ...base, id: 6, role: 'follower', leader: null, committed: 0, members: [], config: null },
    ];
    const { rows, leader } = memberRows(nodes);
    expect(leader).toBe(1);
    expect(rows).toEqual([
      { id: 1, role: 'leader', up: true, committed: 100, behind: 0 },
      { id: 2, role: 'voter', up: true, committed: 90, behind: 10 },
      { id: 3, role: 'voter', up: false, committed: null, behind: null },
      { id: 4, role: 'learner', up: true, committed: 40, behind: 60 },
      { id: 6, role: 'not a member', up: true, committed: 0, behind: 100 },
    ]);
  });
});
