// The KV state machine on its own: apply encoded commands slot by slot, as a replica does, and
// read the applied state. Run from the repository root:
//   pnpm exec tsx --conditions=source packages/kv/examples/quick-start.ts
import {
  KvStateMachine,
  bytesToUtf8,
  decodeResult,
  encodeCommand,
  kvCas,
  kvCommand,
  kvGet,
  kvPut,
  kvRange,
  type KvResult,
} from '@flexpaxos/kv';

/** One line per result, with keys and values as text. */
function show(result: KvResult): string {
  return JSON.stringify(result, (_key, value: unknown) =>
    value instanceof Uint8Array ? bytesToUtf8(value) : value,
  );
}

const kv = new KvStateMachine({ sessionsMax: 1000, sessionExpirySlots: 100_000 });

// Slot 1: client "c1" (seq 1) puts a key. A durable host stores `writes` in the same atomic
// batch as the applied index 1.
const put = encodeCommand(kvCommand(kvPut('user/1', 'ada'), 'c1', 1));
const { reply, writes } = kv.apply(1, put);
const decoded = decodeResult(reply);
if (!decoded.ok) throw new Error(decoded.error);
console.log(show(decoded.value)); // {"type":"put","version":1,"revision":1}
console.log(writes.map((w) => w.space).join(' ')); // data sessions

// The same command again (a client's retry) returns the recorded reply and changes nothing.
const retry = kv.apply(2, put);
const sameReply = retry.reply.every((b, i) => b === reply[i]);
console.log(retry.writes.length, sameReply); // 0 true

// Compare-and-set on version: succeeds only while the key is at version 1.
const cas = (slot: number, seq: number, value: string): string => {
  const command = encodeCommand(kvCommand(kvCas('user/1', 1, value), 'c1', seq));
  const r = decodeResult(kv.apply(slot, command).reply);
  return r.ok ? show(r.value) : r.error;
};
console.log(cas(3, 2, 'grace')); // {"type":"cas","succeeded":true,"version":2,"revision":3}
console.log(cas(4, 3, 'edsger')); // {"type":"cas","succeeded":false,"version":2,"revision":3}

// Reads of the applied state (lease and stale reads on a node): no log, no session.
console.log(show(kv.read(kvGet('user/1')))); // {"type":"get","kv":{"key":"user/1","value":"grace","version":2,"revision":3}}
console.log(show(kv.read(kvRange('user/', 10)))); // {"type":"range","kvs":[{"key":"user/1","value":"grace","version":2,"revision":3}],"more":false}

// The same log gives the same bytes on every replica; a snapshot restores them exactly.
console.log(KvStateMachine.restore(kv.snapshot()).stateDigest() === kv.stateDigest()); // true
