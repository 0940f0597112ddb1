// The README's example, kept runnable: three replicas in one process, a host loop per node
// that follows the persist-before-send contract, and a proposal that gets applied everywhere.
import { countingQuorum } from '@flexpaxos/quorum';
import { describe, expect, it } from 'vitest';
import {
  MemoryLogStorage,
  MemoryStateStorage,
  Replica,
  applyPersistRequest,
  type Message,
  type NodeId,
} from '../src/index.js';

function example(): string[][] {
  const members = [1, 2, 3] as NodeId[];
  const quorum = countingQuorum({ members, replication: 2 }); // N=3, P=2, L=2
  let seed = 42;
  const random = { nextInt: (max: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % max };

  const nodes = members.map((id) => ({
    replica: new Replica({
      id,
      members,
      quorum,
      electionTimeoutTicks: 10,
      electionTimeoutJitterTicks: 10,
      heartbeatIntervalTicks: 2,
      batchCommandsMax: 64,
      batchBytesMax: 64 * 1024,
      inflightSlotsMax: 8,
      thrifty: false,
      random,
    }),
    log: new MemoryLogStorage(),
    state: new MemoryStateStorage(),
    applied: [] as string[],
  }));
  const network: Message[] = [];

  // The host loop: send, persist (durably), send the replies, apply, advance.
  const drive = (node: (typeof nodes)[number]): void => {
    while (node.replica.hasReady()) {
      const rd = node.replica.ready();
      network.push(...rd.messages); // may leave before the write is durable
      if (rd.persist !== undefined) applyPersistRequest(rd.persist, node.log, node.state); // fsync here
      network.push(...rd.messagesAfterPersist); // Promise / Accepted: only after the write
      for (const entry of rd.committed) {
        if (entry.value.kind === 'commands') {
          for (const c of entry.value.commands) node.applied.push(new TextDecoder().decode(c));
        }
        node.state.saveApplied(entry.slot);
      }
      node.replica.advance(rd);
    }
  };
  const pump = (): void => {
    nodes.forEach(drive);
    for (let m = network.shift(); m !== undefined; m = network.shift()) {
      const to = nodes[m.to - 1];
      if (to === undefined) continue;
      to.replica.step(m);
      drive(to);
    }
  };

  // Time passes in ticks; some node's randomized election timeout fires and it wins phase 1.
  for (let t = 0; t < 30; t++) {
    nodes.forEach((n) => n.replica.tick());
    pump();
  }
  const leader = nodes.find((n) => n.replica.status().role === 'leader');
  if (leader === undefined) throw new Error('no leader');
  leader.replica.propose(new TextEncoder().encode('put x=1'));
  leader.replica.propose(new TextEncoder().encode('put y=2'));
  for (let t = 0; t < 5; t++) {
    nodes.forEach((n) => n.replica.tick());
    pump();
  }
  return nodes.map((n) => n.applied);
}

describe('README example', () => {
  it('elects a leader and applies the proposed commands on every node', () => {
    expect(example()).toEqual([
      ['put x=1', 'put y=2'],
      ['put x=1', 'put y=2'],
      ['put x=1', 'put y=2'],
    ]);
  });
});
