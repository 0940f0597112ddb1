import { describe, expect, it } from 'vitest';
import {
  AssertionError,
  Replica,
  ReplicaConfigError,
  ZERO_BALLOT,
  validateReplicaConfig,
  type Message,
  type NodeId,
  type Round,
  type Slot,
} from '../src/index.js';
import { Cluster, bootstrapOf, cmd, countingQuorum, seededRandom } from './harness.js';

const ballot = (round: number, nodeId: number) => ({
  round: round as Round,
  nodeId: nodeId as NodeId,
});

function baseConfig(id = 1, n = 3) {
  const members = Array.from({ length: n }, (_, i) => (i + 1) as NodeId);
  return {
    id: id as NodeId,
    bootstrap: bootstrapOf(countingQuorum(members, Math.floor(n / 2) + 1)),
    electionTimeoutTicks: 10,
    electionTimeoutJitterTicks: 5,
    heartbeatIntervalTicks: 2,
    batchCommandsMax: 16,
    batchBytesMax: 4096,
    inflightSlotsMax: 4,
    thrifty: false,
    random: seededRandom(7),
  };
}

describe('validateReplicaConfig', () => {
  it('returns every problem with its field and rule', () => {
    const problems = validateReplicaConfig({
      ...baseConfig(),
      id: 9 as NodeId,
      electionTimeoutTicks: 0,
      heartbeatIntervalTicks: -1,
      batchBytesMax: 0,
    });
    const fields = problems.map((p) => p.field);
    expect(fields).toEqual([
      'id',
      'electionTimeoutTicks',
      'heartbeatIntervalTicks',
      'batchBytesMax',
    ]);
    expect(problems[0]?.rule).toContain('must be one of the bootstrap voters or learners');
  });

  it('rejects a heartbeat interval not below the election timeout', () => {
    const problems = validateReplicaConfig({ ...baseConfig(), heartbeatIntervalTicks: 10 });
    expect(problems).toEqual([
      {
        field: 'heartbeatIntervalTicks',
        rule: 'must be less than electionTimeoutTicks (10 >= 10)',
      },
    ]);
  });

  it('accepts a valid config', () => {
    expect(validateReplicaConfig(baseConfig())).toEqual([]);
  });
});

describe('Replica', () => {
  it('throws one error listing every config problem', () => {
    expect(
      () => new Replica({ ...baseConfig(), inflightSlotsMax: 0, batchCommandsMax: 0 }),
    ).toThrow(ReplicaConfigError);
    expect(
      () => new Replica({ ...baseConfig(), inflightSlotsMax: 0, batchCommandsMax: 0 }),
    ).toThrow(/batchCommandsMax.*inflightSlotsMax/);
  });

  it('asserts when ready() is called twice without advance()', () => {
    const r = new Replica(baseConfig());
    r.campaign();
    r.ready();
    expect(() => r.ready()).toThrow(AssertionError);
  });

  it('puts the promise only in messagesAfterPersist, with the promised ballot in persist', () => {
    const r = new Replica(baseConfig(2));
    r.step({
      type: 'prepare',
      from: 1 as NodeId,
      to: 2 as NodeId,
      ballot: ballot(1, 1),
      fromSlot: 1 as Slot,
    });
    const rd = r.ready();
    expect(rd.messages.filter((m) => m.type === 'promise')).toEqual([]);
    expect(rd.messagesAfterPersist.map((m) => m.type)).toEqual(['promise']);
    expect(rd.persist?.hardState?.promised).toEqual(ballot(1, 1));
    r.advance(rd);
  });

  it('puts Accepted only in messagesAfterPersist, with the entry in persist', () => {
    const r = new Replica(baseConfig(2));
    r.step({
      type: 'accept',
      from: 1 as NodeId,
      to: 2 as NodeId,
      ballot: ballot(1, 1),
      entries: [{ slot: 1 as Slot, ballot: ballot(1, 1), value: { kind: 'noop' } }],
      committed: 0 as Slot,
    });
    const rd = r.ready();
    expect(rd.messages.filter((m) => m.type === 'accepted')).toEqual([]);
    expect(rd.messagesAfterPersist.map((m) => m.type)).toEqual(['accepted']);
    expect(rd.persist?.entries.map((e) => e.slot)).toEqual([1]);
    r.advance(rd);
  });

  it('rejects a prepare below its promise, carrying the promised ballot', () => {
    const r = new Replica(baseConfig(2));
    r.step({
      type: 'prepare',
      from: 3 as NodeId,
      to: 2 as NodeId,
      ballot: ballot(5, 3),
      fromSlot: 1 as Slot,
    });
    r.advance(r.ready());
    r.step({
      type: 'prepare',
      from: 1 as NodeId,
      to: 2 as NodeId,
      ballot: ballot(4, 1),
      fromSlot: 1 as Slot,
    });
    const rd = r.ready();
    expect(rd.messages).toEqual([
      { type: 'reject', from: 2, to: 1, ballot: ballot(4, 1), promised: ballot(5, 3) },
    ]);
    expect(rd.persist).toBeUndefined();
  });

  it('steps down when a rejection carries a higher ballot', () => {
    const r = new Replica(baseConfig(1));
    r.campaign();
    r.advance(r.ready());
    expect(r.status().role).toBe('candidate');
    r.step({
      type: 'reject',
      from: 2 as NodeId,
      to: 1 as NodeId,
      ballot: ballot(1, 1),
      promised: ballot(3, 2),
    });
    expect(r.status().role).toBe('follower');
    r.campaign();
    expect(r.status().ballot).toEqual(ballot(4, 1));
  });

  it('counts its own vote only once its promise is durable', () => {
    const c = new Cluster({ n: 3 });
    const r = c.replica(1);
    r.campaign();
    const rd = r.ready();
    const prepare = rd.messages.find((m) => m.type === 'prepare' && m.to === 2) as Message;
    c.replica(2).step(prepare);
    c.process(2);
    // One peer promised (L=2); the candidate's own promise is not durable yet.
    for (const m of c.queue.splice(0)) r.step(m);
    expect(r.status().role).toBe('candidate');
    // Even a phase-1 quorum of peers does not make it leader before its own promise is durable
    // (else a restart could reuse the ballot with different values).
    const prepare3 = rd.messages.find((m) => m.type === 'prepare' && m.to === 3) as Message;
    c.replica(3).step(prepare3);
    c.process(3);
    for (const m of c.queue.splice(0)) r.step(m);
    expect(r.status().role).toBe('candidate');
    r.advance(rd);
    expect(r.status().role).toBe('leader');
  });

  it('counts its own acceptance only at advance() of the ready that persisted it', () => {
    const c = new Cluster({ n: 3 });
    c.campaign(1);
    expect(c.leaders()).toEqual([1]);
    const leader = c.replica(1);
    leader.propose(cmd('x'));
    const rd = leader.ready();
    const before = leader.status().committed;
    // Deliver the Accept to node 2 only and its Accepted back: 1 ack of the 2 needed.
    const accept = rd.messages.find((m) => m.type === 'accept' && m.to === 2);
    expect(accept).toBeDefined();
    c.replica(2).step(accept as Message);
    c.process(2);
    const accepted = c.queue.filter((m) => m.type === 'accepted' && m.to === 1);
    c.queue = [];
    for (const m of accepted) leader.step(m);
    expect(leader.status().committed).toBe(before);
    leader.advance(rd);
    expect(leader.status().committed).toBe(before + 1);
  });

  it('restarts from recovered state and re-emits committed but unapplied entries', () => {
    const r = new Replica(baseConfig(2), {
      hardState: { promised: ballot(2, 1), committed: 2 as Slot },
      snapshot: undefined,
      entries: [
        { slot: 1 as Slot, ballot: ballot(2, 1), value: { kind: 'noop' } },
        {
          slot: 2 as Slot,
          ballot: ballot(2, 1),
          value: { kind: 'commands', commands: [cmd('a')] },
        },
        {
          slot: 3 as Slot,
          ballot: ballot(2, 1),
          value: { kind: 'commands', commands: [cmd('b')] },
        },
      ],
      applied: 1 as Slot,
    });
    expect(r.hasReady()).toBe(true);
    const rd = r.ready();
    expect(rd.committed.map((e) => e.slot)).toEqual([2]);
    r.advance(rd);
    expect(r.status()).toMatchObject({
      applied: 2,
      committed: 2,
      lastSlot: 3,
      ballot: ballot(2, 1),
    });
    expect(r.hasReady()).toBe(false);
  });

  it('steps down when it learns a chosen value that differs from its own proposal', () => {
    // A stale leader must not announce a commit over a slot where its ballot proposed another
    // value: followers holding that proposal would take it as chosen.
    const c = new Cluster({ n: 3 });
    c.campaign(1);
    const leader = c.replica(1);
    leader.propose(cmd('w'));
    const rd = leader.ready();
    leader.advance(rd);
    const slot = leader.status().lastSlot;
    leader.step({
      type: 'chosen',
      from: 3 as NodeId,
      to: 1 as NodeId,
      entries: [{ slot, value: { kind: 'commands', commands: [cmd('v')] } }],
      committed: slot,
    });
    expect(leader.status().role).toBe('follower');
    expect(leader.chosenValue(slot)).toEqual({ kind: 'commands', commands: [cmd('v')] });
  });

  it('keeps leading when it learns the chosen value it proposed itself', () => {
    const c = new Cluster({ n: 3 });
    c.campaign(1);
    const leader = c.replica(1);
    leader.propose(cmd('w'));
    leader.advance(leader.ready());
    const slot = leader.status().lastSlot;
    leader.step({
      type: 'chosen',
      from: 3 as NodeId,
      to: 1 as NodeId,
      entries: [{ slot, value: { kind: 'commands', commands: [cmd('w')] } }],
      committed: slot,
    });
    expect(leader.status()).toMatchObject({ role: 'leader', committed: slot });
  });

  it('starts with the zero ballot', () => {
    expect(new Replica(baseConfig()).status().ballot).toEqual(ZERO_BALLOT);
  });
});

describe('Replica scenarios', () => {
  it('elects a leader by phase 1 and replicates commands to every node', () => {
    const c = new Cluster({ n: 3 });
    c.campaign(2);
    expect(c.leaders()).toEqual([2]);
    expect(c.replica(1).status().leader).toBe(2);
    c.propose(2, 'a');
    c.propose(2, 'b');
    c.deliverAll();
    c.tick(4);
    for (const id of c.ids) expect(c.appliedCommands(id)).toEqual(['a', 'b']);
    expect(c.replica(1).propose(cmd('z'))).toEqual({ kind: 'not-leader', leaderHint: 2 });
  });

  it('commits an entry of its own ballot right after election: the bootstrap configuration at slot 1, else a no-op', () => {
    const c = new Cluster({ n: 3 });
    const leader = c.replica(1);
    leader.campaign();
    c.process(1);
    c.deliverAll();
    expect(leader.status()).toMatchObject({
      role: 'leader',
      committed: 1,
      ownBallotCommitted: true,
    });
    c.tick(2); // the next heartbeat tells followers
    const bootstrap = c.config(1 as NodeId).bootstrap;
    expect(c.node(2).applied.get(1)?.value).toEqual({
      kind: 'config',
      config: { incoming: bootstrap },
    });
    // The next leader has nothing to recover above slot 1: a no-op.
    c.replica(2).campaign();
    c.deliverAll();
    expect(c.replica(2).status()).toMatchObject({ role: 'leader', committed: 2 });
    expect(c.replica(2).chosenValue(2 as Slot)).toEqual({ kind: 'noop' });
  });

  it('reports ownBallotCommitted only once an entry of the new ballot is committed', () => {
    const c = new Cluster({ n: 3 });
    c.campaign(1);
    c.dropIf = (m) => m.type === 'accepted';
    c.crash(1);
    c.campaign(2);
    expect(c.replica(2).status()).toMatchObject({ role: 'leader', ownBallotCommitted: false });
    c.dropIf = () => false;
    c.tick(3);
    expect(c.replica(2).status().ownBallotCommitted).toBe(true);
  });

  it('elects a leader from election timeouts alone', () => {
    const c = new Cluster({ n: 5, seed: 3 });
    c.tick(40);
    expect(c.leaders()).toHaveLength(1);
  });

  it('batches commands into one slot and bounds the in-flight window', () => {
    const c = new Cluster({ n: 3, batchCommandsMax: 2, inflightSlotsMax: 2 });
    c.campaign(1);
    const startSlot = c.replica(1).status().lastSlot;
    for (const x of ['a', 'b', 'c', 'd', 'e', 'f']) c.propose(1, x);
    const rd = c.replica(1).ready();
    const accept = rd.messages.find((m) => m.type === 'accept');
    expect(accept?.type === 'accept' ? accept.entries.map((e) => e.slot) : []).toEqual([
      startSlot + 1,
      startSlot + 2,
    ]);
    expect(c.replica(1).status().pendingCommands).toBe(2);
    c.queue.push(...rd.messages);
    c.replica(1).advance(rd);
    c.deliverAll();
    c.tick(4);
    expect(c.appliedCommands(3)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('resolves dueling proposers to one leader and agreement', () => {
    const c = new Cluster({ n: 3, seed: 5 });
    c.replica(1).campaign();
    c.replica(3).campaign();
    c.deliverAll();
    c.tick(60);
    expect(c.leaders()).toHaveLength(1);
    const leader = c.leaders()[0] as number;
    c.propose(leader, 'after-duel');
    c.tick(6);
    c.checkAgreement();
    for (const id of c.ids) expect(c.appliedCommands(id)).toEqual(['after-duel']);
  });

  it('makes a new leader recover a value accepted by only a phase-2 quorum', () => {
    // N=5, P=2, L=4: the value reaches nodes 1 and 2 only, which is enough to choose it.
    const c = new Cluster({ n: 5, p: 2 });
    c.campaign(1);
    c.tick(4);
    c.dropIf = (m) => m.type === 'accept' && m.to !== 2;
    c.propose(1, 'v');
    c.deliverAll();
    expect(c.replica(1).status().committed).toBeGreaterThan(0);
    expect(c.appliedCommands(1)).toEqual(['v']);
    c.crash(1);
    c.dropIf = () => false;
    c.campaign(3);
    expect(c.leaders()).toEqual([3]);
    c.tick(4);
    for (const id of [2, 3, 4, 5]) expect(c.appliedCommands(id)).toEqual(['v']);
    c.checkAgreement();
  });

  it('commits with a minority down', () => {
    const c = new Cluster({ n: 5 });
    c.campaign(1);
    c.crash(4);
    c.crash(5);
    c.propose(1, 'a');
    c.deliverAll();
    c.tick(3);
    expect(c.appliedCommands(1)).toEqual(['a']);
    expect(c.appliedCommands(2)).toEqual(['a']);
  });

  it('does not commit without a phase-2 quorum', () => {
    const c = new Cluster({ n: 5 });
    c.campaign(1);
    for (const id of [3, 4, 5]) c.crash(id);
    c.propose(1, 'a');
    c.deliverAll();
    c.tick(3);
    expect(c.appliedCommands(1)).toEqual([]);
  });

  it('lets a lagging replica catch up on chosen entries', () => {
    const c = new Cluster({ n: 3 });
    c.campaign(1);
    c.dropIf = (m) => m.to === 3 || m.from === 3;
    for (let i = 0; i < 10; i++) c.propose(1, `c${i}`);
    c.tick(6);
    expect(c.appliedCommands(3)).toEqual([]);
    c.dropIf = () => false;
    c.tick(20);
    expect(c.appliedCommands(3)).toEqual(c.appliedCommands(1));
    expect(c.appliedCommands(3)).toHaveLength(10);
  });

  it('catches up without a fetch storm when answers are small and duplicated (sim seed 30177)', () => {
    // Regression for /tmp/paxos-bugs/fetch-chosen-storm.md: every answer revealing the gap
    // triggered a new fetch; with duplication the traffic grew exponentially.
    const c = new Cluster({ n: 3, batchBytesMax: 64, batchCommandsMax: 1 });
    c.campaign(1);
    c.crash(3);
    for (let i = 0; i < 40; i++) c.propose(1, `f${i}`);
    c.tick(30);
    expect(c.appliedCommands(1)).toHaveLength(40);
    c.restart(3);
    c.duplicateIf = (m) => m.type === 'chosen' || m.type === 'fetch';
    const mark = c.sent.length;
    c.tick(20);
    expect(c.appliedCommands(3)).toEqual(c.appliedCommands(1));
    const fetches = c.sent.slice(mark).filter((m) => m.type === 'fetch').length;
    expect(fetches).toBeLessThan(10);
  });

  it('catches a replica below the leader log start up with a snapshot', () => {
    const c = new Cluster({ n: 3 });
    c.campaign(1);
    c.crash(3);
    for (let i = 0; i < 5; i++) c.propose(1, `s${i}`);
    c.tick(4);
    c.compact(1);
    c.compact(2);
    expect(c.replica(1).status().snapshotIndex).toBeGreaterThan(0);
    c.restart(3);
    c.propose(1, 'after');
    c.tick(20);
    expect(c.appliedCommands(3)).toEqual(['s0', 's1', 's2', 's3', 's4', 'after']);
    expect(c.sent.some((m) => m.type === 'snapshot' && m.to === 3)).toBe(true);
  });

  it('serves its recovered snapshot to a laggard after a restart (sim seed 149)', () => {
    // Regression for /tmp/paxos-bugs/snapshot-lost-after-restart.md: a replica restarted from
    // a snapshot knew only its metadata and could never send it, so a laggard stayed stuck.
    const c = new Cluster({ n: 3 });
    c.campaign(1);
    c.crash(3);
    for (let i = 0; i < 4; i++) c.propose(1, `r${i}`);
    c.tick(4);
    c.compact(1);
    c.compact(2);
    c.crash(1);
    c.crash(2);
    c.restart(1);
    c.restart(2);
    c.restart(3);
    c.tick(80);
    expect(c.leaders()).toHaveLength(1);
    expect(c.appliedCommands(3)).toEqual(['r0', 'r1', 'r2', 'r3']);
    expect(c.sent.some((m) => m.type === 'snapshot' && m.to === 3)).toBe(true);
  });

  it('fetches from a live peer when the promiser that knew the most crashes (sim seed 2003881)', () => {
    // Regression: a new leader fetched the chosen slots it lacked from the promiser with the
    // highest committed index only. That promiser crashed for good; live peers ahead of the
    // leader (but below that index) never replaced it, so the leader stayed behind forever.
    const c = new Cluster({ n: 4, p: 2, l: 3, batchCommandsMax: 1 });
    c.dropIf = (m) => m.from === 4 || m.to === 4;
    c.campaign(1);
    for (const x of ['a', 'b', 'c']) c.propose(1, x);
    c.tick(4);
    for (const id of [1, 2, 3]) {
      expect(c.replica(id).status().committed).toBe(4); // the election no-op, a, b, c
      c.compact(id);
    }
    // Slot 5 is chosen by {1, 2}, but only node 1 learns that it is committed.
    c.dropIf = (m) => m.from === 4 || m.to === 4 || m.to === 3 || m.from === 3;
    c.propose(1, 'd');
    c.deliverAll();
    expect(c.replica(1).status().committed).toBe(5);
    expect(c.replica(2).status().committed).toBe(4);
    // Node 4 (which has nothing) is elected; node 1 promises with committed 5 and is the fetch
    // source for slots 1..4 (compacted everywhere), then dies before answering the fetch.
    c.dropIf = (m) => m.type === 'fetch' && m.to === 1;
    c.campaign(4);
    expect(c.leaders()).toEqual([4]);
    expect(c.replica(4).status().committed).toBe(0);
    c.crash(1);
    c.dropIf = () => false;
    c.tick(60);
    expect(c.leaders()).toHaveLength(1);
    for (const id of [2, 3, 4]) expect(c.appliedCommands(id)).toEqual(['a', 'b', 'c', 'd']);
    c.checkAgreement();
  });

  it('survives a full-cluster restart without losing committed commands', () => {
    const c = new Cluster({ n: 3 });
    c.campaign(1);
    c.propose(1, 'a');
    c.propose(1, 'b');
    c.tick(4);
    for (const id of c.ids) c.crash(id);
    for (const id of c.ids) c.restart(id);
    c.tick(60);
    expect(c.leaders()).toHaveLength(1);
    const leader = c.leaders()[0] as number;
    c.propose(leader, 'c');
    c.tick(6);
    for (const id of c.ids) expect(c.appliedCommands(id)).toEqual(['a', 'b', 'c']);
  });

  it('sends Accept only to a phase-2 quorum in thrifty mode and streams chosen values to the rest', () => {
    const c = new Cluster({ n: 5, p: 3, thrifty: true });
    c.campaign(1);
    c.tick(4);
    c.sent.length = 0;
    c.propose(1, 't');
    c.deliverAll();
    const acceptTargets = new Set(c.sent.filter((m) => m.type === 'accept').map((m) => m.to));
    expect(acceptTargets.size).toBe(2);
    c.tick(4);
    for (const id of c.ids) expect(c.appliedCommands(id)).toEqual(['t']);
  });

  it('falls back to the other acceptors in thrifty mode when a quorum member is down', () => {
    const c = new Cluster({ n: 5, p: 3, thrifty: true });
    c.campaign(1);
    c.tick(4);
    c.sent.length = 0;
    c.propose(1, 'probe');
    c.deliverAll();
    const targets = [...new Set(c.sent.filter((m) => m.type === 'accept').map((m) => m.to))];
    c.crash(targets[0] as number);
    c.propose(1, 'x');
    c.tick(6);
    expect(c.appliedCommands(1)).toEqual(['probe', 'x']);
    c.checkAgreement();
  });

  it('replicates to a member that is not a voter without counting it', () => {
    const bootstrap = { ...bootstrapOf(countingQuorum([1, 2], 2)), learners: [3 as NodeId] };
    const config = (id: number) => ({ ...baseConfig(id), bootstrap });
    const r3 = new Replica(config(3));
    for (let i = 0; i < 50; i++) r3.tick();
    expect(r3.status().role).toBe('follower'); // a learner never campaigns
    expect(() => r3.campaign()).toThrow(AssertionError);
  });

  it('transfers leadership to another voter, which leads with a higher ballot', () => {
    const c = new Cluster({ n: 3 });
    c.campaign(1);
    c.propose(1, 'before');
    c.tick(2);
    expect(c.replica(1).transferLeadership(1 as NodeId)).toEqual({ kind: 'invalid-target' });
    expect(c.replica(2).transferLeadership(3 as NodeId)).toEqual({
      kind: 'not-leader',
      leaderHint: 1,
    });
    expect(c.replica(1).transferLeadership(3 as NodeId)).toEqual({ kind: 'started' });
    c.deliverAll();
    expect(c.leaders()).toEqual([3]);
    c.propose(3, 'after');
    c.tick(4);
    for (const id of c.ids) expect(c.appliedCommands(id)).toEqual(['before', 'after']);
  });

  it('steps down when it has not heard from a phase-2 quorum for an election timeout', () => {
    const c = new Cluster({ n: 3 });
    c.campaign(1);
    c.dropIf = (m) => m.from === 1 || m.to === 1;
    c.tick(25);
    expect(c.replica(1).status().role).not.toBe('leader');
  });
});
