import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { NatsServerNotFoundError, findNatsServer, startNatsServer } from '../src/testing.js';

/** Whether `pid` runs (a zombie, killed but not reaped by PID 1 of a container, does not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** Pids of the live (not zombie) processes of process group `pgid`. */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('findNatsServer', () => {
  it('says how to install nats-server when it is missing', () => {
    expect(() => findNatsServer({ bin: undefined, dirs: ['/nonexistent'] })).toThrow(
      NatsServerNotFoundError,
    );
    expect(() => findNatsServer({ bin: undefined, dirs: [] })).toThrow(
      /apt-get install -y nats-server/,
    );
  });

  it('finds the installed binary', () => {
    expect(findNatsServer()).toMatch(/nats-server$/);
  });
});

describe('startNatsServer', () => {
  it('accepts connections, restarts on the same port and stops', async () => {
    const nats = await startNatsServer({ maxPayloadBytes: 2048 });
    const pid = nats.pid!;
    const nc = await connect({ servers: nats.url });
    expect(nc.info?.max_payload).toBe(2048);
    await nc.close();
    await nats.restart();
    expect(nats.pid).not.toBe(pid);
    expect(alive(pid)).toBe(false);
    const again = await connect({ servers: nats.url });
    await again.close();
    await nats.stop();
    expect(nats.running).toBe(false);
    await expect(nats.restart()).rejects.toThrow(/after stop/);
  });

  it('kills its servers when the process that started them exits or crashes', () => {
    const script = fileURLToPath(new URL('./fixtures/leaky-process.ts', import.meta.url));
    for (const mode of ['exit', 'crash']) {
      const run = spawnSync(process.execPath, ['--import', 'tsx', script, mode], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      const pid = Number(run.stdout.trim());
      expect(pid).toBeGreaterThan(0);
      expect(alive(pid)).toBe(false);
    }
  });

  it('kills a server started under the watchdog when its starter is killed -9', async () => {
    const script = fileURLToPath(new URL('./fixtures/leaky-process.ts', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', 'tsx', script, 'kill9'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.signal).toBe('SIGKILL');
    // The watchdog shell leads the server's process group.
    const pgid = Number(run.stdout.trim());
    expect(pgid).toBeGreaterThan(0);
    for (let i = 0; i < 100 && groupMembers(pgid).length > 0; i++) await sleep(50);
    expect(groupMembers(pgid)).toEqual([]);
  });

  it('stops gracefully under the watchdog and restarts on the same port', async () => {
    const nats = await startNatsServer({ watchdog: true });
    const pgid = nats.pid!;
    expect(groupMembers(pgid).length).toBeGreaterThanOrEqual(2); // the shell and the server
    await nats.restart(); // SIGTERM, forwarded: the shell exits after the server
    expect(groupMembers(pgid)).toEqual([]);
    const nc = await connect({ servers: nats.url });
    await nc.close();
    const again = nats.pid!;
    await nats.stop({ kill: true });
    expect(groupMembers(again)).toEqual([]);
  });
});
