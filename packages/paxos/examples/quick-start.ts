// Three replicas in one process with in-memory storage and a message queue for a network: a
// host loop per node that follows the persist-before-send contract, an election, and two
// proposals applied everywhere. Run from the repository root:
//   pnpm exec tsx --conditions=source packages/paxos/examples/quick-start.ts
import {
  MemoryLogStorage,
  MemoryStateStorage,
  Replica,
  applyPersistRequest,
  type Message,
  type NodeId,
} from '@flexpaxos/paxos';

const members = [1, 2, 3] as NodeId[];
// The bootstrap configuration: N=3 voters, P=2, L=2 (L + P > N), no learners.
const bootstrap = {
  quorum: { kind: 'counting', voters: members, replication: 2, election: 2 } as const,
  learners: [],
};
let seed = 42; // the core draws randomness (election jitter) only from an injected source
const random = { nextInt: (max: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % max };

const nodes = members.map((id) => ({
  replica: new Replica({
    id,
    bootstrap,
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
    // A durable host fsyncs here when rd.mustSync (in-memory storage is "durable" at once).
    if (rd.persist !== undefined) applyPersistRequest(rd.persist, node.log, node.state);
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
const leader = nodes.find((n) => n.replica.role === 'leader');
if (leader === undefined) throw new Error('no leader');
const { id, ballot } = leader.replica.status();
console.log('leader:', id, 'ballot round:', ballot.round); // leader: 2 ballot round: 1

leader.replica.propose(new TextEncoder().encode('put x=1'));
leader.replica.propose(new TextEncoder().encode('put y=2'));
for (let t = 0; t < 5; t++) {
  nodes.forEach((n) => n.replica.tick());
  pump();
}
for (const n of nodes) console.log(`node ${n.replica.status().id} applied:`, n.applied.join(', ')); // node 1 applied: put x=1, put y=2 (and the same on nodes 2 and 3)
