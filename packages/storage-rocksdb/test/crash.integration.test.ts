import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStorage } from '../src/index.js';
import { bundleFixture, prng, startChild } from './child-process.js';
import { cleanupTempDirs, tempDir, text } from './helpers.js';

let bundle: string;
beforeAll(async () => {
  bundle = await bundleFixture('crash-writer');
});
afterAll(async () => {
  await rm(bundle, { force: true });
  await cleanupTempDirs();
});

/**
 * Runs `kills` crash cycles against one data directory: start the writer child, SIGKILL it at
 * a random moment (sometimes while it is still opening and recovering), reopen the store and
 * check every acknowledged bundle is there and the promised ballot never went back.
 */
async function crashCycles(
  kills: number,
  writers: number,
  seed: number,
): Promise<{ acked: number; maxRound: number }> {
  const random = prng(seed);
  const where = `(seed ${seed}; replay with CRASH_SEED=${seed})`;
  const dir = await tempDir();
  const acked = new Set<number>();
  let lastRecoveredRound = 0;
  for (let cycle = 0; cycle < kills; cycle++) {
    const child = startChild(bundle, [dir, String(writers)]);
    if (random() < 0.15) {
      // Kill during start-up: open, identity check, recovery.
      await sleep(Math.floor(random() * 60));
    } else {
      await child.waitFor(/^ready /);
      await sleep(Math.floor(random() * 40));
    }
    child.process.kill('SIGKILL');
    await child.exited;
    for (const line of child.lines) {
      const m = /^ack (\d+)$/.exec(line);
      if (m?.[1] !== undefined) acked.add(Number(m[1]));
    }

    const store = await openStorage({ dir, clusterId: 'crash', nodeId: 1 });
    try {
      const { hardState, entries, applied } = store.recovered;
      const maxAcked = Math.max(0, ...acked);
      expect(
        hardState.promised.round,
        `promised went back below an ack ${where}`,
      ).toBeGreaterThanOrEqual(maxAcked);
      expect(
        hardState.promised.round,
        `promised went back across restarts ${where}`,
      ).toBeGreaterThanOrEqual(lastRecoveredRound);
      lastRecoveredRound = hardState.promised.round;
      expect(applied, `applied index lost ${where}`).toBeGreaterThanOrEqual(maxAcked);
      const bySlot = new Map(entries.map((e) => [e.slot as number, e]));
      const data = new Map<string, string | undefined>();
      for await (const r of store.records('data')) data.set(text(r.key) ?? '', text(r.value));
      for (const n of acked) {
        const e = bySlot.get(n);
        expect(e, `acked entry ${n} lost ${where}`).toBeDefined();
        expect(e?.value.kind === 'commands' ? text(e.value.commands[0]) : undefined).toBe(`v${n}`);
        expect(data.get(`w${n}`), `acked KV write ${n} lost ${where}`).toBe(String(n));
      }
      // Atomicity: whatever is applied has its KV write and its entry, acked or not.
      for (let n = 1; n <= applied; n++) {
        expect(data.get(`w${n}`), `applied ${applied} but KV write ${n} missing ${where}`).toBe(
          String(n),
        );
      }
    } finally {
      await store.close();
    }
  }
  return { acked: acked.size, maxRound: lastRecoveredRound };
}

describe('RocksStore crash recovery', () => {
  const baseSeed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);

  it('keeps every acknowledged bundle across 30 SIGKILLs with 4 writers', async () => {
    const result = await crashCycles(30, 4, baseSeed);
    // The checks above only mean something if the child acknowledged writes before dying.
    expect(result.acked).toBeGreaterThan(0);
  }, 180_000);

  it('keeps every acknowledged bundle across 25 SIGKILLs with 64 writers', async () => {
    const result = await crashCycles(25, 64, baseSeed + 1);
    expect(result.acked).toBeGreaterThan(0);
  }, 180_000);
});
