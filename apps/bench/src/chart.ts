/**
 * The `--chart` SVG: write throughput and p99 latency against P, one line per N, rendered by
 * Vega-Lite (compiled to a Vega spec and rendered headless with `View.toSVG()`: no browser,
 * no canvas). When a run has several variants (client counts, delays, thrifty), each variant
 * gets its own row of the two panels.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { BenchRecord } from './record.js';

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
    variant: variantLabel(r),
  }));
  const variants = [...new Set(values.map((v) => v.variant))];
  const maxP = Math.max(1, ...records.map((r) => r.replication));
  // Legend in numeric order (N=3, N=5, N=11), not string order.
  const nOrder = [...new Set(records.map((r) => r.nodes))]
    .sort((a, b) => a - b)
    .map((n) => `N=${n}`);
  const panel = (field: 'opsPerSec' | 'p99Ms', axisTitle: string) => ({
    width: 320,
    height: 220,
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: {
        field: 'P',
        type: 'quantitative' as const,
        title: 'P (replication quorum)',
        scale: { domain: [1, maxP] },
        axis: { tickMinStep: 1, format: 'd' },
      },
      y: { field, type: 'quantitative' as const, title: axisTitle },
      color: { field: 'N', type: 'nominal' as const, title: 'cluster size', sort: nOrder },
      tooltip: [{ field: 'N' }, { field: 'P' }, { field: 'L' }, { field }],
    },
  });
  const row = (variant: string) => ({
    transform: [{ filter: { field: 'variant', equal: variant } }],
    title: variants.length > 1 ? variant : undefined,
    hconcat: [panel('opsPerSec', 'operations / s'), panel('p99Ms', 'p99 latency (ms)')],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, subtitle: variants.length === 1 ? variants[0] : undefined },
    data: { values },
    vconcat: variants.map(row),
    config: { font: 'sans-serif', background: 'white' },
  } as TopLevelSpec;
}

/** Renders the chart of `records` as an SVG document. */
export async function renderChart(records: readonly BenchRecord[], title: string): Promise<string> {
  const compiled = vl.compile(chartSpec(records, title)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
