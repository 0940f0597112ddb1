/**
 * `docs/metrics.md` lists every metric a real node serves: a node process on a real
 * nats-server and RocksDB is started, written to and read from, and every `# TYPE` line of its
 * `/metrics` must have a row (same name, same type) in the table, and every row must be served.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startTestCluster, waitFor } from './harness.js';
import type { TestCluster } from './harness.js';

/** `name → type` of the served text (`# TYPE name type` lines). */
export function servedMetrics(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1] ?? '', m[2] ?? '');
  return out;
}

/** `name → type` of the table rows of `docs/metrics.md` (first cell a back-quoted name). */
export function documentedMetrics(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of markdown.matchAll(/^\| `([a-z_:][a-z0-9_:]*)` \| (\w+) \|/gm)) {
    out.set(m[1] ?? '', m[2] ?? '');
  }
  return out;
}

describe('docs/metrics.md', () => {
  let cluster: TestCluster;
  let text = '';
  beforeAll(async () => {
    cluster = await startTestCluster({ cluster: 'metricsdoc', members: [1], tmpPrefix: 'fp-md-' });
    await cluster.client.put('k', 'v');
    await cluster.client.get('k', { readMode: 'lease' });
    const http = (await cluster.nodes[0]?.started)?.http;
    text = await waitFor('metrics with a write applied', async () => {
      const t = await (await fetch(`${http}/metrics`)).text();
      return /^flexpaxos_commands_applied_total [1-9]/m.test(t) ? t : undefined;
    });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  const doc = documentedMetrics(readFileSync(join(REPO_ROOT, 'docs/metrics.md'), 'utf8'));

  it('has a row, with the right type, for every metric a node serves', () => {
    const served = servedMetrics(text);
    expect(served.size).toBeGreaterThan(60);
    const missing = [...served].filter(([name]) => !doc.has(name)).map(([n, t]) => `${n} (${t})`);
    expect(missing, 'served but not in docs/metrics.md').toEqual([]);
    const wrongType = [...served]
      .filter(([name, type]) => doc.get(name) !== type)
      .map(([n, t]) => `${n}: served ${t}, documented ${doc.get(n)}`);
    expect(wrongType).toEqual([]);
  });

  it('documents only metrics a node serves', () => {
    const served = servedMetrics(text);
    expect([...doc.keys()].filter((name) => !served.has(name))).toEqual([]);
  });

  it('finds a missing row (the check can fail)', () => {
    const served = servedMetrics(`# TYPE flexpaxos_not_documented counter\n`);
    expect([...served.keys()].filter((n) => !doc.has(n))).toEqual(['flexpaxos_not_documented']);
  });
});
