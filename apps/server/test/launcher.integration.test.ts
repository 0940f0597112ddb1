/**
 * `flexpaxos start` (what `pnpm start` runs) with real processes: nats-server, three nodes,
 * `DIR/cluster.json`, client commands through `--dir`, SIGTERM stopping every process,
 * a restart on the same data, flags that disagree with the stored cluster, a launcher killed
 * -9, and the message when `nats-server` is missing.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findNatsServer } from '@flexpaxos/transport-nats/testing';
import { isProcessAlive, readClusterFile } from '../src/cluster-file.js';
import type { ClusterFile } from '../src/cluster-file.js';
import { spawnCli, waitFor } from './harness.js';

const dirs: string[] = [];
const extraChildren: ChildProcess[] = [];
type Launcher = ReturnType<typeof spawnCli>;
const launchers: Launcher[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'flexpaxos-start-'));
  dirs.push(d);
  return d;
}

function cmdlineOf(pid: number | undefined): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
}

/** Every pid the cluster file names (launcher, nats-server, nodes). */
function pidsOf(f: ClusterFile): number[] {
  return [f.launcherPid, f.natsPid, ...f.nodes.map((n) => n.pid)].filter(
    (p): p is number => p !== null,
  );
}

afterAll(async () => {
  for (const c of extraChildren) c.kill('SIGKILL');
  for (const l of launchers) l.proc.kill('SIGTERM');
  await Promise.all(launchers.map((l) => l.exited));
  for (const d of dirs) {
    // Whatever a failed test left behind: nothing may outlive the suite.
    try {
      for (const pid of pidsOf(readClusterFile(d)))
        if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
    } catch {
      // no cluster file
    }
    rmSync(d, { recursive: true, force: true });
  }
});

/** Starts a launcher on `dir` and waits for its cluster file to name it and a leader. */
async function start(
  dir: string,
  extra: readonly string[] = [],
): Promise<{ launcher: Launcher; file: ClusterFile }> {
  const launcher = spawnCli(['start', '--dir', dir, '--log-level', 'warn', ...extra], 90_000);
  launchers.push(launcher);
  const file = await waitFor(
    'cluster.json with a leader',
    () => {
      if (launcher.proc.exitCode !== null) throw new Error(`launcher exited: ${launcher.stderr()}`);
      const f = readClusterFile(dir);
      return Promise.resolve(
        // The file names the leader a moment before the launcher prints how to use it.
        f.launcherPid === launcher.proc.pid &&
          f.leader !== null &&
          launcher.stdout().includes('Ctrl-C stops the cluster')
          ? f
          : undefined,
      );
    },
    30_000,
  );
  return { launcher, file };
}

async function cli(
  args: readonly string[],
): Promise<{ code: number | string; out: string; err: string }> {
  const p = spawnCli(args, 30_000);
  const code = await p.exited;
  return { code, out: p.stdout(), err: p.stderr() };
}

describe('flexpaxos start', () => {
  it('runs a cluster that CLI commands reach through --dir, stops every process on SIGTERM, and keeps the data across a restart', async () => {
    const dir = tempDir();
    const { launcher, file } = await start(dir);
    expect(file.members).toEqual([1, 2, 3]);
    expect(file.replication).toBe(2);
    expect(file.running).toBe(true);
    expect(file.nats[0]).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    expect(file.nodes.every((n) => n.pid !== null && n.http !== null)).toBe(true);
    expect(launcher.stdout()).toContain('pnpm flexpaxos put');
    const page = /Status page: (http:\/\/127\.0\.0\.1:\d+)\//.exec(launcher.stdout())?.[1];
    expect(page).toBe(file.nodes[0]?.http);
    expect(await (await fetch(`${page}/`)).text()).toContain('<title>FlexPaxos status</title>');

    const put = await cli(['put', 'city', 'Lisbon', '--dir', dir, '--json']);
    expect(put.code, put.err).toBe(0);
    expect(JSON.parse(put.out)).toMatchObject({ key: 'city', version: 1 });
    const get = await cli(['get', 'city', '--dir', dir, '--json']);
    expect(get.code, get.err).toBe(0);
    expect(JSON.parse(get.out)).toMatchObject({ found: true, value: 'Lisbon', version: 1 });

    const status = await cli(['status', '--dir', dir, '--json']);
    expect(status.code, status.err).toBe(0);
    const nodes = JSON.parse(status.out) as {
      id: number;
      role: string;
      pid: number;
      http: string;
      committed: number;
      applied: number;
      ballot: string;
      lease: unknown;
    }[];
    expect(nodes.map((n) => n.id)).toEqual([1, 2, 3]);
    expect(nodes.filter((n) => n.role === 'leader')).toHaveLength(1);
    for (const n of nodes) {
      const recorded = file.nodes.find((x) => x.id === n.id);
      expect(n.pid).toBe(recorded?.pid);
      expect(n.http).toBe(recorded?.http);
      expect(n.lease).toBeDefined();
    }

    // SIGTERM: every process stops, the file says so.
    const pids = pidsOf(file);
    expect(pids).toHaveLength(5);
    launcher.proc.kill('SIGTERM');
    expect(await launcher.exited).toBe(0);
    for (const pid of pids) expect(isProcessAlive(pid), `pid ${pid} still alive`).toBe(false);
    const stopped = readClusterFile(dir);
    expect(stopped.running).toBe(false);
    expect(pidsOf(stopped)).toEqual([]);
    const down = await cli(['get', 'city', '--dir', dir]);
    expect(down.code).toBe(1);
    expect(down.err).toContain('is not running');

    // Flags that disagree with the stored cluster are refused.
    const wrong = spawnCli(['start', '--dir', dir, '--nodes', '5'], 30_000);
    expect(await wrong.exited).toBe(2);
    expect(wrong.stderr()).toContain('--nodes 5 (it has 3 nodes)');

    // Restart on the same data: same cluster, the write is still there. Node logs are shown
    // as one-line text with --log-format pretty, while the log files stay JSON.
    const again = await start(dir, ['--log-level', 'info', '--log-format', 'pretty']);
    expect(again.file.cluster).toBe(file.cluster);
    await waitFor('pretty log lines of every node', () =>
      Promise.resolve(
        [1, 2, 3].every((id) =>
          new RegExp(`^\\[[\\d:.]+\\] INFO: n${id} node: node started `, 'm').test(
            again.launcher.stdout(),
          ),
        )
          ? true
          : undefined,
      ),
    );
    // The election follows the start-up lines (a pre-vote round, then phase 1): wait for it.
    await waitFor('a pretty role change line', () =>
      Promise.resolve(
        /^\[[\d:.]+\] INFO: n\d paxos: role changed /m.test(again.launcher.stdout())
          ? true
          : undefined,
      ),
    );
    expect(again.launcher.stdout()).not.toContain('{"level"');
    const n1Log = readFileSync(join(dir, 'n1.log'), 'utf8').trimEnd().split('\n');
    expect(JSON.parse(n1Log.at(-1) ?? '')).toHaveProperty('level');
    const after = await cli(['get', 'city', '--dir', dir, '--json']);
    expect(after.code, after.err).toBe(0);
    expect(JSON.parse(after.out)).toMatchObject({ value: 'Lisbon', version: 1 });

    // A second launcher on the same DIR is refused while the first runs.
    const twice = spawnCli(['start', '--dir', dir], 30_000);
    expect(await twice.exited).toBe(1);
    expect(twice.stderr()).toContain('is already running');

    again.launcher.proc.kill('SIGTERM');
    expect(await again.launcher.exited).toBe(0);
    for (const pid of pidsOf(again.file)) expect(isProcessAlive(pid)).toBe(false);
  });

  it('adds a node to the running cluster with --add-node; the next start runs it as a voter', async () => {
    const dir = tempDir();
    const { launcher } = await start(dir);
    const put = await cli(['put', 'k', 'v', '--dir', dir]);
    expect(put.code, put.err).toBe(0);
    const added = await cli(['start', '--dir', dir, '--add-node']);
    expect(added.code, added.err).toBe(0);
    expect(added.out).toContain('node 4 is running');
    expect(added.out).toContain('N=4 P=2 L=3 [1,2,3,4]');
    const file = readClusterFile(dir);
    expect(file.members).toEqual([1, 2, 3, 4]);
    expect(file.joined).toEqual([4]);
    const members = await cli(['members', '--dir', dir, '--json']);
    expect(members.code, members.err).toBe(0);
    const m = JSON.parse(members.out) as { members: { id: number; role: string; up: boolean }[] };
    expect(m.members.map((r) => r.id)).toEqual([1, 2, 3, 4]);
    expect(m.members.every((r) => r.up && r.role !== 'learner')).toBe(true);
    // --add-node takes nothing but --dir.
    const bad = await cli(['start', '--dir', dir, '--add-node', '--nodes', '5']);
    expect(bad.code).toBe(2);

    launcher.proc.kill('SIGTERM');
    expect(await launcher.exited).toBe(0);
    const again = await start(dir);
    expect(again.file.nodes.map((n) => n.id)).toEqual([1, 2, 3, 4]);
    expect(again.launcher.stdout()).toContain('N=4 P=2 L=3');
    const get = await cli(['get', 'k', '--dir', dir, '--json']);
    expect(JSON.parse(get.out)).toMatchObject({ found: true, value: 'v' });
    again.launcher.proc.kill('SIGTERM');
    expect(await again.launcher.exited).toBe(0);
    for (const pid of pidsOf(again.file)) expect(isProcessAlive(pid)).toBe(false);
  });

  it('leaves no process running when the launcher is killed -9; the next start stops leftovers', async () => {
    const dir = tempDir();
    const { launcher, file } = await start(dir);
    launcher.proc.kill('SIGKILL');
    await launcher.exited;
    // Each node sees its stdin pipe close and drains; the watchdog stops nats-server.
    const pids = pidsOf(file).filter((p) => p !== file.launcherPid);
    expect(pids).toHaveLength(4);
    await waitFor(
      'nodes and nats-server to exit after the launcher died',
      () => Promise.resolve(pids.some(isProcessAlive) ? undefined : true),
      15_000,
    );
    // Should something survive anyway (simulated: a nats-server on the cluster's config, named
    // in a cluster.json that still says running), the next start stops it.
    const leftover = spawn(findNatsServer(), ['-c', join(dir, 'nats.conf')], { stdio: 'ignore' });
    extraChildren.push(leftover);
    const leftoverExit = new Promise((r) => leftover.once('exit', r));
    await waitFor('the leftover nats-server', () =>
      Promise.resolve(cmdlineOf(leftover.pid)?.includes('nats.conf') === true ? true : undefined),
    );
    writeFileSync(
      join(dir, 'cluster.json'),
      JSON.stringify({ ...readClusterFile(dir), natsPid: leftover.pid ?? null }),
    );
    const second = await start(dir, ['--log-level', 'info']);
    expect(second.launcher.stdout()).toContain('did not stop cleanly');
    // Not a terminal: node log lines are echoed as the JSON the files hold.
    await waitFor('JSON log lines on stdout', () =>
      Promise.resolve(
        second.launcher
          .stdout()
          .split('\n')
          .some(
            (l) => l.startsWith('{') && (JSON.parse(l) as { msg?: string }).msg === 'node started',
          )
          ? true
          : undefined,
      ),
    );
    await leftoverExit;
    // Ctrl-C under `pnpm start` reaches the launcher twice at once (terminal and pnpm): still
    // an orderly stop, every node drained.
    second.launcher.proc.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 50));
    second.launcher.proc.kill('SIGINT');
    expect(await second.launcher.exited).toBe(0);
    expect(second.launcher.stdout()).not.toContain('killing everything');
    for (const pid of pidsOf(second.file)) expect(isProcessAlive(pid)).toBe(false);
    for (const n of second.file.nodes) {
      const log = readFileSync(n.log, 'utf8').trimEnd().split('\n');
      expect(JSON.parse(log.at(-1) ?? '{}')).toMatchObject({
        msg: 'node stopped',
        reason: 'shutdown',
      });
    }
  });

  it('passes flags after -- to every node, and shows a node config error and stops everything', async () => {
    const dir = tempDir();
    const p = spawnCli(['start', '--dir', dir, '--', '--tick-ms', 'fast'], 30_000);
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toContain('exited before starting');
    expect(p.stderr()).toContain('config: tick-ms: must be an integer >= 1 (got "fast")');
    expect(readClusterFile(dir).running).toBe(false);
    const natsPid = Number(/nats-server \S+ \(pid (\d+)\)/.exec(p.stdout())?.[1]);
    expect(natsPid).toBeGreaterThan(0);
    expect(isProcessAlive(natsPid)).toBe(false);
  });

  it('says how to install nats-server when it is missing, and starts nothing', async () => {
    const dir = tempDir();
    const p = spawnCli(['start', '--dir', dir], 30_000, {
      ...process.env,
      NATS_SERVER: join(dir, 'no-such-nats-server'),
    });
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toContain('nats-server not found at');
    expect(p.stderr()).toContain('apt-get install -y nats-server');
    expect(() => readClusterFile(dir)).toThrow(/does not exist/);
  });
});
