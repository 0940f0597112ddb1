/**
 * Trace-style scenarios: a script of steps and the exact message trace it produces. The
 * expected traces are inline snapshots; `pnpm exec vitest run packages/paxos -u` rewrites them
 * for review when the protocol changes on purpose.
 */
import { describe, expect, it } from 'vitest';
import type { Message } from '../src/index.js';
import { Cluster } from './harness.js';

function fmt(m: Message): string {
  switch (m.type) {
    case 'prepare':
      return `${m.from}->${m.to} prepare b=${m.ballot.round}.${m.ballot.nodeId} from=${m.fromSlot}`;
    case 'promise':
      return `${m.from}->${m.to} promise b=${m.ballot.round}.${m.ballot.nodeId} accepted=[${m.accepted.map((e) => `${e.slot}@${e.ballot.round}.${e.ballot.nodeId}`).join(' ')}] committed=${m.committed}`;
    case 'accept':
      return `${m.from}->${m.to} accept b=${m.ballot.round}.${m.ballot.nodeId} slots=[${m.entries.map((e) => e.slot).join(' ')}] committed=${m.committed}`;
    case 'accepted':
      return `${m.from}->${m.to} accepted b=${m.ballot.round}.${m.ballot.nodeId} slots=[${m.slots.join(' ')}]`;
    case 'reject':
      return `${m.from}->${m.to} reject b=${m.ballot.round}.${m.ballot.nodeId} promised=${m.promised.round}.${m.promised.nodeId}`;
    case 'heartbeat':
    case 'heartbeat-reply':
      return `${m.from}->${m.to} ${m.type} committed=${m.committed}`;
    case 'fetch':
      return `${m.from}->${m.to} fetch [${m.fromSlot}..${m.toSlot}]`;
    case 'chosen':
      return `${m.from}->${m.to} chosen slots=[${m.entries.map((e) => e.slot).join(' ')}] committed=${m.committed}`;
    case 'snapshot':
      return `${m.from}->${m.to} snapshot index=${m.snapshot.meta.index}`;
    case 'pre-prepare':
      return `${m.from}->${m.to} pre-prepare b=${m.ballot.round}.${m.ballot.nodeId}`;
    case 'pre-promise':
      return `${m.from}->${m.to} pre-promise b=${m.ballot.round}.${m.ballot.nodeId} granted=${m.granted}`;
  }
}

function trace(c: Cluster, from: number): string[] {
  return c.sent.slice(from).map(fmt);
}

describe('Replica traces', () => {
  it('elects by phase 1, commits a no-op of its ballot, then replicates a command', () => {
    const c = new Cluster({ n: 3 });
    c.campaign(1); // campaign 1
    c.propose(1, 'x'); // propose 1 x
    c.deliverAll();
    c.tick(2); // heartbeat carries the commit index
    expect(trace(c, 0)).toMatchInlineSnapshot(`
      [
        "1->2 prepare b=1.1 from=1",
        "1->3 prepare b=1.1 from=1",
        "2->1 promise b=1.1 accepted=[] committed=0",
        "3->1 promise b=1.1 accepted=[] committed=0",
        "1->2 accept b=1.1 slots=[1] committed=0",
        "1->3 accept b=1.1 slots=[1] committed=0",
        "1->2 heartbeat committed=0",
        "1->3 heartbeat committed=0",
        "2->1 accepted b=1.1 slots=[1]",
        "3->1 accepted b=1.1 slots=[1]",
        "2->1 heartbeat-reply committed=0",
        "3->1 heartbeat-reply committed=0",
        "1->2 accept b=1.1 slots=[2] committed=1",
        "1->3 accept b=1.1 slots=[2] committed=1",
        "2->1 accepted b=1.1 slots=[2]",
        "3->1 accepted b=1.1 slots=[2]",
        "1->2 heartbeat committed=2",
        "1->3 heartbeat committed=2",
        "2->1 heartbeat-reply committed=2",
        "3->1 heartbeat-reply committed=2",
      ]
    `);
  });

  it('hands leadership to a higher ballot, which learns committed slots from the promises', () => {
    const c = new Cluster({ n: 3 });
    c.campaign(1);
    const mark = c.sent.length;
    c.campaign(2); // the Prepare of the higher ballot makes 1 step down
    c.tick(2);
    expect(trace(c, mark).filter((l) => !l.includes('heartbeat-reply'))).toMatchInlineSnapshot(`
      [
        "2->1 prepare b=2.2 from=1",
        "2->3 prepare b=2.2 from=1",
        "1->2 promise b=2.2 accepted=[1@1.1] committed=1",
        "3->2 promise b=2.2 accepted=[1@1.1] committed=0",
        "2->1 accept b=2.2 slots=[2] committed=1",
        "2->3 accept b=2.2 slots=[2] committed=1",
        "2->1 heartbeat committed=1",
        "2->3 heartbeat committed=1",
        "1->2 accepted b=2.2 slots=[2]",
        "3->2 accepted b=2.2 slots=[2]",
        "3->2 fetch [1..1]",
        "2->3 chosen slots=[1] committed=2",
        "2->1 heartbeat committed=2",
        "2->3 heartbeat committed=2",
      ]
    `);
    expect(c.leaders()).toEqual([2]);
  });
});
