/**
 * The summary table printed at the end of a run (and usable in READMEs: it is Markdown).
 */
import type { BenchRecord } from './record.js';

function fmt(v: number | null, digits = 1): string {
  return v === null ? '-' : v.toFixed(digits);
}

/**
 * A Markdown table with one row per record: N, P, L, clients, delays, thrifty, ops/s, p50,
 * p99, p999, errors; read columns when any record has reads, a failover column when any record
 * measured failover.
 */
export function formatTable(records: readonly BenchRecord[]): string {
  const reads = records.some((r) => r.readOpsPerSec !== null);
  const failover = records.some((r) => r.failoverMs !== null);
  const thrifty = records.some((r) => r.thrifty);
  const head = [
    'N',
    'P',
    'L',
    'clients',
    'delay',
    ...(thrifty ? ['thrifty'] : []),
    'ops/s',
    'p50 ms',
    'p99 ms',
    'p999 ms',
    'errors',
  ];
  if (reads) head.push('writes/s', 'reads/s', 'read p99 ms');
  // Under emulated delays where the leader sits matters: show it.
  const leader = records.some((r) => r.delays !== 'none');
  if (leader) head.push('leader');
  if (failover) head.push('failover ms');
  head.push('client cpu %');
  const rows = records.map((r) => {
    const row = [
      String(r.nodes),
      String(r.replication),
      String(r.election),
      String(r.clients),
      r.delays,
      ...(thrifty ? [r.thrifty ? 'yes' : 'no'] : []),
      Math.round(r.opsPerSec).toLocaleString('en-US'),
      fmt(r.p50Ms, 2),
      fmt(r.p99Ms, 2),
      fmt(r.p999Ms, 2),
      String(r.errors),
    ];
    if (reads)
      row.push(
        Math.round(r.writeOpsPerSec).toLocaleString('en-US'),
        r.readOpsPerSec === null ? '-' : Math.round(r.readOpsPerSec).toLocaleString('en-US'),
        fmt(r.readP99Ms, 2),
      );
    if (leader) row.push(r.leader === null ? '-' : String(r.leader));
    if (failover) row.push(r.failoverMs === null ? '-' : String(r.failoverMs));
    row.push(String(r.clientCpuMaxPct));
    return row;
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = head.map((_, i) => i !== 4 && !(thrifty && i === 5));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const sep = `| ${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(Math.max(3, w) - 1)}:` : '-'.repeat(Math.max(3, w)))).join(' | ')} |`;
  return [line(head), sep, ...rows.map(line)].join('\n');
}
