/**
 * CPU time of processes, read from Linux `/proc/PID/stat` (utime + stime, in clock ticks of
 * `getconf CLK_TCK`), and the CPU each acknowledged write cost.
 *
 * The benchmark starts every server and client in its own process group, so a group's CPU is
 * the sum over the processes whose `pgrp` is that group: a `flexpaxos node` under its `sh`
 * guard, a `nats-server`, an etcd member, a client process. A snapshot is taken at the start
 * and at the end of the measured window; per process id, the difference is the CPU it spent in
 * the window (a process born in the window counts from zero, one that died in it is lost).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** What `/proc/PID/stat` says about one process (the fields the benchmark uses). */
export interface ProcStat {
  readonly pid: number;
  /** The command name (field 2, without the parentheses). */
  readonly comm: string;
  /** Process group id (field 5). */
  readonly pgrp: number;
  /** CPU in user mode, clock ticks (field 14). */
  readonly utimeTicks: number;
  /** CPU in kernel mode, clock ticks (field 15). */
  readonly stimeTicks: number;
}

/** `/proc` cannot be read (not Linux) or holds something unexpected. */
export class ProcCpuError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'PROC_CPU_UNAVAILABLE' as const;
  override readonly name = 'ProcCpuError' as const;
}

/**
 * Parses one `/proc/PID/stat` line. The command name (field 2) may hold spaces and
 * parentheses, so the fields after it are found from the *last* `)`.
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new ProcCpuError(`not a /proc/PID/stat line: ${text}`);
  const pid = Number(text.slice(0, open).trim());
  // After ")": field 3 (state) is index 0, so field k is index k - 3.
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const field = (k: number): number => {
    const v = Number(rest[k - 3]);
    if (!Number.isSafeInteger(v)) throw new ProcCpuError(`field ${k} missing in: ${text}`);
    return v;
  };
  if (!Number.isSafeInteger(pid)) throw new ProcCpuError(`no pid in: ${text}`);
  return {
    pid,
    comm: text.slice(open + 1, close),
    pgrp: field(5),
    utimeTicks: field(14),
    stimeTicks: field(15),
  };
}

/** The stat of process `pid`, or undefined when it does not exist (any more). */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseProcStat(text);
}

let clockTicks: number | undefined;

/** Clock ticks per second of `/proc` CPU times (`getconf CLK_TCK`, 100 on Linux x86-64). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    let out: string;
    try {
      out = execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim();
    } catch (err) {
      throw new ProcCpuError('getconf CLK_TCK failed', { cause: err });
    }
    const v = Number(out);
    if (!Number.isSafeInteger(v) || v <= 0)
      throw new ProcCpuError(`getconf CLK_TCK printed ${JSON.stringify(out)}`);
    clockTicks = v;
  }
  return clockTicks;
}

/** Whether this machine has a readable `/proc` with CPU times (Linux). */
export function procCpuAvailable(): boolean {
  try {
    return readProcStat(process.pid) !== undefined && clockTicksPerSecond() > 0;
  } catch {
    return false;
  }
}

/** CPU ticks (utime + stime) of every live process in the given process groups, by group and pid. */
export type GroupTicks = ReadonlyMap<number, ReadonlyMap<number, number>>;

/** One pass over `/proc`: the CPU ticks of every process whose process group is in `pgids`. */
export function readGroupTicks(pgids: readonly number[]): GroupTicks {
  const wanted = new Set(pgids);
  const out = new Map<number, Map<number, number>>(pgids.map((g) => [g, new Map()]));
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch (err) {
    throw new ProcCpuError('cannot list /proc (CPU per write needs Linux)', { cause: err });
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const s = readProcStat(Number(e));
    if (s === undefined || !wanted.has(s.pgrp)) continue;
    out.get(s.pgrp)?.set(s.pid, s.utimeTicks + s.stimeTicks);
  }
  return out;
}

/** Ticks a group spent between two snapshots: per pid end - start (start 0 for a pid born since). */
export function groupDeltaTicks(start: GroupTicks, end: GroupTicks, pgid: number): number {
  const before = start.get(pgid) ?? new Map<number, number>();
  let sum = 0;
  for (const [pid, ticks] of end.get(pgid) ?? new Map<number, number>()) {
    sum += Math.max(0, ticks - (before.get(pid) ?? 0));
  }
  return sum;
}

/** The role of a measured process in a point. */
export type CpuRole = 'nodes' | 'broker' | 'clients';

/** A process (group) whose CPU a point measures. */
export interface CpuProcess {
  /** `node 1`, `nats`, `natskv 2`, `etcd 3`, `client 0`. */
  readonly name: string;
  readonly role: CpuRole;
  /** Its process group id. */
  readonly pgid: number;
}

/** CPU a process spent in the measured window. */
export interface ProcessCpu {
  readonly name: string;
  readonly role: CpuRole;
  readonly cpuMs: number;
}

/** A point's CPU over the measured window. */
export interface CpuSummary {
  /** CPU µs of every process involved per acknowledged write; null without writes. */
  readonly cpuUsPerWrite: number | null;
  /** The same split by role (broker 0 where the system has no separate broker); null without writes. */
  readonly cpuUsPerWriteByRole: Readonly<Record<CpuRole, number>> | null;
  /** CPU seconds of every process per second of window: how many cores they kept busy. */
  readonly cpuCoresBusy: number;
  /** Every process, in the order given. */
  readonly processes: readonly ProcessCpu[];
}

const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * The CPU of `processes` between two snapshots, per acknowledged write. `ticksPerS` is
 * `getconf CLK_TCK`; `windowS` the window the snapshots span; `writes` the writes acknowledged
 * in it.
 */
export function summarizeCpu(
  processes: readonly CpuProcess[],
  start: GroupTicks,
  end: GroupTicks,
  ticksPerS: number,
  windowS: number,
  writes: number,
): CpuSummary {
  if (!(ticksPerS > 0)) throw new RangeError(`ticksPerS must be positive (got ${ticksPerS})`);
  const usPerTick = 1e6 / ticksPerS;
  const byRoleUs: Record<CpuRole, number> = { nodes: 0, broker: 0, clients: 0 };
  const list: ProcessCpu[] = [];
  for (const p of processes) {
    const us = groupDeltaTicks(start, end, p.pgid) * usPerTick;
    byRoleUs[p.role] += us;
    list.push({ name: p.name, role: p.role, cpuMs: round(us / 1000, 1) });
  }
  const totalUs = byRoleUs.nodes + byRoleUs.broker + byRoleUs.clients;
  const per = (us: number): number => round(us / writes, 1);
  return {
    cpuUsPerWrite: writes > 0 ? per(totalUs) : null,
    cpuUsPerWriteByRole:
      writes > 0
        ? {
            nodes: per(byRoleUs.nodes),
            broker: per(byRoleUs.broker),
            clients: per(byRoleUs.clients),
          }
        : null,
    cpuCoresBusy: windowS > 0 ? round(totalUs / 1e6 / windowS, 2) : 0,
    processes: list,
  };
}
