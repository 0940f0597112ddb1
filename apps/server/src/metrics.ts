/**
 * A minimal Prometheus text-format registry: counters, gauges and fixed-bucket histograms,
 * rendered on `/metrics`. No global registry: each node owns one.
 */

/** A cumulative histogram with fixed upper bounds (seconds). */
export class Histogram {
  readonly bounds: readonly number[];
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = bounds.map(() => 0);
  }
  /** Records one observation. */
  observe(value: number): void {
    this.sum += value;
    this.count++;
    for (let i = 0; i < this.bounds.length; i++) {
      if (value <= (this.bounds[i] ?? Infinity)) this.counts[i] = (this.counts[i] ?? 0) + 1;
    }
  }
}

/** Latency buckets in seconds, 0.5 ms to 2.5 s. */
export const LATENCY_BUCKETS_S = [
  0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
] as const;

/** One sample of the text format. */
export interface MetricSample {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly value: number;
}

/** A counter sample named `flexpaxos_<name>`. */
export function counter(name: string, help: string, value: number): MetricSample {
  return { name: `flexpaxos_${name}`, help, type: 'counter', value };
}

/** A gauge sample named `flexpaxos_<name>`. */
export function gauge(name: string, help: string, value: number): MetricSample {
  return { name: `flexpaxos_${name}`, help, type: 'gauge', value };
}

/** Renders samples and histograms in the Prometheus text exposition format (version 0.0.4). */
export function renderPrometheus(
  samples: readonly MetricSample[],
  histograms: readonly { readonly name: string; readonly help: string; readonly h: Histogram }[],
): string {
  const lines: string[] = [];
  for (const s of samples) {
    lines.push(`# HELP ${s.name} ${s.help}`, `# TYPE ${s.name} ${s.type}`, `${s.name} ${s.value}`);
  }
  for (const { name, help, h } of histograms) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    h.bounds.forEach((b, i) => lines.push(`${name}_bucket{le="${b}"} ${h.counts[i] ?? 0}`));
    lines.push(
      `${name}_bucket{le="+Inf"} ${h.count}`,
      `${name}_sum ${h.sum}`,
      `${name}_count ${h.count}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
