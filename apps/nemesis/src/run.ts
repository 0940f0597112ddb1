/**
 * One nemesis run: start the cluster, run the workload under the fault schedule for the
 * duration, heal everything, restart every node, read every key back with quorum reads, check
 * the history, write the output directory and return the verdict.
 *
 * Output directory: `history.jsonl` (operations and nemesis events), `summary.json`,
 * `nemesis.log` (the progress lines) and `logs/` (every node's and nats-server's log).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Prng } from '@flexpaxos/sim';
import type { NemesisOptions } from './args.js';
import { replayCommand } from './args.js';
import { checkDurability } from './checks/durability.js';
import { checkExactlyOnce } from './checks/exactly-once.js';
import { checkLinearizable } from './checks/linearizability.js';
import type { ExcusedWindow } from './checks/linearizability.js';
import type { CheckReport, CheckStatus } from './checks/report.js';
import { checkStaleReads, findStaleReads } from './checks/stale-reads.js';
import { CLUSTER_NAME, NemesisCluster } from './cluster.js';
import { Nemesis } from './faults.js';
import type { FaultCounts, SkewWindow } from './faults.js';
import { History } from './history.js';
import { fileTail } from './node-process.js';
import { Workload } from './workload.js';

/** What a run found. */
export interface NemesisResult {
  readonly options: NemesisOptions;
  readonly outDir: string;
  readonly verdict: CheckStatus;
  /** Names of the checks that failed (or could not decide). */
  readonly failed: readonly string[];
  readonly checks: readonly CheckReport[];
  readonly ops: { readonly ok: number; readonly fail: number; readonly unknown: number };
  readonly faults: FaultCounts;
  readonly faultsTotal: number;
  /** Skew beyond the drift bound: windows and the stale lease reads seen in them. */
  readonly skewBeyond: { readonly windows: number; readonly staleLeaseReads: number };
  /** The one-line summary the CLI prints last. */
  readonly summary: string;
  /** The exact command that replays this run. */
  readonly replay: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The default output directory of a seed. */
export function defaultOutDir(seed: number): string {
  return join('.nemesis', `seed-${seed}`);
}

function summaryLine(
  o: NemesisOptions,
  ops: NemesisResult['ops'],
  faults: FaultCounts,
  total: number,
  verdict: CheckStatus,
  failed: readonly string[],
  skewNote: string,
): string {
  const kinds = Object.entries(faults)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const v =
    verdict === 'pass'
      ? 'PASS'
      : `${verdict === 'fail' ? 'FAIL' : 'UNKNOWN'} (${failed.join(', ')})`;
  return (
    `nemesis seed ${o.seed} N=${o.nodes} P=${o.replication} L=${o.election} ${o.durationS}s${o.thrifty ? ' thrifty' : ''}${o.sabotage === undefined ? '' : ` sabotage ${o.sabotage}`}: ` +
    `ops ok ${ops.ok} fail ${ops.fail} unknown ${ops.unknown}; faults ${total}${kinds === '' ? '' : ` (${kinds})`}${skewNote}; verdict ${v}`
  );
}

/**
 * Runs one schedule. `log` receives the progress lines (the CLI prints them); the returned
 * result carries the verdict and the summary line. Every process started is stopped before it
 * returns, also on error.
 */
export async function runNemesis(
  options: NemesisOptions,
  log: (line: string) => void = () => undefined,
): Promise<NemesisResult> {
  const o = options;
  const originMs = performance.now();
  const outDir = o.outDir ?? defaultOutDir(o.seed);
  const logDir = join(outDir, 'logs');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'flexpaxos-nemesis-'));
  const lines: string[] = [];
  const say = (line: string): void => {
    lines.push(line);
    log(line);
  };
  const history = new History(originMs);
  say(
    `nemesis: seed ${o.seed}, N=${o.nodes} P=${o.replication} L=${o.election}, ${o.durationS} s, faults ${o.faults.join(',') || 'none'}, ${o.clients} clients${o.sabotage === undefined ? '' : `, SABOTAGE ${o.sabotage}`}; output in ${outDir}`,
  );
  const extraChecks: CheckReport[] = [];
  let cluster: NemesisCluster | undefined;
  let nemesis: Nemesis | undefined;
  let workload: Workload | undefined;
  let progress: NodeJS.Timeout | undefined;
  try {
    cluster = await NemesisCluster.start(
      {
        nodes: o.nodes,
        replication: o.replication,
        election: o.election,
        leaseMs: o.leaseMs,
        driftMs: o.driftMs,
        electionTimeoutMs: o.electionTimeoutMs,
        electionJitterMs: o.electionJitterMs,
        thrifty: o.thrifty,
        sabotage: o.sabotage,
        logDir,
        dataDir,
      },
      originMs,
    );
    const c = cluster;
    const leader = await c.waitForLeader(60_000);
    say(`[${(history.now() / 1000).toFixed(1).padStart(6)}s] cluster up, leader ${leader}`);
    const root = new Prng(o.seed);
    const wl = new Workload(
      history,
      {
        clients: o.clients,
        keys: o.keys,
        opsPerKey: o.opsPerKey,
        thinkMs: o.thinkMs,
        opTimeoutMs: o.opTimeoutMs,
        servers: c.ids,
        url: (id) => c.topology.url(id),
        cluster: CLUSTER_NAME,
      },
      root.child('workload'),
    );
    workload = wl;
    await wl.connect();
    wl.start();
    const nm = new Nemesis(
      { cluster: c, history, workload: wl, options: o, log: say },
      root.child('faults'),
    );
    nemesis = nm;
    if (o.verbose) {
      progress = setInterval(() => {
        const n = history.counts();
        void c.leader().then((l) => {
          log(
            `[${(history.now() / 1000).toFixed(1).padStart(6)}s] ops ok ${n.ok} fail ${n.fail} unknown ${n.unknown}; faults ${nm.total}; leader ${l ?? 'none'}${
              c.topology.cutPairs().length > 0
                ? `; cut ${c.topology
                    .cutPairs()
                    .map(([a, b]) => `${a}-${b}`)
                    .join(' ')}`
                : ''
            }`,
          );
        });
      }, 5000);
    }
    await nm.run(history.now() + o.durationS * 1000);
    say(`[${(history.now() / 1000).toFixed(1).padStart(6)}s] faults over: healing everything`);
    await nm.healAll();
    // Some healed time with the workload running, then stop it.
    await sleep(Math.max(2000, 2 * o.electionTimeoutMs + o.leaseMs));
    await wl.stop();
    if (progress !== undefined) clearInterval(progress);
    say(
      `[${(history.now() / 1000).toFixed(1).padStart(6)}s] workload stopped; kill -9 and restart of every node`,
    );
    await Promise.all(c.nodes.map((n) => n.kill()));
    await Promise.all(c.nodes.map((n) => n.start()));
    let recovered = true;
    try {
      await c.waitForLeader(60_000, true);
    } catch (err) {
      recovered = false;
      extraChecks.push({
        name: 'recovery',
        status: 'fail',
        summary: `no leader after healing and restarting every node: ${err instanceof Error ? err.message : String(err)}`,
        details: [],
      });
    }
    if (recovered) {
      const missing = await wl.readBack(c.ids[0] as number, performance.now() + 60_000);
      extraChecks.push(
        missing.length === 0
          ? {
              name: 'recovery',
              status: 'pass',
              summary: `a leader and every key read back after the restart (${wl.keysUsed().length} keys)`,
              details: [],
            }
          : {
              name: 'recovery',
              status: 'fail',
              summary: `${missing.length} keys not readable after the restart`,
              details: missing.slice(0, 20),
            },
      );
    }
    say(
      `[${(history.now() / 1000).toFixed(1).padStart(6)}s] read back ${wl.keysUsed().length} keys; checking`,
    );
  } catch (err) {
    extraChecks.push({
      name: 'harness',
      status: 'fail',
      summary: `the run stopped: ${err instanceof Error ? err.message : String(err)}`,
      details: err instanceof Error && err.stack !== undefined ? [err.stack] : [],
    });
  } finally {
    if (progress !== undefined) clearInterval(progress);
    await nemesis?.stop().catch(() => undefined);
    await workload?.stop().catch(() => undefined);
    await cluster?.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }

  const exits = cluster?.unexpectedExits ?? [];
  const processCheck: CheckReport =
    exits.length === 0
      ? { name: 'processes', status: 'pass', summary: 'no node exited by itself', details: [] }
      : {
          name: 'processes',
          status: 'fail',
          summary: `${exits.length} node exits the harness did not cause`,
          details: exits.flatMap((e) => [
            `node ${e.id} exited (${e.code}) at ${(e.atMs / 1000).toFixed(1)} s; its log ends:`,
            e.logTail,
          ]),
        };
  const windows: ExcusedWindow[] = (nemesis?.skewWindows ?? [])
    .filter((w: SkewWindow) => w.beyond)
    .map((w) => ({
      startMs: w.startMs,
      endMs: (w.endMs ?? history.now()) + 2 * (o.leaseMs + 2 * o.electionTimeoutMs),
    }));
  const ran = history.ops.length > 0;
  const stale = findStaleReads(history.ops, windows);
  const checks: CheckReport[] = ran
    ? [
        checkLinearizable(history.ops, o.checkBudgetMs, windows),
        checkDurability(history.ops),
        checkExactlyOnce(history.ops),
        checkStaleReads(stale),
        ...extraChecks,
        processCheck,
      ]
    : [...extraChecks, processCheck];
  const failed = checks.filter((ch) => ch.status !== 'pass').map((ch) => ch.name);
  const verdict: CheckStatus = checks.some((ch) => ch.status === 'fail')
    ? 'fail'
    : checks.some((ch) => ch.status === 'unknown')
      ? 'unknown'
      : 'pass';
  const skewNote =
    windows.length === 0
      ? ''
      : `; skew beyond bound (${windows.length}x): ${stale.leaseExcused.length === 0 ? 'no stale reads observed' : `${stale.leaseExcused.length} stale lease reads observed`} (not a failure by itself)`;
  const ops = history.counts();
  const faults = nemesis?.counts ?? {
    kill: 0,
    power: 0,
    pause: 0,
    partition: 0,
    nats: 0,
    skew: 0,
    lease: 0,
  };
  const total = nemesis?.total ?? 0;
  const summary = summaryLine(o, ops, faults, total, verdict, failed, skewNote);
  const replay = replayCommand(o);
  for (const ch of checks) {
    say(`  ${ch.status === 'pass' ? 'ok  ' : ch.status.toUpperCase()} ${ch.name}: ${ch.summary}`);
    if (ch.status !== 'pass' || ch.name === 'stale-reads')
      for (const d of ch.details) say(`       ${d}`);
  }
  const result: NemesisResult = {
    options: o,
    outDir,
    verdict,
    failed,
    checks,
    ops,
    faults,
    faultsTotal: total,
    skewBeyond: { windows: windows.length, staleLeaseReads: stale.leaseExcused.length },
    summary,
    replay,
  };
  writeFileSync(join(outDir, 'history.jsonl'), history.toJsonLines());
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(
    join(outDir, 'nemesis.log'),
    `${lines.join('\n')}\n${summary}\n${verdict === 'pass' ? '' : `replay: ${replay}\n`}`,
  );
  if (exits.length > 0)
    writeFileSync(
      join(outDir, 'unexpected-exits.txt'),
      exits
        .map(
          (e) => `node ${e.id}: ${e.code}\n${fileTail(join(logDir, `node-${e.id}.log`), 10_000)}`,
        )
        .join('\n\n'),
    );
  return result;
}
