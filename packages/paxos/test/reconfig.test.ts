import { describe, expect, it } from 'vitest';
import {
  Replica,
  describeConfigState,
  recoverState,
  type Configuration,
  type Message,
  type NodeId,
  type Replica as ReplicaType,
} from '../src/index.js';
import { Cluster } from './harness.js';

/** A counting configuration over `voters` (L defaults to N - P + 1), with `learners`. */
function conf(
  voters: number[],
  replication: number,
  election = voters.length - replication + 1,
  learners: number[] = [],
  preferredLeader?: number,
): Configuration {
  return {
    quorum: { kind: 'counting', voters: voters, replication, election },
    learners: learners as NodeId[],
    ...(preferredLeader === undefined ? {} : { preferredLeader: preferredLeader as NodeId }),
  };
}

function committedConfig(r: ReplicaType): string {
  const s = r.status().config.state;
  return s === undefined ? 'none' : describeConfigState(s);
}

/** Ticks until `done()` or `max` rounds; returns the rounds used. */
function tickUntil(c: Cluster, done: () => boolean, max = 200): number {
  for (let i = 0; i < max; i++) {
    if (done()) return i;
    c.tick(1);
  }
  throw new Error('condition not reached');
}

/** A 3-node cluster (P=2) whose node 1 leads, with a few writes applied. */
function running(): Cluster {
  const c = new Cluster({ n: 3, p: 2 });
  c.campaign(1);
  c.propose(1, 'a');
  c.tick(3);
  return c;
}

describe('Replica.changeConfig', () => {
  it('adds a node: learner, catch-up, joint, final; writes keep flowing and everyone agrees', () => {
    const c = running();
    c.addNode(4);
    const leader = c.replica(1);
    const target = conf([1, 2, 3, 4], 2, 3);
    expect(leader.changeConfig(target)).toEqual({ kind: 'started' });
    let n = 0;
    tickUntil(c, () => {
      c.propose(1, `w${n++}`);
      return leader.status().config.pending === undefined;
    });
    // The configuration entries the log holds, in slot order.
    const configs = [...c.node(1).applied.values()]
      .sort((a, b) => a.slot - b.slot)
      .flatMap((e) => (e.value.kind === 'config' ? [describeConfigState(e.value.config)] : []));
    expect(configs).toEqual([
      'N=3 P=2 L=2 [1,2,3]',
      'N=3 P=2 L=2 [1,2,3] learners [4]',
      'joint(N=3 P=2 L=2 [1,2,3] learners [4] | N=4 P=2 L=3 [1,2,3,4])',
      'N=4 P=2 L=3 [1,2,3,4]',
    ]);
    expect(leader.status().config.lastChange).toMatchObject({ result: 'done', reason: 'operator' });
    c.tick(4);
    for (const id of [1, 2, 3, 4]) {
      expect(committedConfig(c.replica(id)), `node ${id}`).toBe('N=4 P=2 L=3 [1,2,3,4]');
    }
    const applied = c.appliedCommands(1);
    // Every write proposed during the change was applied (none waited behind it for long).
    for (let i = 0; i < n; i++) expect(applied).toContain(`w${i}`);
    for (const id of [2, 3, 4]) expect(c.appliedCommands(id)).toEqual(applied);
    c.checkAgreement();
    // Node 4 now votes: with 1 and 2 down, {3, 4} is a phase-2 quorum of N=4 P=2.
    c.crash(1);
    c.crash(2);
    c.replica(3).campaign();
    c.deliverAll();
    expect(c.replica(3).status().role).toBe('candidate'); // L=3 of 4: 3 and 4 are not enough
  });

  it('changes P and L through the joint configuration, validated like the start-up config', () => {
    const c = new Cluster({ n: 5, p: 3 });
    c.campaign(1);
    const leader = c.replica(1);
    const bad = leader.changeConfig(conf([1, 2, 3, 4, 5], 2, 3));
    expect(bad.kind).toBe('invalid');
    expect(bad.kind === 'invalid' && bad.problems.map((p) => p.rule)).toEqual([
      'P=2 and L=3 do not intersect for N=5: need L + P > N',
    ]);
    expect(leader.changeConfig(conf([1, 2, 3, 4, 5], 2, 4)).kind).toBe('started');
    expect(leader.changeConfig(conf([1, 2, 3, 4, 5], 3, 3))).toMatchObject({ kind: 'busy' });
    tickUntil(c, () => leader.status().config.pending === undefined);
    expect(committedConfig(leader)).toBe('N=5 P=2 L=4 [1,2,3,4,5]');
    expect(leader.changeConfig(conf([1, 2, 3, 4, 5], 2, 4))).toEqual({ kind: 'unchanged' });
    // P=2 now: two acceptors (the leader and one more) choose a slot.
    c.dropIf = (m) => m.to === 3 || m.to === 4 || m.to === 5;
    c.propose(1, 'p2');
    c.deliverAll();
    c.tick(1);
    expect(c.appliedCommands(1)).toContain('p2');
  });

  it('refuses a second change while one is in progress, and a change from a follower', () => {
    const c = running();
    c.addNode(4);
    expect(c.replica(1).changeConfig(conf([1, 2, 3, 4], 2, 3)).kind).toBe('started');
    const second = c.replica(1).changeConfig(conf([1, 2], 2, 1));
    expect(second.kind).toBe('busy');
    expect(second.kind === 'busy' && second.detail).toMatch(/one change at a time/);
    expect(c.replica(2).changeConfig(conf([1, 2], 2, 1))).toEqual({
      kind: 'not-leader',
      leaderHint: 1,
    });
  });

  it('removes a node; the removed node campaigns, is ignored, learns it was removed and stops', () => {
    const c = running();
    const leader = c.replica(1);
    expect(leader.changeConfig(conf([1, 2], 2, 1)).kind).toBe('started');
    // Node 3 is partitioned away during the change: it never hears of its removal.
    c.dropIf = (m) => m.to === 3 || m.from === 3;
    tickUntil(c, () => leader.status().config.pending === undefined);
    expect(committedConfig(leader)).toBe('N=2 P=2 L=1 [1,2]');
    c.dropIf = () => false;
    c.replica(3).campaign();
    c.deliverAll();
    expect(c.replica(1).status().role).toBe('leader'); // not disrupted by the higher ballot
    expect(c.replica(2).status().ballot.nodeId).toBe(1);
    expect(committedConfig(c.replica(3))).toBe('N=2 P=2 L=1 [1,2]'); // it learned the removal
    c.tick(60);
    expect(c.replica(3).status().role).toBe('follower'); // and stopped campaigning
    expect(c.leaders()).toEqual([1]);
  });

  it('removes the leader itself: it hands over to a voter and steps down', () => {
    const c = running();
    const leader = c.replica(1);
    expect(leader.changeConfig(conf([2, 3], 2, 1)).kind).toBe('started');
    tickUntil(c, () => c.leaders().length === 1 && c.leaders()[0] !== 1);
    expect(leader.status().role).toBe('follower');
    const next = c.leaders()[0]!;
    c.propose(next, 'after');
    c.tick(3);
    expect(c.appliedCommands(2)).toContain('after');
    expect(committedConfig(c.replica(next))).toBe('N=2 P=2 L=1 [2,3]');
  });

  it('a new leader completes a joint configuration the old one left behind', () => {
    const c = new Cluster({ n: 5, p: 3 });
    c.campaign(1);
    const leader = c.replica(1);
    expect(leader.changeConfig(conf([1, 2, 3, 4, 5], 2, 4)).kind).toBe('started');
    // Let the joint entry commit, then crash the leader before the final entry is chosen.
    c.dropIf = (m) => m.type === 'accepted' && leader.status().config.pending?.step === 'final';
    tickUntil(c, () => leader.status().config.pending?.step === 'final', 20);
    c.dropIf = () => false;
    c.crash(1);
    c.replica(2).campaign();
    c.deliverAll();
    c.tick(5);
    expect(c.leaders()).toEqual([2]);
    const s = c.replica(2).status();
    expect(s.config.state?.outgoing).toBeUndefined();
    expect(committedConfig(c.replica(2))).toBe('N=5 P=2 L=4 [1,2,3,4,5]');
  });

  it('refuses a transfer to a node that is not a voter or not caught up', () => {
    const c = new Cluster({ n: 3, p: 2, batchCommandsMax: 1 });
    c.campaign(1);
    c.addNode(4);
    expect(c.replica(1).transferLeadership(4 as NodeId)).toEqual({ kind: 'invalid-target' });
    c.dropIf = (m) => m.to === 3 || m.from === 3;
    for (let i = 0; i < 80; i++) c.propose(1, `x${i}`);
    c.tick(10);
    expect(c.replica(1).transferLeadership(3 as NodeId)).toEqual({ kind: 'not-caught-up' });
    c.dropIf = () => false;
    c.tick(10);
    expect(c.replica(1).transferLeadership(3 as NodeId)).toEqual({ kind: 'started' });
  });

  it('moves leadership to the preferred leader once it is caught up', () => {
    const c = running();
    expect(c.replica(1).changeConfig(conf([1, 2, 3], 2, 2, [], 3)).kind).toBe('started');
    tickUntil(c, () => c.leaders()[0] === 3, 120);
    expect(committedConfig(c.replica(3))).toBe('N=3 P=2 L=2 [1,2,3] preferred 3');
    c.tick(60);
    expect(c.leaders()).toEqual([3]); // it stays there
  });

  it('persists the bootstrap configuration: a restart without one recovers it', () => {
    const c = running();
    const n2 = c.node(2);
    const { bootstrap: _unused, ...withoutBootstrap } = c.config(2 as NodeId);
    const r = new Replica(withoutBootstrap, recoverState(n2.log, n2.state));
    expect(committedConfig(r)).toBe('N=3 P=2 L=2 [1,2,3]');
  });
});

describe('phase 1 across configurations (chain rule)', () => {
  it('a candidate that lags behind a membership change needs a quorum of the new configuration', () => {
    const c = running();
    c.addNode(4);
    c.addNode(5);
    // Node 3 misses the whole change to {1,...,5} P=2 L=4.
    c.dropIf = (m) => m.to === 3 || m.from === 3;
    expect(c.replica(1).changeConfig(conf([1, 2, 3, 4, 5], 2, 4)).kind).toBe('started');
    tickUntil(c, () => c.replica(1).status().config.pending === undefined);
    c.propose(1, 'new-config-write');
    c.tick(3);
    // Now 1 dies; 3 (still believing in {1,2,3}) campaigns and reaches 2, 4 and 5.
    c.crash(1);
    c.dropIf = () => false;
    c.replica(3).campaign();
    const prepares = new Set<number>();
    c.dropIf = (m: Message) => {
      if (m.type === 'prepare' && m.from === 3) prepares.add(m.to);
      return false;
    };
    c.deliverAll();
    // Node 2's promise revealed the new configuration: Prepares went to its voters 4 and 5 too
    // (1 is down), and whoever leads now knows the write chosen under the new configuration.
    expect([...prepares].sort()).toEqual([2, 4, 5]);
    c.tick(40);
    const leader = c.leaders()[0]!;
    expect(c.appliedCommands(leader)).toContain('new-config-write');
    c.checkAgreement();
  });
});

describe('automatic subsetting', () => {
  /**
   * N=5 P=2 L=4, node 1 leads; a partition leaves {1,2,3} and {4,5}: no side can elect (L=4),
   * the leader still writes (P=2). Then the leader crashes: the double fault.
   */
  function doubleFault(autoSubset: boolean): { c: Cluster; recovered: boolean } {
    const c = new Cluster({ n: 5, p: 2, l: 4, autoSubset: { enabled: autoSubset } });
    c.campaign(1);
    c.propose(1, 'before');
    c.tick(3);
    const side = new Set([1, 2, 3]);
    c.dropIf = (m) => side.has(m.from) !== side.has(m.to);
    c.tick(60); // beyond the hold-down of 3 election timeouts (30 ticks)
    c.crash(1);
    for (let i = 0; i < 80 && c.leaders().length === 0; i++) c.tick(1);
    const leader = c.leaders()[0];
    if (leader === undefined) return { c, recovered: false };
    c.propose(leader, 'after');
    c.tick(5);
    return { c, recovered: c.appliedCommands(leader).includes('after') };
  }

  it('subsets to the reachable voters before the second fault, so writes resume after it', () => {
    const { c, recovered } = doubleFault(true);
    expect(recovered).toBe(true);
    const leader = c.leaders()[0]!;
    expect(committedConfig(c.replica(leader))).toBe(
      'N=3 P=2 L=2 [1,2,3] subset of N=5 P=2 L=4 [1,2,3,4,5]',
    );
    const last = c.replica(leader).status().config;
    expect(last.state?.incoming.restore).toBeDefined();
    c.checkAgreement();
  });

  it('locks up without it (the same schedule)', () => {
    expect(doubleFault(false).recovered).toBe(false);
  });

  it('adds the removed voters back once they are reachable and caught up', () => {
    const { c } = doubleFault(true);
    c.restart(1);
    c.dropIf = () => false;
    let n = 0;
    tickUntil(
      c,
      () => {
        const leader = c.leaders()[0];
        if (leader !== undefined) c.propose(leader, `w${n++}`);
        return (
          leader !== undefined && committedConfig(c.replica(leader)) === 'N=5 P=2 L=4 [1,2,3,4,5]'
        );
      },
      400,
    );
    const leader = c.leaders()[0]!;
    expect(c.replica(leader).status().config.lastChange?.reason).toMatch(/^auto re-expansion/);
    c.tick(5);
    for (const id of [1, 2, 3, 4, 5])
      expect(committedConfig(c.replica(id))).toBe('N=5 P=2 L=4 [1,2,3,4,5]');
    c.checkAgreement();
  });

  it('refuses a subset that could not survive one more failure', () => {
    // N=4 P=2 L=3: {1,2} reaches P but not L; a 2-voter subset (P=1, L=2) survives no failure.
    const c = new Cluster({ n: 4, p: 2, l: 3 });
    c.campaign(1);
    c.tick(3);
    const side = new Set([1, 2]);
    c.dropIf = (m) => side.has(m.from) !== side.has(m.to);
    c.tick(60);
    const s = c.replica(1).status().config;
    expect(s.autoSubset?.state).toBe('refused');
    expect(s.autoSubset?.detail).toMatch(/fewer than votersMin 3|could not survive/);
    expect(committedConfig(c.replica(1))).toBe('N=4 P=2 L=3 [1,2,3,4]');
  });
});
