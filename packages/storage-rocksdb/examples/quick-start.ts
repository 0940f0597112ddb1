// A one-node FlexPaxos host on RocksDB: the replica's ready bundles are persisted (fsynced),
// the replies the store hands back are the only ones that may be sent, committed slots are
// applied to the KV state machine and their writes stored with the applied index; a restart
// recovers all of it, and another node's directory is refused. Run from the repository root:
//   pnpm exec tsx --conditions=source packages/storage-rocksdb/examples/quick-start.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KvStateMachine,
  bytesToUtf8,
  decodeResult,
  encodeCommand,
  kvCommand,
  kvGet,
  kvPut,
} from '@flexpaxos/kv';
import { Replica, type NodeId, type Slot } from '@flexpaxos/paxos';
import {
  DataDirMismatchError,
  openStorage,
  type RocksStore,
  type StateWrite,
} from '@flexpaxos/storage-rocksdb';

const dir = await mkdtemp(join(tmpdir(), 'flexpaxos-storage-example-'));
const id = 1 as NodeId;

interface Node {
  readonly store: RocksStore;
  readonly kv: KvStateMachine;
  readonly replica: Replica;
}

/** Opens the store, then rebuilds the state machine and the replica from what it recovered. */
async function start(): Promise<Node> {
  const store = await openStorage({ dir, clusterId: 'demo', nodeId: id });
  const data: [Uint8Array, Uint8Array][] = [];
  const sessions: [Uint8Array, Uint8Array][] = [];
  for await (const r of store.records())
    (r.space === 'data' ? data : sessions).push([r.key, r.value]);
  const kv = KvStateMachine.fromRecords(data, sessions, store.recovered.applied);
  const replica = new Replica(
    {
      id,
      // A one-node cluster: N=1, P=1, L=1 (a new cluster's configuration; stored at first start).
      bootstrap: {
        quorum: { kind: 'counting', voters: [id], replication: 1, election: 1 },
        learners: [],
      },
      electionTimeoutTicks: 10,
      electionTimeoutJitterTicks: 1,
      heartbeatIntervalTicks: 2,
      batchCommandsMax: 64,
      batchBytesMax: 64 * 1024,
      inflightSlotsMax: 8,
      thrifty: false,
      random: { nextInt: () => 0 },
    },
    store.recovered,
  );
  return { store, kv, replica };
}

/** The host loop; returns the KV replies of the commands it applied. */
async function drive(node: Node): Promise<Uint8Array[]> {
  const replies: Uint8Array[] = [];
  while (node.replica.hasReady()) {
    const rd = node.replica.ready();
    // A real host sends rd.messages to its peers here (this cluster has none).
    if (rd.persist !== undefined) {
      // Only what the store hands back, once the write is durable, may be sent.
      const after = await node.store.persist({ request: rd.persist }, rd.messagesAfterPersist, {
        sync: rd.mustSync,
      });
      if (after.length > 0) throw new Error('a one-node cluster sends no replies');
    }
    const writes: StateWrite[] = [];
    let applied: Slot | undefined;
    for (const entry of rd.committed) {
      // A configuration entry (slot 1 holds the bootstrap one) is a no-op for the KV machine.
      const r = node.kv.applySlot(entry.slot, entry.value.kind === 'config' ? { kind: 'noop' } : entry.value);
      writes.push(...r.writes);
      replies.push(...r.replies);
      applied = entry.slot;
    }
    // The state machine's writes and its applied index: one atomic batch.
    if (applied !== undefined)
      await node.store.persist({ stateWrites: writes, applied }, undefined);
    node.replica.advance(rd);
  }
  return replies;
}

let node = await start();
while (node.replica.role !== 'leader') {
  node.replica.tick(); // a host ticks on a timer; the election timeout is 10 ticks here
  await drive(node);
}
node.replica.propose(encodeCommand(kvCommand(kvPut('greeting', 'hello'), 'client-1', 1)));
const [reply] = await drive(node);
const result = reply === undefined ? undefined : decodeResult(reply);
console.log(JSON.stringify(result?.ok === true ? result.value : result)); // {"type":"put","version":1,"revision":2}
console.log('fsynced writes:', node.store.stats().syncedWrites > 0); // fsynced writes: true
await node.store.close();

// Restart on the same directory: the promise, the log and the applied state are all there.
node = await start();
const { hardState, applied } = node.store.recovered;
console.log('recovered: promised round', hardState.promised.round, 'applied', applied); // recovered: promised round 1 applied 2
const stored = node.kv.read(kvGet('greeting'));
const greeting = stored.type === 'get' ? stored.kv?.value : undefined;
console.log('greeting =', greeting === undefined ? 'missing' : bytesToUtf8(greeting)); // greeting = hello
await node.store.close();

// A directory belongs to one cluster and node: anything else is refused.
try {
  await openStorage({ dir, clusterId: 'another-cluster', nodeId: 2 });
} catch (error) {
  if (error instanceof DataDirMismatchError) console.log(error.code); // DATA_DIR_MISMATCH
}
await rm(dir, { recursive: true, force: true });
