import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import {
  clockTicksPerSecond,
  groupDeltaTicks,
  parseProcStat,
  readGroupTicks,
  readProcStat,
  summarizeCpu,
} from '../src/index.js';
import type { CpuProcess, GroupTicks } from '../src/index.js';

const started: ChildProcess[] = [];

/** Starts `command args` in its own process group (like the benchmark's children); killed after each test. */
function startGroup(command: string, args: readonly string[]): number {
  const c = spawn(command, [...args], { detached: true, stdio: 'ignore' });
  started.push(c);
  if (c.pid === undefined) throw new Error(`${command}: spawn failed`);
  return c.pid;
}

afterEach(() => {
  for (const c of started.splice(0)) {
    try {
      if (c.pid !== undefined) process.kill(-c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const BUSY = ['-e', 'for (;;) {}'];

describe('parseProcStat', () => {
  it('reads pgrp, utime and stime after the last parenthesis of the command name', () => {
    // Fields: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    const s = parseProcStat(
      '4242 (my (odd) proc) R 1 4240 4240 0 -1 4194304 120 0 0 0 250 37 0 0 20 0 3 0 100 0 0\n',
    );
    expect(s).toEqual({
      pid: 4242,
      comm: 'my (odd) proc',
      pgrp: 4240,
      utimeTicks: 250,
      stimeTicks: 37,
    });
  });

  it('refuses a line that is not a stat line', () => {
    expect(() => parseProcStat('hello')).toThrow(/not a \/proc\/PID\/stat line/);
    expect(() => parseProcStat('12 (x) R 1 2')).toThrow(/field 5|field 14/);
  });
});

describe('readProcStat and readGroupTicks', () => {
  it('reads this process, and nothing for a pid that does not exist', () => {
    const me = readProcStat(process.pid);
    expect(me?.pid).toBe(process.pid);
    expect(me?.utimeTicks).toBeGreaterThanOrEqual(0);
    expect(readProcStat(2 ** 22 + 12_345)).toBeUndefined();
    expect(clockTicksPerSecond()).toBeGreaterThan(0);
    expect(Number.isInteger(clockTicksPerSecond())).toBe(true);
  });

  it('sees the CPU of a busy-looping group grow and an idle one stay flat', async () => {
    // The busy loop runs as a child of sh, as a node runs under the benchmark's guard: the
    // group's CPU must include it although the group leader itself is idle.
    const busy = startGroup('sh', ['-c', `"${process.execPath}" -e 'for (;;) {}' & wait`]);
    const idle = startGroup('sleep', ['30']);
    const direct = startGroup(process.execPath, BUSY);
    await sleep(100);
    const start: GroupTicks = readGroupTicks([busy, idle, direct]);
    expect(start.get(busy)?.size).toBe(2); // sh and node
    expect(start.get(idle)?.size).toBe(1);
    const tick = clockTicksPerSecond();
    // Wait until each busy group has used 0.3 s of CPU (a shared machine may give it less than a core).
    let end = start;
    const deadline = performance.now() + 10_000;
    while (performance.now() < deadline) {
      await sleep(100);
      end = readGroupTicks([busy, idle, direct]);
      if (
        groupDeltaTicks(start, end, busy) >= 0.3 * tick &&
        groupDeltaTicks(start, end, direct) >= 0.3 * tick
      )
        break;
    }
    expect(groupDeltaTicks(start, end, busy)).toBeGreaterThanOrEqual(0.3 * tick);
    expect(groupDeltaTicks(start, end, direct)).toBeGreaterThanOrEqual(0.3 * tick);
    expect(groupDeltaTicks(start, end, idle)).toBeLessThanOrEqual(2);
  }, 20_000);
});

describe('summarizeCpu', () => {
  const procs: CpuProcess[] = [
    { name: 'node 1', role: 'nodes', pgid: 10 },
    { name: 'node 2', role: 'nodes', pgid: 20 },
    { name: 'nats', role: 'broker', pgid: 30 },
    { name: 'client 0', role: 'clients', pgid: 40 },
  ];
  const ticks = (entries: Record<number, Record<number, number>>): GroupTicks =>
    new Map(
      Object.entries(entries).map(([g, pids]) => [
        Number(g),
        new Map(Object.entries(pids).map(([p, t]) => [Number(p), t])),
      ]),
    );

  it('divides the CPU of every process by the acknowledged writes, per role and in total', () => {
    const start = ticks({ 10: { 10: 5, 11: 100 }, 20: { 21: 40 }, 30: { 30: 7 }, 40: { 40: 0 } });
    const end = ticks({
      10: { 10: 5, 11: 200 }, // the node under its idle guard: 100 ticks
      20: { 21: 90, 22: 10 }, // 50 ticks, and a process born in the window: 10 from zero
      30: { 30: 47 }, // 40 ticks
      40: { 40: 60 }, // 60 ticks
    });
    // 100 ticks/s: 260 ticks = 2.6 s = 2 600 000 µs over 10 000 writes in a 2 s window.
    const s = summarizeCpu(procs, start, end, 100, 2, 10_000);
    expect(s.cpuUsPerWrite).toBe(260);
    expect(s.cpuUsPerWriteByRole).toEqual({ nodes: 160, broker: 40, clients: 60 });
    expect(s.cpuCoresBusy).toBe(1.3);
    expect(s.processes).toEqual([
      { name: 'node 1', role: 'nodes', cpuMs: 1000 },
      { name: 'node 2', role: 'nodes', cpuMs: 600 },
      { name: 'nats', role: 'broker', cpuMs: 400 },
      { name: 'client 0', role: 'clients', cpuMs: 600 },
    ]);
  });

  it('counts nothing for a process that died in the window and has no figure without writes', () => {
    const start = ticks({ 10: { 11: 100, 12: 50 } });
    const end = ticks({ 10: { 11: 130 } });
    const s = summarizeCpu([procs[0] as CpuProcess], start, end, 250, 1, 0);
    expect(s.processes).toEqual([{ name: 'node 1', role: 'nodes', cpuMs: 120 }]);
    expect(s.cpuUsPerWrite).toBeNull();
    expect(s.cpuUsPerWriteByRole).toBeNull();
    expect(s.cpuCoresBusy).toBe(0.12);
    expect(() => summarizeCpu(procs, start, end, 0, 1, 1)).toThrow(/ticksPerS/);
  });
});
