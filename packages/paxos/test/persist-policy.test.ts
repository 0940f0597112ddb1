/**
 * The persist policy (`Ready.mustSync`, `Ready.messagesAfterPersist`): which readies need a
 * synced write before their replies leave. Every case drives a real replica; a wrong answer in
 * either direction fails (a missed fsync loses safety, an extra one loses speed).
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  Replica,
  type AfterPersistMessage,
  type Message,
  type NodeId,
  type Ready,
  type Round,
  type Slot,
} from '../src/index.js';
import { Cluster, bootstrapOf, countingQuorum, seededRandom } from './harness.js';

const ballot = (round: number, nodeId: number) => ({
  round: round as Round,
  nodeId: nodeId as NodeId,
});

function follower(id = 2): Replica {
  const members = [1, 2, 3] as NodeId[];
  return new Replica({
    id: id as NodeId,
    bootstrap: bootstrapOf(countingQuorum(members, 2)),
    electionTimeoutTicks: 10,
    electionTimeoutJitterTicks: 0,
    heartbeatIntervalTicks: 2,
    batchCommandsMax: 16,
    batchBytesMax: 4096,
    inflightSlotsMax: 4,
    thrifty: false,
    random: seededRandom(3),
  });
}

function accept(to: number, round: number, slots: number[], committed: number): Message {
  return {
    type: 'accept',
    from: 1 as NodeId,
    to: to as NodeId,
    ballot: ballot(round, 1),
    entries: slots.map((s) => ({
      slot: s as Slot,
      ballot: ballot(round, 1),
      value: { kind: 'noop' },
    })),
    committed: committed as Slot,
  };
}

function heartbeat(to: number, round: number, committed: number): Message {
  return {
    type: 'heartbeat',
    from: 1 as NodeId,
    to: to as NodeId,
    ballot: ballot(round, 1),
    committed: committed as Slot,
  };
}

function readyOf(r: Replica): Ready {
  const rd = r.ready();
  r.advance(rd);
  return rd;
}

describe('Ready.mustSync', () => {
  it('is true for a raised promise (Prepare), with the Promise held back', () => {
    const r = follower();
    r.step({
      type: 'prepare',
      from: 1 as NodeId,
      to: 2 as NodeId,
      ballot: ballot(1, 1),
      fromSlot: 1 as Slot,
    });
    const rd = readyOf(r);
    expect(rd.mustSync).toBe(true);
    expect(rd.messagesAfterPersist.map((m) => m.type)).toEqual(['promise']);
  });

  it('is true for accepted entries, with the Accepted held back', () => {
    const r = follower();
    r.step(accept(2, 1, [1], 0));
    const rd = readyOf(r);
    expect(rd.mustSync).toBe(true);
    expect(rd.persist?.entries.map((e) => e.slot)).toEqual([1]);
    expect(rd.messagesAfterPersist.map((m) => m.type)).toEqual(['accepted']);
  });

  it('is false when only the committed index moves', () => {
    const r = follower();
    r.step(accept(2, 1, [1, 2], 0));
    readyOf(r);
    r.step(heartbeat(2, 1, 2));
    const rd = readyOf(r);
    expect(rd.persist?.entries).toEqual([]);
    expect(rd.persist?.hardState?.committed).toBe(2);
    expect(rd.mustSync).toBe(false);
    expect(rd.committed.map((e) => e.slot)).toEqual([1, 2]);
  });

  it('is true when a heartbeat raises the promised ballot, even with no entries', () => {
    const r = follower();
    r.step(heartbeat(2, 3, 0));
    const rd = readyOf(r);
    expect(rd.persist?.hardState?.promised).toEqual(ballot(3, 1));
    expect(rd.mustSync).toBe(true);
    expect(rd.messagesAfterPersist.map((m) => m.type)).toEqual(['heartbeat-reply']);
  });

  it('is false with nothing to persist (a repeated heartbeat of the same ballot)', () => {
    const r = follower();
    r.step(heartbeat(2, 3, 0));
    readyOf(r);
    r.step(heartbeat(2, 3, 0));
    const rd = readyOf(r);
    expect(rd.persist).toBeUndefined();
    expect(rd.mustSync).toBe(false);
    expect(rd.messagesAfterPersist.map((m) => m.type)).toEqual(['heartbeat-reply']);
  });

  it('is true for an installed snapshot', () => {
    const r = follower();
    r.step({
      type: 'snapshot',
      from: 1 as NodeId,
      to: 2 as NodeId,
      snapshot: { meta: { index: 5 as Slot }, data: new Uint8Array([1]) },
      config: { incoming: bootstrapOf(countingQuorum([1, 2, 3], 2)) },
    });
    const rd = readyOf(r);
    expect(rd.persist?.snapshot?.meta.index).toBe(5);
    expect(rd.mustSync).toBe(true);
  });

  it('is true for a log truncation after compaction', () => {
    const c = new Cluster({ n: 3 });
    c.campaign(1);
    c.propose(1, 'a');
    c.tick(3);
    const r = c.replica(2);
    const applied = r.status().applied;
    expect(applied).toBeGreaterThan(0);
    r.compact({ meta: { index: applied }, data: new Uint8Array() });
    const rd = readyOf(r);
    expect(rd.persist?.truncateBelow).toBe(applied + 1);
    expect(rd.mustSync).toBe(true);
  });

  it('is true for the leader proposing (its own entries must be durable before it counts them)', () => {
    const c = new Cluster({ n: 3 });
    c.campaign(1);
    c.propose(1, 'x');
    const rd = c.replica(1).ready();
    expect(rd.persist?.entries.length).toBeGreaterThan(0);
    expect(rd.mustSync).toBe(true);
    c.replica(1).advance(rd);
  });
});

describe('Ready.messagesAfterPersist', () => {
  it('admits only Promise, Accepted and heartbeat replies', () => {
    expectTypeOf<Ready['messagesAfterPersist'][number]>().toEqualTypeOf<AfterPersistMessage>();
    expectTypeOf<AfterPersistMessage['type']>().toEqualTypeOf<
      'promise' | 'accepted' | 'heartbeat-reply'
    >();
  });
});
