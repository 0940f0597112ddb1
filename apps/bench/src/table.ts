/**
 * The summary table printed at the end of a run (and usable in READMEs: it is Markdown).
 */
import type { BenchRecord } from './record.js';
import { systemName } from './system.js';

function fmt(v: number | null, digits = 1): string {
  return v === null ? '-' : v.toFixed(digits);
}

function int(v: number | null): string {
  return v === null ? '-' : Math.round(v).toLocaleString('en-US');
}

/** One column: its heading, whether it is right-aligned, and its cell per record. */
interface Column {
  readonly head: string;
  readonly numeric: boolean;
  readonly cell: (r: BenchRecord) => string;
}

/**
 * A Markdown table with one row per record: [system,] N, P, L, clients, [client processes,]
 * delay, [thrifty,] ops/s, p50, p99, p999, errors; read columns when any record has reads, the
 * leader under emulated delays, failover when any record measured it; then the busiest client
 * process's CPU, the CPU of every process per acknowledged write (µs) and the cores they kept
 * busy. The system column appears when a comparison system is in the records, the client
 * processes column when they differ or are not 1.
 */
export function formatTable(records: readonly BenchRecord[]): string {
  const reads = records.some((r) => r.readOpsPerSec !== null);
  const failover = records.some((r) => r.failoverMs !== null);
  const thrifty = records.some((r) => r.thrifty);
  const systems = records.some((r) => r.system !== 'flexpaxos');
  const procs = records.some((r) => r.clientProcesses !== 1);
  // Under emulated delays where the leader sits matters: show it.
  const leader = records.some((r) => r.delays !== 'none');
  const columns: Column[] = [
    ...(systems
      ? [{ head: 'system', numeric: false, cell: (r: BenchRecord) => systemName(r.system) }]
      : []),
    { head: 'N', numeric: true, cell: (r) => String(r.nodes) },
    { head: 'P', numeric: true, cell: (r) => String(r.replication) },
    { head: 'L', numeric: true, cell: (r) => String(r.election) },
    { head: 'clients', numeric: true, cell: (r) => String(r.clients) },
    ...(procs
      ? [
          {
            head: 'client procs',
            numeric: true,
            cell: (r: BenchRecord) => String(r.clientProcesses),
          },
        ]
      : []),
    { head: 'delay', numeric: false, cell: (r) => r.delays },
    ...(thrifty
      ? [{ head: 'thrifty', numeric: false, cell: (r: BenchRecord) => (r.thrifty ? 'yes' : 'no') }]
      : []),
    { head: 'ops/s', numeric: true, cell: (r) => int(r.opsPerSec) },
    { head: 'p50 ms', numeric: true, cell: (r) => fmt(r.p50Ms, 2) },
    { head: 'p99 ms', numeric: true, cell: (r) => fmt(r.p99Ms, 2) },
    { head: 'p999 ms', numeric: true, cell: (r) => fmt(r.p999Ms, 2) },
    { head: 'errors', numeric: true, cell: (r) => String(r.errors) },
    ...(reads
      ? [
          { head: 'writes/s', numeric: true, cell: (r: BenchRecord) => int(r.writeOpsPerSec) },
          { head: 'reads/s', numeric: true, cell: (r: BenchRecord) => int(r.readOpsPerSec) },
          { head: 'read p99 ms', numeric: true, cell: (r: BenchRecord) => fmt(r.readP99Ms, 2) },
        ]
      : []),
    ...(leader
      ? [
          {
            head: 'leader',
            numeric: true,
            cell: (r: BenchRecord) => (r.leader === null ? '-' : String(r.leader)),
          },
        ]
      : []),
    ...(failover
      ? [
          {
            head: 'failover ms',
            numeric: true,
            cell: (r: BenchRecord) => (r.failoverMs === null ? '-' : String(r.failoverMs)),
          },
        ]
      : []),
    { head: 'client cpu %', numeric: true, cell: (r) => String(r.clientCpuMaxPct) },
    { head: 'cpu µs/write', numeric: true, cell: (r) => int(r.cpuUsPerWrite) },
    { head: 'cores busy', numeric: true, cell: (r) => fmt(r.cpuCoresBusy, 2) },
  ];
  const head = columns.map((c) => c.head);
  const rows = records.map((r) => columns.map((c) => c.cell(r)));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = columns.map((c) => c.numeric);
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const sep = `| ${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(Math.max(3, w) - 1)}:` : '-'.repeat(Math.max(3, w)))).join(' | ')} |`;
  return [line(head), sep, ...rows.map(line)].join('\n');
}
