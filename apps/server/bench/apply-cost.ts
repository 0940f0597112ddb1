/**
 * CPU per command of the apply path every node runs, standalone (no NATS, no Paxos): the KV
 * state machine applies slots of `batch` put commands (100-byte values, 64 sessions, keys like
 * `quick.ts`), and the store writes each slot's KV records and applied index as a lazy bundle
 * (no fsync), as `host-loop.ts` does. Prints process CPU (user + system) per command for the apply
 * alone and for apply + storage write, best of `rounds`.
 *
 *   pnpm exec tsx --conditions=source apps/server/bench/apply-cost.ts [slots=3000] [batch=32] [rounds=3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KvStateMachine, encodeCommand, kvCommand, kvPut } from '@flexpaxos/kv';
import { openStorage, toSlot } from '@flexpaxos/storage-rocksdb';

const slots = Number(process.argv[2] ?? 3000);
const batch = Number(process.argv[3] ?? 32);
const rounds = Number(process.argv[4] ?? 3);
const value = 'x'.repeat(100);
const clientId = '5f0c3a52-8d7e-4a43-9f3e-0b3c1f6e2d11';

/** The log: `slots` slots of `batch` commands, 64 sessions taking turns, built up front. */
function buildLog(): Uint8Array[][] {
  const seqs = new Array<number>(64).fill(0);
  const log: Uint8Array[][] = [];
  let n = 0;
  for (let s = 0; s < slots; s++) {
    const commands: Uint8Array[] = [];
    for (let i = 0; i < batch; i++, n++) {
      const w = n % 64;
      seqs[w] = (seqs[w] ?? 0) + 1;
      commands.push(
        encodeCommand(
          kvCommand(kvPut(`k/${w}/${n % 100}`, value), `${clientId}-${w + 1}`, seqs[w]),
        ),
      );
    }
    log.push(commands);
  }
  return log;
}

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

const log = buildLog();
const commands = slots * batch;
let bestApply = Infinity;
let bestBoth = Infinity;
for (let r = 0; r < rounds; r++) {
  // Apply alone.
  let kv = new KvStateMachine();
  let t0 = cpuUs();
  log.forEach((cmds, i) => kv.applySlot(i + 1, { kind: 'commands', commands: cmds }));
  bestApply = Math.min(bestApply, (cpuUs() - t0) / commands);

  // Apply and write, one lazy bundle per slot.
  const dir = mkdtempSync(join(tmpdir(), 'flexpaxos-apply-cost-'));
  const store = await openStorage({ dir, clusterId: 'bench', nodeId: 1 });
  try {
    kv = new KvStateMachine();
    t0 = cpuUs();
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < log.length; i++) {
      const res = kv.applySlot(i + 1, { kind: 'commands', commands: log[i] ?? [] });
      writes.push(
        store.persist({ stateWrites: res.writes, applied: toSlot(i + 1) }, undefined, {
          sync: false,
        }),
      );
      // Let the store's write rounds run now and then, as the event loop would.
      if (i % 8 === 7) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(writes);
    bestBoth = Math.min(bestBoth, (cpuUs() - t0) / commands);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(
  `${commands} commands in slots of ${batch}: apply ${bestApply.toFixed(2)} us/command, ` +
    `apply + lazy storage write ${bestBoth.toFixed(2)} us/command (best of ${rounds}; RocksDB background threads included)`,
);
