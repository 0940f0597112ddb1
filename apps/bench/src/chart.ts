/**
 * The `--chart` SVG: throughput and p99 latency against P (and failover time against L when
 * measured), one line per N, rendered by Vega-Lite (compiled to a Vega spec and rendered
 * headless with `View.toSVG()`: no browser, no canvas). When a run has several variants
 * (client counts, delays, thrifty, reads), each variant gets its own row of panels.
 *
 * A run with `--compare` gets the comparison chart instead: writes/s, write p99 and CPU per
 * write against the client count, one line per system (and N, P for FlexPaxos).
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { BenchRecord } from './record.js';
import { systemName } from './system.js';

/** 1..n, the integer ticks of a quorum-size axis. */
function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/** The label of a record's variant (everything but N, P, L). */
export function variantLabel(r: BenchRecord): string {
  return `${r.clients} clients, delay ${r.delays}${r.thrifty ? ', thrifty' : ''}${r.readRatio > 0 ? `, ${Math.round(r.readRatio * 100)}% ${r.readMode} reads` : ''}`;
}

/** The Vega-Lite spec of the chart (exported for tests). */
export function chartSpec(records: readonly BenchRecord[], title: string): TopLevelSpec {
  const values = records.map((r) => ({
    N: `N=${r.nodes}`,
    P: r.replication,
    L: r.election,
    opsPerSec: r.opsPerSec,
    p99Ms: r.p99Ms,
    failoverMs: r.failoverMs,
    variant: variantLabel(r),
  }));
  const variants = [...new Set(values.map((v) => v.variant))];
  const maxP = Math.max(1, ...records.map((r) => r.replication));
  // Legend in numeric order (N=3, N=5, N=11), not string order.
  const nOrder = [...new Set(records.map((r) => r.nodes))]
    .sort((a, b) => a - b)
    .map((n) => `N=${n}`);
  const maxL = Math.max(1, ...records.map((r) => r.election));
  const panel = (field: 'opsPerSec' | 'p99Ms' | 'failoverMs', axisTitle: string, x: 'P' | 'L') => ({
    width: 320,
    height: 220,
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: {
        field: x,
        type: 'quantitative' as const,
        title: x === 'P' ? 'P (replication quorum)' : 'L (election quorum)',
        scale: { domain: [1, x === 'P' ? maxP : maxL] },
        axis: { values: range(x === 'P' ? maxP : maxL), format: 'd' },
      },
      y: { field, type: 'quantitative' as const, title: axisTitle },
      color: { field: 'N', type: 'nominal' as const, title: 'cluster size', sort: nOrder },
      tooltip: [{ field: 'N' }, { field: 'P' }, { field: 'L' }, { field }],
    },
  });
  const withFailover = records.some((r) => r.failoverMs !== null);
  const row = (variant: string) => ({
    transform: [{ filter: { field: 'variant', equal: variant } }],
    title: variants.length > 1 ? variant : undefined,
    hconcat: [
      panel('opsPerSec', 'operations / s', 'P'),
      panel('p99Ms', 'p99 latency (ms)', 'P'),
      // Failover (kill -9 of the leader to the next acknowledged write) depends on L.
      ...(withFailover ? [panel('failoverMs', 'failover (ms)', 'L')] : []),
    ],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, subtitle: variants.length === 1 ? variants[0] : undefined },
    data: { values },
    vconcat: variants.map(row),
    config: { font: 'sans-serif', background: 'white' },
  } as TopLevelSpec;
}

/** The line a record belongs to in the comparison chart: `FlexPaxos N=3 P=2`, `NATS KV N=3`, `etcd N=3`. */
export function seriesLabel(r: BenchRecord): string {
  if (r.system !== 'flexpaxos') return `${systemName(r.system)} N=${r.nodes}`;
  return `${systemName(r.system)} N=${r.nodes} P=${r.replication}${r.election === r.nodes - r.replication + 1 ? '' : ` L=${r.election}`}${r.delays === 'none' ? '' : ` delay ${r.delays}`}${r.thrifty ? ' thrifty' : ''}`;
}

/** The Vega-Lite spec of the comparison chart (runs with more than one system). */
export function compareChartSpec(records: readonly BenchRecord[], title: string): TopLevelSpec {
  const values = records.map((r) => ({
    series: seriesLabel(r),
    clients: r.clients,
    writeOpsPerSec: r.writeOpsPerSec,
    writeP99Ms: r.writeP99Ms,
    cpuUsPerWrite: r.cpuUsPerWrite,
  }));
  const series = [...new Set(values.map((v) => v.series))];
  const clients = [...new Set(records.map((r) => r.clients))].sort((a, b) => a - b);
  const panel = (field: 'writeOpsPerSec' | 'writeP99Ms' | 'cpuUsPerWrite', axisTitle: string) => ({
    width: 300,
    height: 220,
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: {
        field: 'clients',
        type: 'ordinal' as const,
        title: 'closed-loop clients',
        sort: clients,
      },
      y: { field, type: 'quantitative' as const, title: axisTitle },
      color: { field: 'series', type: 'nominal' as const, title: 'system', sort: series },
      tooltip: [{ field: 'series' }, { field: 'clients' }, { field }],
    },
  });
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title },
    data: { values },
    hconcat: [
      panel('writeOpsPerSec', 'writes / s'),
      panel('writeP99Ms', 'write p99 latency (ms)'),
      panel('cpuUsPerWrite', 'CPU µs per write (all processes)'),
    ],
    config: { font: 'sans-serif', background: 'white' },
  };
  return spec;
}

/** Renders the chart of `records` as an SVG document (the comparison chart when several systems ran). */
export async function renderChart(records: readonly BenchRecord[], title: string): Promise<string> {
  const several = new Set(records.map((r) => r.system)).size > 1;
  const spec = several ? compareChartSpec(records, title) : chartSpec(records, title);
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
