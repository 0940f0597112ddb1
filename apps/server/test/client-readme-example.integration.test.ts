// The README example of @flexpaxos/client, run as a user runs it (tsx, from the repository
// root) against a real cluster: nats-server and three node processes on RocksDB.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startTestCluster, waitFor, type TestCluster } from './harness.js';

const EXAMPLE = join(REPO_ROOT, 'packages/client/examples/quick-start.ts');
const example = readFileSync(EXAMPLE, 'utf8');
const WATCH_EXAMPLE = join(REPO_ROOT, 'packages/client/examples/watch.ts');
const watchExample = readFileSync(WATCH_EXAMPLE, 'utf8');
const readme = readFileSync(join(REPO_ROOT, 'packages/client/README.md'), 'utf8');

describe('@flexpaxos/client README example', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startTestCluster({
      cluster: 'readme',
      members: [1, 2, 3],
      tmpPrefix: 'fp-client-readme-',
    });
    await waitFor('a leader', async () => {
      const nodes = await cluster.client.clusterStatus();
      return nodes.some((n) => n.role === 'leader') && nodes.length === 3 ? true : undefined;
    });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('is examples/quick-start.ts verbatim', () => {
    expect(readme).toContain('```ts\n' + example + '```');
  });

  it('prints what its comments say against a live cluster', () => {
    const run = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', EXAMPLE], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, FLEXPAXOS_NATS: cluster.nats.url, FLEXPAXOS_CLUSTER: 'readme' },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trimEnd().split('\n')).toEqual([
      'put: version 1',
      'get: ada version 1',
      'cas: true false 2',
      'range: user/1=grace more false',
      'delete: true absent',
      'error: INVALID_KEY',
      'leaders: 1',
    ]);
  });

  it('has the watch example verbatim, and it prints what its comments say', () => {
    expect(readme).toContain('```ts\n' + watchExample + '```');
    const run = spawnSync(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', WATCH_EXAMPLE],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, FLEXPAXOS_NATS: cluster.nats.url, FLEXPAXOS_CLUSTER: 'readme' },
      },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trimEnd().split('\n')).toEqual([
      'put app/config v2 prev v1',
      'put app/feature on prev -',
      'delete app/feature - prev on',
      'caught up: true',
    ]);
  });
});
