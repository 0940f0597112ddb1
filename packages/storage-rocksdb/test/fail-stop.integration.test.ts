import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { openStorage } from '../src/index.js';
import { readRecord } from '../src/testing.js';
import { bundleFixture, startChild } from './child-process.js';
import { cleanupTempDirs, tempDir } from './helpers.js';

let bundle: string;
beforeAll(async () => {
  bundle = await bundleFixture('fill-writer');
});
afterAll(async () => {
  await rm(bundle, { force: true });
  await cleanupTempDirs();
});

interface Report {
  kind: string;
  n?: number;
  name?: string;
  code?: string;
  message?: string;
  sameError?: boolean;
  compactSameError?: boolean;
  failureKept?: boolean;
}

describe('RocksStore fail-stop', () => {
  it('turns a real write failure (file-size limit reached) into DiskFullError and rejects everything after it', async () => {
    const dir = await tempDir();
    const child = startChild(bundle, [dir]);
    await child.waitFor(/"ready"/);
    const pid = child.process.pid;
    expect(pid).toBeDefined();
    // Lower the child's RLIMIT_FSIZE: appends beyond 64 KiB now fail with EFBIG.
    execFileSync('prlimit', [`--pid=${pid}`, '--fsize=65536']);
    child.process.stdin?.write('go\n');
    await child.exited;
    const reports = child.lines.map((l) => JSON.parse(l) as Report);
    const error = reports.find((r) => r.kind === 'error');
    expect(error, JSON.stringify(reports.slice(-3))).toBeDefined();
    expect(error?.name).toBe('DiskFullError');
    expect(error?.code).toBe('STORAGE_DISK_FULL');
    expect(error?.message).toMatch(
      /synced write of 1 bundle\(s\) to .* failed: .*File too large.*free space, then restart/,
    );
    expect(reports.find((r) => r.kind === 'later')).toEqual({
      kind: 'later',
      sameError: true,
      compactSameError: true,
      failureKept: true,
    });

    // Once the limit is gone (the child exited), the directory opens and holds every ack.
    const acked = reports.filter((r) => r.kind === 'ack').map((r) => r.n ?? 0);
    const store = await openStorage({ dir, clusterId: 'fill', nodeId: 1 });
    try {
      expect(store.recovered.applied).toBeGreaterThanOrEqual(Math.max(0, ...acked));
      for (const n of acked)
        expect(await readRecord(store, 'data', new TextEncoder().encode(`k${n}`))).toBeDefined();
    } finally {
      await store.close();
    }
  });
});
