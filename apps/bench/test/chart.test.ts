import { describe, expect, it } from 'vitest';
import { renderChart } from '../src/index.js';
import { fakeRecord } from './fixtures.js';

/**
 * Line paths per panel: Vega draws each series of a line mark in its own container whose class
 * names the panel's mark (`mark-line role-mark concat_0_concat_1_..._marks`).
 */
function linePathsPerPanel(svg: string): number[] {
  const perPanel = new Map<string, number>();
  const re = /<g class="mark-line role-mark ([^"]*)"[^>]*>(.*?)<\/g>/gs;
  for (const m of svg.matchAll(re)) {
    const panel = m[1] ?? '';
    perPanel.set(panel, (perPanel.get(panel) ?? 0) + (m[2]?.match(/<path/g) ?? []).length);
  }
  return [...perPanel.values()];
}

describe('renderChart', () => {
  it('draws throughput and p99 panels with one line per N', async () => {
    const records = [
      ...[1, 2, 3].map((p) => fakeRecord(3, p, 3000 - p * 300, 10 + p)),
      ...[1, 2, 3, 4, 5].map((p) => fakeRecord(5, p, 2500 - p * 200, 12 + p)),
      ...[1, 2, 3, 4, 5, 6, 7].map((p) => fakeRecord(7, p, 2000 - p * 100, 15 + p)),
    ];
    const svg = await renderChart(records, 'test chart');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(linePathsPerPanel(svg)).toEqual([3, 3]);
    for (const label of [
      'N=3',
      'N=5',
      'N=7',
      'test chart',
      'P (replication quorum)',
      'p99 latency (ms)',
    ]) {
      expect(svg).toContain(label);
    }
  });

  it('adds a failover panel against L when failover was measured', async () => {
    const records = [1, 2, 3].map((p) => ({
      ...fakeRecord(3, p, 1000, 10),
      failoverMs: 700 + p * 10,
    }));
    const svg = await renderChart(records, 't');
    expect(linePathsPerPanel(svg)).toEqual([1, 1, 1]);
    expect(svg).toContain('L (election quorum)');
    expect(svg).toContain('failover (ms)');
  });

  it('draws the comparison chart, one line per system, when comparisons ran', async () => {
    const records = [16, 64, 256].flatMap((c) => [
      { ...fakeRecord(3, 2, 1000 + c, 10), clients: c },
      { ...fakeRecord(3, 2, 2000 + c, 8), clients: c, system: 'natskv' as const },
      { ...fakeRecord(3, 2, 500 + c, 30), clients: c, system: 'etcd' as const },
    ]);
    const svg = await renderChart(records, 'compare chart');
    expect(linePathsPerPanel(svg)).toEqual([3, 3, 3]);
    for (const label of [
      'FlexPaxos N=3 P=2',
      'NATS KV N=3',
      'etcd N=3',
      'closed-loop clients',
      'writes / s',
      'CPU µs per write (all processes)',
    ]) {
      expect(svg).toContain(label);
    }
  });

  it('draws a row of panels per variant', async () => {
    const a = [1, 2].map((p) => fakeRecord(3, p, 1000, 10));
    const b = a.map((r) => ({ ...r, delays: '5' }));
    const svg = await renderChart([...a, ...b], 't');
    expect(linePathsPerPanel(svg)).toEqual([1, 1, 1, 1]);
    expect(svg).toContain('64 clients, delay 5');
  });
});
