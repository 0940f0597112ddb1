import {
  KvStateMachine,
  Lessor,
  WatchHub,
  bytesToUtf8,
  decodeReply,
  encodeCommand,
  kvCommand,
  kvLeaseGrant,
  kvLeaseTtl,
  kvPut,
  toBytes,
} from '@flexpaxos/kv';
import type { KvCommandOp, KvReply } from '@flexpaxos/kv';

const kv = new KvStateMachine();
const lessor = new Lessor(); // runs on the leader; every call takes the host's monotonic clock
const hub = new WatchHub(kv.applied); // any node; fed every applied slot
let nowMs = 0;

// The host loop for one slot: apply, feed the lessor and the watch hub.
function applySlot(op: KvCommandOp): KvReply {
  const slot = kv.applied + 1;
  const r = kv.applySlot(slot, { kind: 'commands', commands: [encodeCommand(kvCommand(op))] });
  lessor.observe(r.leaseChanges, nowMs, () => kv.leases());
  hub.publish(slot, r.events);
  const d = decodeReply(r.replies[0] ?? new Uint8Array(0));
  if (!d.ok) throw new Error(d.error);
  return d.value;
}

// A new leader proposes a lessor epoch and starts its lessor once it sees the epoch applied.
applySlot(lessor.campaign(toBytes('node-1/ballot-1.1')));
console.log(lessor.role, lessor.epoch); // leader 1

// Grant a 2 s lease and attach a key to it; watch the key's prefix from now on.
const grant = applySlot(kvLeaseGrant(2000));
const lease = grant.type === 'lease-grant' ? grant.lease : undefined;
if (lease === undefined) throw new Error('no lease');
const watch = hub.watch({ key: toBytes('locks/'), prefix: true });
if (watch.kind !== 'created') throw new Error(watch.kind);
applySlot(kvPut('locks/a', 'owner-1', lease));
const ttl = kv.read(kvLeaseTtl(lease, true));
console.log(ttl.type === 'lease-ttl' && [ttl.ttlMs, ttl.keys.map(bytesToUtf8)]); // [ 2000, [ 'locks/a' ] ]

// Keep-alives are answered by the leader's lessor alone (never through the log).
nowMs = 1500;
console.log(lessor.keepalive(lease, nowMs)); // { kind: 'renewed', lease: 1, ttlMs: 2000 }
console.log(lessor.nextWakeMs()); // 2000: may be early (the lessor checks again), never late

// The client stops. At the deadline the lessor hands out the revocation; the host proposes it.
nowMs = 3499;
console.log(lessor.expire(nowMs)); // []
nowMs = 3500;
const [revoke] = lessor.expire(nowMs);
console.log(revoke); // { type: 'lease-revoke', lease: 1, reason: 'expired', epoch: 1 }
if (revoke !== undefined) console.log(applySlot(revoke)); // { type: 'lease-revoke', revoked: true, deleted: 1, revision: 4 }

// The watcher saw the put and the delete, one batch per revision, in order.
for (const out of hub.take(watch.watchId)) {
  if (out.kind === 'events')
    console.log(
      out.revision,
      out.events.map((e) => `${e.type} ${bytesToUtf8(e.kv.key)}`),
    ); // 3 [ 'put locks/a' ], then 4 [ 'delete locks/a' ]
}
