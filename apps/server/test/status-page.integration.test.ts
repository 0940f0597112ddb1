/**
 * The status page in a real browser: headless Chromium (Debian's `/usr/bin/chromium`, driven
 * by `playwright-core`) loads `/` of one node of a live cluster (real nats-server, three real
 * node processes on RocksDB) while a client writes and reads, and the page must show every
 * node, exactly one leader, N, P and L, rates and latencies, and the election. A screenshot is
 * saved as `apps/server/test-output/status-page.png`. Without Chromium the test is skipped
 * (say so, and how to install it).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterView, NodeOverview } from '../src/overview.js';
import { REPO_ROOT, startTestCluster, waitFor } from './harness.js';
import type { TestCluster } from './harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const OUT_DIR = join(REPO_ROOT, 'apps/server/test-output');
if (!HAVE_CHROMIUM) {
  console.warn(
    `status page browser test skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`,
  );
}

describe('status page', () => {
  let cluster: TestCluster;
  let http: (string | null)[] = [];
  let load: Promise<void> | undefined;
  let stopLoad = false;

  beforeAll(async () => {
    cluster = await startTestCluster({
      cluster: 'statuspage',
      members: [1, 2, 3],
      tmpPrefix: 'fp-page-',
    });
    http = await Promise.all(cluster.nodes.map(async (n) => (await n.started).http));
    await waitFor('a leader', async () => {
      for (const h of http) {
        const s = (await (await fetch(`${h}/status`)).json()) as { role: string };
        if (s.role === 'leader') return true;
      }
      return undefined;
    });
    // A steady trickle of writes and reads for the charts, until the tests end.
    load = (async () => {
      for (let i = 0; !stopLoad; i++) {
        await cluster.client.put(`k${i % 50}`, `v${i}`);
        await cluster.client.get(`k${i % 50}`);
        if (i % 10 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    })();
  }, 60_000);

  afterAll(async () => {
    stopLoad = true;
    await load?.catch(() => undefined);
    await cluster?.stop();
  });

  it('serves /cluster with every member and its HTTP address, and /overview with CORS', async () => {
    const res = await fetch(`${http[0]}/cluster`);
    const view = (await res.json()) as ClusterView;
    expect(view.members.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(view.members.map((m) => m.http)).toEqual(http);
    const o = await fetch(`${http[1]}/overview`);
    expect(o.headers.get('access-control-allow-origin')).toBe('*');
    const overview = (await o.json()) as NodeOverview;
    expect(overview.status.id).toBe(2);
    expect(overview.config?.incoming).toMatchObject({
      voters: [1, 2, 3],
      replication: 2,
      election: 2,
    });
    expect(overview.latency.write.buckets.length).toBeGreaterThan(10);
  });

  it.skipIf(!HAVE_CHROMIUM)(
    'shows every node, one leader, N/P/L, live rates and the election in headless Chromium',
    async () => {
      let browser: Browser | undefined;
      try {
        browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const pageErrors: string[] = [];
        page.on('pageerror', (e) => pageErrors.push(e.message));
        await page.goto(`${http[0]}/`);
        // In-page code is given as strings: this package is not compiled against the DOM.
        await page.waitForFunction('Number(document.body.getAttribute("data-polls") || 0) >= 6', {
          timeout: 20_000,
        });
        const rows = await page.evaluate<{ id: string; role: string | null; cells: string[] }[]>(
          `[...document.querySelectorAll('#nodes tbody tr')].map((tr) => ({
            id: tr.getAttribute('data-node-id'),
            role: tr.getAttribute('data-role'),
            cells: [...tr.querySelectorAll('td')].map((td) => td.textContent),
          }))`,
        );
        expect(rows.map((r) => r.id)).toEqual(['1', '2', '3']);
        const leaders = rows.filter((r) => r.role === 'leader');
        expect(leaders).toHaveLength(1);
        expect(rows.filter((r) => r.role === 'follower')).toHaveLength(2);
        const leaderId = leaders[0]?.id;
        for (const r of rows) expect(r.cells[3]).toBe(leaderId); // the leader column
        expect(await page.textContent('#cluster-name')).toBe('statuspage');
        expect(await page.textContent('#cfg-n')).toBe('3');
        expect(await page.textContent('#cfg-p')).toBe('2');
        expect(await page.textContent('#cfg-l')).toBe('2');
        expect(await page.textContent('#cfg-members')).toBe('1, 2, 3');
        expect(await page.textContent('#cfg-leader')).toBe(`node ${leaderId}`);
        // Rates and latencies from the load above.
        expect(Number((await page.textContent('#now-w'))?.replace('/s', ''))).toBeGreaterThan(0);
        expect(Number((await page.textContent('#now-r'))?.replace('/s', ''))).toBeGreaterThan(0);
        expect(await page.textContent('#now-wp99')).toMatch(/^\d+(\.\d+)? ms$/);
        // The election that made the leader.
        const changes = await page.evaluate<string[][]>(
          `[...document.querySelectorAll('#elections tbody tr')].map((tr) =>
            [...tr.querySelectorAll('td')].map((td) => td.textContent))`,
        );
        expect(changes.some((c) => c[1] === leaderId && c[2] === 'candidate → leader')).toBe(true);
        // The writes line was drawn on the throughput chart.
        const inked = await page.evaluate<number>(`(() => {
          const c = document.getElementById('chart-rate');
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          // Pixels in the writes line's colour (#2f6fdf); grid and labels are grey.
          for (let i = 0; i < d.length; i += 4)
            if (d[i + 3] > 0 && d[i + 2] > 150 && d[i + 2] - d[i] > 60 && d[i + 2] - d[i + 1] > 30) n++;
          return n;
        })()`);
        expect(inked).toBeGreaterThan(10);
        expect(pageErrors).toEqual([]);
        mkdirSync(OUT_DIR, { recursive: true });
        const shot = join(OUT_DIR, 'status-page.png');
        await page.screenshot({ path: shot, fullPage: true });
        expect(existsSync(shot)).toBe(true);
      } finally {
        await browser?.close();
      }
    },
    60_000,
  );
});
