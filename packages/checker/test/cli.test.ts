import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** Porcupine's test histories, vendored (see `data/porcupine/README.md`). */
const DATA = fileURLToPath(new URL('./data/porcupine', import.meta.url));

/** Runs the CLI the way `pnpm check-history` does (tsx on the source). */
function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'packages/checker/src/cli.ts', ...args],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('check-history CLI', () => {
  it('prints linearizable per file and exits 0 when all are', () => {
    const a = join(DATA, 'jepsen/etcd_018.log');
    const b = join(DATA, 'jepsen/etcd_005.log');
    const r = cli('--format', 'jepsen-register', a, b);
    expect(r.stdout).toBe(`${a}: linearizable\n${b}: linearizable\n`);
    expect(r.status).toBe(0);
  });

  it('exits 1 when any file is not linearizable', () => {
    const ok = join(DATA, 'kv/c10-ok.txt');
    const bad = join(DATA, 'kv/c10-bad.txt');
    const r = cli('--format', 'porcupine-kv', ok, bad);
    expect(r.stdout).toBe(`${ok}: linearizable\n${bad}: not linearizable\n`);
    expect(r.status).toBe(1);
  });

  it('exits 2 with unknown when the time budget runs out', () => {
    const f = join(DATA, 'kv/c50-ok.txt');
    const r = cli('--format', 'porcupine-kv', '--time-budget-ms', '0', f);
    expect(r.stdout).toMatch(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: unknown`));
    expect(r.status).toBe(2);
  });

  it('exits 2 on unreadable or unparsable input', () => {
    const dir = mkdtempSync(join(tmpdir(), 'check-history-'));
    const garbage = join(dir, 'garbage.txt');
    writeFileSync(garbage, 'this is not a history\n');
    const missing = join(dir, 'missing.txt');
    const r = cli('--format', 'porcupine-kv', garbage, missing);
    expect(r.stdout).toContain(`${garbage}: unknown (cannot parse`);
    expect(r.stdout).toContain(`${missing}: unknown (cannot read`);
    expect(r.status).toBe(2);
  });

  it('exits 2 with usage on a bad format', () => {
    const r = cli('--format', 'nope', 'x');
    expect(r.stderr).toMatch(/usage/);
    expect(r.status).toBe(2);
  });

  it('checks FlexPaxos KV histories stored as JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'check-history-'));
    const f = join(dir, 'flex.json');
    writeFileSync(
      f,
      JSON.stringify([
        {
          clientId: 1,
          input: { type: 'put', key: 'k', value: 'v' },
          call: 0,
          output: { type: 'put', version: 1, revision: 1 },
          return: 1,
        },
        {
          clientId: 2,
          input: { type: 'get', key: 'k' },
          call: 2,
          output: { type: 'get', kv: null },
          return: 3,
        },
      ]),
    );
    const r = cli('--format', 'flexpaxos-kv', f);
    expect(r.stdout).toBe(`${f}: not linearizable\n`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
  });
});
