import {
  KvStateMachine,
  decodeReply,
  encodeCommand,
  kvCas,
  kvCommand,
  kvCompare,
  kvGet,
  kvOpenSession,
  kvPut,
  kvRange,
  kvSessionCommand,
  kvTxn,
  sessionId,
} from '@flexpaxos/kv';
import type { KvCommand, KvReply } from '@flexpaxos/kv';

const kv = new KvStateMachine({ sessionsMax: 1000, sessionExpirySlots: 100_000 });

// The host applies chosen slots in order; here one command per slot.
function apply(slot: number, command: KvCommand): KvReply {
  const { reply, writes } = kv.apply(slot, encodeCommand(command));
  void writes; // persist these with applied index `slot`, in one atomic batch
  const d = decodeReply(reply);
  if (!d.ok) throw new Error(d.error);
  return d.value;
}

// Slot 1: a client registers its session through the log; the machine assigns the id.
const opened = apply(1, kvCommand(kvOpenSession()));
console.log(opened); // { type: 'open-session', sessionId: 1, revision: 1 }
const session = opened.type === 'open-session' ? opened.sessionId : undefined;
if (session === undefined) throw new Error('no session');

// Slot 2: its first command (seq 1) puts a key.
const put = kvSessionCommand(kvPut('user/1', 'ada'), session, 1);
console.log(apply(2, put)); // { type: 'put', version: 1, revision: 2 }

// The same command again (a client retry) returns the recorded reply and changes nothing.
console.log(kv.apply(3, encodeCommand(put)).writes.length); // 0

// An unknown session (evicted, expired, closed or never opened) changes nothing.
console.log(apply(4, kvSessionCommand(kvPut('user/1', 'eve'), sessionId(99), 1)).type); // error

// Compare-and-set on version: succeeds only if the key is at version 1.
console.log(apply(5, kvSessionCommand(kvCas('user/1', 1, 'grace'), session, 2))); // { type: 'cas', succeeded: true, version: 2, revision: 5 }

// A transaction: if user/2 is absent, create it and read user/1, atomically at one revision.
const txn = kvTxn(
  [kvCompare('version', 'user/2', '=', 0)],
  [kvPut('user/2', 'linus'), kvGet('user/1')],
  [kvGet('user/2')],
);
const t = apply(6, kvSessionCommand(txn, session, 3));
console.log(t.type === 'txn' && [t.succeeded, t.revision, t.results.map((r) => r.type)]); // [ true, 6, [ 'put', 'get' ] ]

// Local reads against applied state (lease reads on the leader, stale reads anywhere).
const range = kv.read(kvRange('user/', 10));
console.log(range.type === 'range' && range.kvs.map((e) => [e.version, e.createRevision])); // [ [ 2, 2 ], [ 1, 6 ] ]

// Identical state, identical bytes.
console.log(KvStateMachine.restore(kv.snapshot()).stateDigest() === kv.stateDigest()); // true
