/**
 * `flexpaxos txn`, `put --lease` and `lease ...` against a live cluster (real nats-server,
 * three node processes on RocksDB).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli, startTestCluster, waitFor } from './harness.js';
import type { TestCluster } from './harness.js';

const CLUSTER = 'clikv';
let c: TestCluster;
let dir: string;

beforeAll(async () => {
  c = await startTestCluster({
    cluster: CLUSTER,
    members: [1, 2, 3],
    tmpPrefix: 'flexpaxos-clikv-',
  });
  dir = mkdtempSync(join(tmpdir(), 'flexpaxos-clikv-files-'));
  await waitFor('a leader', async () =>
    (await c.client.clusterStatus({ waitMs: 300 })).find((n) => n.role === 'leader'),
  );
}, 60_000);

afterAll(async () => {
  await c?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function cli(
  args: readonly string[],
  input?: string,
): Promise<{ code: number | string; out: string; err: string }> {
  const p = spawnCli(
    ['--nats', c.nats.url, '--cluster', CLUSTER, ...args],
    30_000,
    process.env,
    input,
  );
  const code = await p.exited;
  return { code, out: p.stdout(), err: p.stderr() };
}

describe('transactions and key leases from the command line', () => {
  it('txn from stdin runs the branch its compares choose, exit 0 or 1', async () => {
    await c.client.put('cfg', 'v1');
    const ok = await cli(['txn'], 'value("cfg") = "v1"\n\nput cfg v2\nget cfg\n\nget cfg\n');
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/^SUCCESS at revision \d+\n/);
    expect(ok.out).toMatch(/^get +cfg +v2 +2 +\d+$/m);
    const no = await cli(['txn', '-w', 'json'], 'value("cfg") = "v1"\n\nput cfg v3\n\nget cfg\n');
    expect(no.code, no.err).toBe(1);
    const r = JSON.parse(no.out) as { succeeded: boolean; results: unknown[] };
    expect(r.succeeded).toBe(false);
    expect(r.results).toMatchObject([{ type: 'get', entry: { key: 'cfg', value: 'v2' } }]);
    expect((await c.client.get('cfg'))?.value).toBe('v2');

    const file = join(dir, 'txn.json');
    writeFileSync(
      file,
      JSON.stringify({
        compare: [{ key: 'absent', target: 'version', op: '=', value: 0 }],
        success: [{ type: 'put', key: 'absent', value: 'created' }],
      }),
    );
    const fromFile = await cli(['txn', '--file', file]);
    expect(fromFile.code, fromFile.err).toBe(0);
    expect((await c.client.get('absent'))?.value).toBe('created');

    const bad = await cli(['txn'], 'size(cfg) = 1\n');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('line 1: unknown compare target size');
  });

  it('lease grant, put --lease, timetolive --keys, list, keepalive --once and revoke', async () => {
    const grant = await cli(['lease', 'grant', '30', '-w', 'json']);
    expect(grant.code, grant.err).toBe(0);
    const { lease, ttlMs } = JSON.parse(grant.out) as { lease: number; ttlMs: number };
    expect(ttlMs).toBe(30_000);
    const put = await cli(['put', 'svc/a', 'addr', '--lease', String(lease)]);
    expect(put.code, put.err).toBe(0);
    expect((await c.client.get('svc/a'))?.lease).toBe(lease);

    const ttl = await cli(['lease', 'timetolive', String(lease), '--keys']);
    expect(ttl.code, ttl.err).toBe(0);
    expect(ttl.out).toMatch(new RegExp(`^lease ${lease}: TTL 30s, remaining \\d+`));
    expect(ttl.out).toContain('keys: svc/a');
    const list = await cli(['lease', 'list', '-w', 'simple']);
    expect(list.out).toContain(`${lease}, 30s`);
    const ka = await cli(['lease', 'keepalive', String(lease), '--once']);
    expect(ka.code, ka.err).toBe(0);
    expect(ka.out).toBe(`lease ${lease} kept alive with TTL 30s\n`);

    const revoke = await cli(['lease', 'revoke', String(lease)]);
    expect(revoke.code, revoke.err).toBe(0);
    expect(revoke.out).toMatch(new RegExp(`^lease ${lease} revoked: 1 keys deleted`));
    expect(await c.client.get('svc/a')).toBeUndefined();

    const gone = await cli(['lease', 'keepalive', String(lease), '--once']);
    expect(gone.code).toBe(1);
    expect(gone.err).toContain('lease-not-found');
    const badTtl = await cli(['lease', 'grant', 'soon']);
    expect(badTtl.code).toBe(2);
    expect(badTtl.err).toContain('TTL must be seconds or have a unit');
  });

  it('watch prints every change from a revision, one line per event, and stops after --count', async () => {
    const first = await c.client.put('w/0', 'a');
    const p = spawnCli(
      [
        '--nats',
        c.nats.url,
        '--cluster',
        CLUSTER,
        'watch',
        'w/',
        '--prefix',
        '--from-revision',
        String(first.revision),
        '--count',
        '3',
        '--prev-kv',
      ],
      30_000,
    );
    const second = await c.client.put('w/1', 'b');
    const gone = await c.client.delete('w/0');
    expect(await p.exited, p.stderr()).toBe(0);
    expect(p.stdout()).toBe(
      [
        `put w/0 a (rev ${first.revision}, ver 1)`,
        `put w/1 b (rev ${second.revision}, ver 1)`,
        `delete w/0 (rev ${gone.revision}, prev "a")`,
        '',
      ].join('\n'),
    );
    const json = await cli([
      'watch',
      'w/1',
      '--from-revision',
      String(first.revision),
      '--count',
      '1',
      '-w',
      'json',
    ]);
    expect(json.code, json.err).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({
      type: 'put',
      key: 'w/1',
      value: 'b',
      revision: second.revision,
    });
    const bad = await cli(['watch', 'w/', '--from-revision', 'zero']);
    expect(bad.code).toBe(2);
  });
});
