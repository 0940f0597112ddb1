/**
 * `flexpaxos start` (what `pnpm start` runs): a local cluster in one command.
 *
 * 1. Finds `nats-server` (`--nats-server PATH`, else `$NATS_SERVER`, else `$NATS_SERVER_BIN`,
 *    `PATH`, `/usr/sbin`, ...); if there is none it says how to install it and exits 1.
 * 2. Reads `DIR/cluster.json` if there is one (a restart): the cluster name, node ids and P
 *    come from it, and flags that disagree are refused with a message that says so. A first
 *    start picks a new cluster name `local-xxxxxx`.
 * 3. Starts `nats-server` on a free 127.0.0.1 port (config and log in `DIR/nats.*`), then the
 *    N nodes (`flexpaxos node`, data in `DIR/n<id>`, logs appended to `DIR/n<id>.log`, HTTP on
 *    free ports), waits for a leader, writes `DIR/cluster.json` and prints how to use the CLI.
 *    While it runs it shows the nodes' new log lines on stdout (`--log-format`: `pretty`
 *    one-line text, the default on a terminal; `json` as written, the default otherwise;
 *    `none`), read from the log files, which stay JSON (`log-view.ts`).
 * 4. While it runs, it answers `flexpaxos start --dir DIR --add-node` (a request on the NATS
 *    subject {@link launcherSubject}): it starts one more node (the next id, `--join`, as its own
 *    child), asks the leader to add it (`members add`, learner first), records it in
 *    `cluster.json` (later starts run it too) and answers with the new configuration.
 * 5. On Ctrl-C or SIGTERM: SIGTERM to every node (each drains and exits), then `nats-server`;
 *    `cluster.json` is marked stopped. A second Ctrl-C kills everything at once.
 *
 * Children run in their own process groups so the terminal's Ctrl-C reaches only the
 * launcher, which then stops them in order. If the launcher itself is killed (-9), each node
 * notices its stdin pipe closing and drains by itself, and `nats-server` runs under a small
 * `sh` watchdog that stops it when the same happens to its pipe ({@link NATS_WATCHDOG}).
 * Should anything survive anyway, the next `start` on the same `DIR` stops it (matched by pid
 * and command line); a `start` refuses to run while a launcher on the same `DIR` still runs.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { FlexPaxosClient } from '@flexpaxos/client';
import { canConnect, findNatsServer, freePort } from '@flexpaxos/transport-nats/testing';
import { validateCountingQuorum } from '@flexpaxos/quorum';
import {
  ClusterFileError,
  DEFAULT_CLUSTER_DIR,
  clusterFilePath,
  isLauncherAlive,
  isProcessAlive,
  readClusterFile,
  writeClusterFile,
} from './cluster-file.js';
import type { ClusterFile, ClusterFileNode } from './cluster-file.js';
import { LogFollower, logLineFormatter } from './log-view.js';
import type { LogFormat } from './log-view.js';

/** Env var a node reads: drain and exit when stdin closes (the launcher died). */
export const STOP_WITH_STDIN_ENV = 'FLEXPAXOS_STOP_WITH_STDIN';

/** How `nats-server` can be installed; printed when it is missing. */
export const NATS_INSTALL_HINT =
  'install it with `apt-get install -y nats-server` (Debian/Ubuntu; it lands in /usr/sbin), ' +
  'or point NATS_SERVER=/path/to/nats-server (or --nats-server PATH) at a binary';

/** The subject a running launcher serves `--add-node` requests on. */
export function launcherSubject(cluster: string): string {
  return `flexpaxos.${cluster}.launcher.add-node`;
}

/** How long `--add-node` waits for the launcher (starting the node and adding it). */
const ADD_NODE_TIMEOUT_MS = 120_000;

/**
 * `sh -c` script that runs `"$@"` (nats-server) in the background, prints its pid on stdout,
 * and kills it (SIGTERM) once stdin — a pipe from the launcher — reaches end of file: when the
 * launcher closes it to stop the server, or dies. Exits when the server exits.
 */
export const NATS_WATCHDOG =
  'exec 3<&0; "$@" </dev/null >&2 & p=$!; echo "$p"; { read -r _ <&3; kill "$p" 2>/dev/null; } & wait "$p"';

const LEADER_TIMEOUT_MS_DEFAULT = 30_000;
const NODE_STOP_TIMEOUT_MS = 10_000;

class StartError extends Error {
  override readonly name = 'StartError';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The CLI entry of this module's own file: nodes run as `<this cli> node ...`. */
function cliEntry(): { execArgv: string[]; entry: string } {
  const here = fileURLToPath(import.meta.url);
  const entry = join(dirname(here), here.endsWith('.ts') ? 'cli.ts' : 'cli.js');
  return { execArgv: [...process.execArgv], entry };
}

/** Finds `nats-server`: explicit path (flag or `NATS_SERVER`) must exist; else the usual search. */
function locateNatsServer(explicit: string | undefined): string {
  if (explicit !== undefined && explicit !== '') {
    try {
      return findNatsServer({ bin: explicit, dirs: [] });
    } catch {
      throw new StartError(`nats-server not found at ${explicit}: ${NATS_INSTALL_HINT}`);
    }
  }
  try {
    return findNatsServer();
  } catch {
    throw new StartError(
      `nats-server is not installed (not on PATH, nor in /usr/sbin, /usr/local/bin, /usr/bin): ${NATS_INSTALL_HINT}`,
    );
  }
}

/** The command line of a live process (Linux /proc), or undefined. */
function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

/**
 * A previous launcher on this `DIR` died without stopping its children: stop the ones still
 * alive (checked by their command line, so a reused pid is left alone).
 */
async function reapLeftovers(
  dir: string,
  file: ClusterFile,
  say: (s: string) => void,
): Promise<void> {
  const targets: { pid: number; what: string }[] = [];
  for (const n of file.nodes) {
    if (n.pid !== null && (cmdline(n.pid)?.includes(n.dataDir) ?? false))
      targets.push({ pid: n.pid, what: `node ${n.id}` });
  }
  if (
    file.natsPid !== null &&
    (cmdline(file.natsPid)?.includes(resolve(dir, 'nats.conf')) ?? false)
  )
    targets.push({ pid: file.natsPid, what: 'nats-server' });
  if (targets.length === 0) return;
  say(
    `stopping processes left running by a launcher that did not stop cleanly: ${targets.map((t) => `${t.what} (pid ${t.pid})`).join(', ')}`,
  );
  for (const t of targets) {
    try {
      process.kill(t.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const deadline = performance.now() + NODE_STOP_TIMEOUT_MS;
  while (targets.some((t) => isProcessAlive(t.pid)) && performance.now() < deadline)
    await sleep(50);
  for (const t of targets) {
    if (isProcessAlive(t.pid)) process.kill(t.pid, 'SIGKILL');
  }
}

interface RunningNode {
  readonly id: number;
  readonly proc: ChildProcess;
  readonly dataDir: string;
  readonly log: string;
  http: string | null;
  exited: boolean;
  readonly exit: Promise<void>;
}

/** What `flexpaxos start` is given (the CLI parses and checks the flags). */
export interface StartOptions {
  /** N of a new cluster (default 3); must agree with a stored cluster. */
  readonly nodes?: number | undefined;
  /** P of a new cluster (default a majority); must agree with a stored cluster. */
  readonly replication?: number | undefined;
  /** L of a new cluster (default N - P + 1); must agree with a stored cluster. */
  readonly election?: number | undefined;
  /** The cluster directory (default `.flexpaxos`). */
  readonly dir?: string | undefined;
  /** Path of `nats-server` (else `$NATS_SERVER`, then the usual search). */
  readonly natsServer?: string | undefined;
  /** The nodes' `--log-level` (default info). */
  readonly logLevel?: string | undefined;
  /** How the nodes' log lines are shown (default pretty on a terminal, else json). */
  readonly logFormat?: LogFormat | undefined;
  /** How long to wait for a leader before saying so (default 30000). */
  readonly leaderTimeoutMs?: number | undefined;
  /** Ask the launcher running on `dir` for one more node instead of starting a cluster. */
  readonly addNode?: boolean | undefined;
  /** Flags for every node (`flexpaxos node` flags, given after `--`). */
  readonly nodeArgs?: readonly string[] | undefined;
}

/**
 * Runs `flexpaxos start`; resolves with the exit code once the cluster has been stopped
 * (signal) or failed to start. `out` receives the human-readable lines (stdout by default).
 */
export async function runStart(
  options: StartOptions,
  env: Readonly<Record<string, string | undefined>> = process.env,
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<number> {
  const err = (l: string): void => {
    process.stderr.write(`flexpaxos start: ${l}\n`);
  };
  const nodeExtra = [...(options.nodeArgs ?? [])];
  const nodeCount = options.nodes;
  let replication = options.replication;
  let election = options.election;
  const leaderTimeoutMs = options.leaderTimeoutMs ?? LEADER_TIMEOUT_MS_DEFAULT;
  const logLevel = options.logLevel ?? 'info';
  const isTty = process.stdout.isTTY;
  const logFormat: LogFormat = options.logFormat ?? (isTty ? 'pretty' : 'json');
  const dir = resolve(options.dir ?? DEFAULT_CLUSTER_DIR);
  const dirShown = options.dir ?? DEFAULT_CLUSTER_DIR;
  if (options.addNode === true) {
    if (nodeCount !== undefined || replication !== undefined || election !== undefined) {
      err('--add-node takes only --dir (quorum sizes change with `flexpaxos quorum set`)');
      return 2;
    }
    return await requestAddNode(dir, dirShown, out, err);
  }

  // ---- nats-server first: a missing binary is the most likely problem on a new machine.
  let natsBin: string;
  try {
    natsBin = locateNatsServer(options.natsServer ?? env['NATS_SERVER']);
  } catch (e) {
    err((e as Error).message);
    return 1;
  }

  // ---- the cluster's identity: stored, or new.
  let stored: ClusterFile | undefined;
  try {
    stored = readClusterFile(dir);
  } catch (e) {
    if (!(e instanceof ClusterFileError && e.code === 'missing')) {
      err(`${(e as Error).message}\n(use another --dir, or remove ${dirShown} to start afresh)`);
      return 1;
    }
  }
  let clusterName: string;
  let members: number[];
  let joined: number[] = [];
  if (stored !== undefined) {
    const s = stored;
    const disagree: string[] = [];
    if (nodeCount !== undefined && nodeCount !== s.members.length)
      disagree.push(`--nodes ${nodeCount} (it has ${s.members.length} nodes)`);
    if (replication !== undefined && replication !== s.replication)
      disagree.push(`--replication ${replication} (it has P=${s.replication})`);
    if (election !== undefined && election !== s.election)
      disagree.push(`--election ${election} (it has L=${s.election})`);
    if (disagree.length > 0) {
      err(
        `${dirShown} already holds cluster ${s.cluster} (N=${s.members.length} P=${s.replication} L=${s.election}); ` +
          `these flags disagree with it: ${disagree.join(', ')}. ` +
          `Start it as it is (drop those flags), use another --dir, or remove ${dirShown} to start afresh (its data is lost).`,
      );
      return 2;
    }
    if (s.running && isLauncherAlive(s.launcherPid) && s.launcherPid !== process.pid) {
      err(
        `cluster ${s.cluster} in ${dirShown} is already running (launcher pid ${s.launcherPid}); stop it with Ctrl-C in its terminal or \`kill ${s.launcherPid}\``,
      );
      return 1;
    }
    if (s.running) await reapLeftovers(dir, s, out);
    clusterName = s.cluster;
    members = [...s.members];
    joined = [...(s.joined ?? [])];
    replication = s.replication;
    election = s.election;
  } else {
    if (existsSync(dir) && readdirSync(dir).some((f) => /^n\d+$/.test(f))) {
      err(
        `${dirShown} holds node data but no ${clusterFilePath(dirShown)}: the cluster name is unknown. Use another --dir, or remove ${dirShown} to start afresh.`,
      );
      return 1;
    }
    const n = nodeCount ?? 3;
    members = Array.from({ length: n }, (_, i) => i + 1);
    replication ??= Math.floor(n / 2) + 1;
    const problems = validateCountingQuorum({ members, replication, election });
    if (problems.length > 0) {
      err(problems.map((p) => `${p.field}: ${p.message}`).join('\n'));
      return 2;
    }
    election ??= n - replication + 1;
    clusterName = `local-${randomBytes(3).toString('hex')}`;
  }
  mkdirSync(dir, { recursive: true });

  // ---- process bookkeeping and shutdown, set up before the first child starts.
  let nats: ChildProcess | undefined;
  let natsPid: number | null = null;
  let natsExit: Promise<void> = Promise.resolve();
  const nodes: RunningNode[] = [];
  let stopping = false;
  let signalled = false;
  let stopRequested: (() => void) | undefined;
  const stopSignal = new Promise<void>((r) => (stopRequested = r));
  const killAll = (): void => {
    for (const n of nodes) if (!n.exited) n.proc.kill('SIGKILL');
    if (nats?.pid !== undefined && nats.exitCode === null && nats.signalCode === null) {
      try {
        process.kill(-nats.pid, 'SIGKILL'); // the watchdog's group: nats-server included
      } catch {
        // gone
      }
    }
  };
  process.on('exit', killAll);
  let firstSignalMs = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // Under `pnpm start` one Ctrl-C arrives twice (from the terminal and forwarded by
      // pnpm): only a signal well after the first means "hurry up".
      if (performance.now() - firstSignalMs < 1000) return;
      out(`${signal} again: killing everything now`);
      killAll();
      return;
    }
    stopping = true;
    signalled = true;
    firstSignalMs = performance.now();
    out(`\n${signal}: stopping the cluster (nodes drain, then nats-server)...`);
    stopRequested?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const startedAt = new Date().toISOString();
  let natsUrl: string | undefined;
  const fileNow = (running: boolean, leader: number | null): ClusterFile => ({
    version: 1,
    cluster: clusterName,
    nats: natsUrl === undefined ? [] : [natsUrl],
    members,
    ...(joined.length > 0 ? { joined } : {}),
    replication: replication ?? 0,
    election: election ?? 0,
    running,
    launcherPid: running ? process.pid : null,
    natsPid: running ? natsPid : null,
    leader,
    startedAt,
    stoppedAt: running ? null : new Date().toISOString(),
    nodes: members.map((id): ClusterFileNode => {
      const n = nodes.find((x) => x.id === id);
      return {
        id,
        pid: running && n !== undefined && !n.exited ? (n.proc.pid ?? null) : null,
        http: running && n !== undefined && !n.exited ? n.http : null,
        dataDir: join(dir, `n${id}`),
        log: join(dir, `n${id}.log`),
      };
    }),
  });

  const follower =
    logFormat === 'none'
      ? undefined
      : new LogFollower(logLineFormatter(logFormat, isTty), (text) => out(text.slice(0, -1)));

  const { execArgv, entry } = cliEntry();
  /** Starts node `id` (`--join` for the nodes added to a running cluster). */
  const spawnNode = (id: number): RunningNode => {
    const dataDir = join(dir, `n${id}`);
    const log = join(dir, `n${id}.log`);
    const logFd = openSync(log, 'a');
    follower?.add(log);
    const identity = joined.includes(id)
      ? ['--join']
      : [
          '--members',
          members.filter((m) => !joined.includes(m)).join(','),
          '--replication',
          String(replication),
          '--election',
          String(election),
        ];
    const proc = spawn(
      process.execPath,
      [
        ...execArgv,
        entry,
        'node',
        '--id',
        String(id),
        '--cluster',
        clusterName,
        ...identity,
        '--nats',
        natsUrl ?? '',
        '--data-dir',
        dataDir,
        '--http-port',
        '0',
        '--log-level',
        logLevel,
        ...nodeExtra,
      ],
      {
        detached: true,
        stdio: ['pipe', 'pipe', logFd],
        env: { ...env, [STOP_WITH_STDIN_ENV]: '1' },
      },
    );
    closeSync(logFd);
    const node: RunningNode = {
      id,
      proc,
      dataDir,
      log,
      http: null,
      exited: false,
      exit: new Promise((r) =>
        proc.once('exit', (code, signal) => {
          node.exited = true;
          if (!stopping) {
            err(`node ${id} exited (${code ?? signal}); see ${join(dirShown, `n${id}.log`)}`);
          }
          r();
        }),
      ),
    };
    return node;
  };

  /** Serves `--add-node`: one more node, added to the configuration, recorded in the file. */
  let control: NatsConnection | undefined;
  let adding = false;
  const serveAddNode = async (url: string, leader: () => number | null): Promise<void> => {
    const nc = await connect({ servers: [url], name: `flexpaxos-launcher-${clusterName}` });
    control = nc;
    nc.subscribe(launcherSubject(clusterName), {
      callback: (_e, msg) => {
        const reply = (o: unknown): void => {
          msg.respond(new TextEncoder().encode(JSON.stringify(o)));
        };
        if (adding || stopping) {
          reply({
            ok: false,
            error: stopping ? 'the cluster is stopping' : 'a node is being added already',
          });
          return;
        }
        adding = true;
        const id = Math.max(...members) + 1;
        void (async () => {
          joined.push(id);
          members.push(id);
          const node = spawnNode(id);
          nodes.push(node);
          await waitStarted(node, dirShown);
          writeClusterFile(dir, fileNow(true, leader()));
          out(
            `node ${id}  pid ${node.proc.pid}  ${node.http ?? ''}  (joining; adding it to the configuration)`,
          );
          const client = FlexPaxosClient.fromConnection(nc, { cluster: clusterName });
          const added = await client.addMember(id);
          out(`node ${id} added: ${added.config.quorum.text}`);
          return { ok: true, id, http: node.http, reply: added };
        })()
          .then(
            (o) => reply(o),
            (e: unknown) => {
              const error = e instanceof Error ? e.message : String(e);
              out(`adding node ${id} failed: ${error}`);
              reply({ ok: false, id, error });
            },
          )
          .finally(() => {
            adding = false;
          });
      },
    });
    await nc.flush();
  };

  const stopAll = async (): Promise<void> => {
    await control?.close().catch(() => undefined);
    for (const n of nodes) if (!n.exited) n.proc.kill('SIGTERM');
    const all = Promise.all(nodes.map((n) => n.exit));
    const timer = setTimeout(() => {
      for (const n of nodes) {
        if (!n.exited) {
          out(`node ${n.id} did not stop within ${NODE_STOP_TIMEOUT_MS} ms: killing it`);
          n.proc.kill('SIGKILL');
        }
      }
    }, NODE_STOP_TIMEOUT_MS);
    await all;
    clearTimeout(timer);
    if (nats !== undefined && nats.exitCode === null && nats.signalCode === null) {
      nats.stdin?.end(); // the watchdog sends nats-server SIGTERM
      const t = setTimeout(killAll, 5000);
      await natsExit;
      clearTimeout(t);
    }
    writeClusterFile(dir, fileNow(false, null));
    follower?.close();
    process.off('exit', killAll);
  };

  try {
    // ---- nats-server on a free port, in its own process group.
    const natsConf = join(dir, 'nats.conf');
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      writeFileSync(
        natsConf,
        `listen: "127.0.0.1:${port}"\nserver_name: ${JSON.stringify(`${clusterName}-nats`)}\n`,
      );
      const logFd = openSync(join(dir, 'nats.log'), 'a');
      const proc = spawn('/bin/sh', ['-c', NATS_WATCHDOG, 'sh', natsBin, '-c', natsConf], {
        detached: true,
        stdio: ['pipe', 'pipe', logFd],
      });
      closeSync(logFd);
      nats = proc;
      natsPid = null;
      proc.stdout?.setEncoding('utf8');
      proc.stdout?.once('data', (d: string) => {
        const pid = Number(d.trim().split('\n')[0]);
        if (Number.isSafeInteger(pid) && pid > 0) natsPid = pid;
      });
      natsExit = new Promise((r) => proc.once('exit', () => r()));
      let exited = false;
      void natsExit.then(() => {
        exited = true;
        if (!stopping && nats === proc) {
          err(`nats-server exited unexpectedly; see ${join(dirShown, 'nats.log')}`);
        }
      });
      const deadline = performance.now() + 10_000;
      while (!exited && performance.now() < deadline && !(await canConnect(port))) await sleep(20);
      if (!exited && performance.now() < deadline) {
        natsUrl = `nats://127.0.0.1:${port}`;
        break;
      }
      if (proc.pid !== undefined && !exited) {
        try {
          process.kill(-proc.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      if (attempt >= 2) {
        throw new StartError(
          `nats-server did not start on 127.0.0.1:${port}; see ${join(dirShown, 'nats.log')}`,
        );
      }
    }
    out(`nats-server ${natsUrl} (pid ${natsPid ?? '?'})`);

    // ---- the nodes.
    for (const id of members) nodes.push(spawnNode(id));
    await Promise.race([
      Promise.all(nodes.map((n) => waitStarted(n, dirShown))),
      stopSignal.then(() => {
        throw new StartError('stopped before the nodes started');
      }),
    ]);
    for (const n of nodes)
      out(
        `node ${n.id}  pid ${n.proc.pid}  ${n.http ?? ''}  data ${join(dirShown, `n${n.id}`)}  log ${join(dirShown, `n${n.id}.log`)}`,
      );
    writeClusterFile(dir, fileNow(true, null));

    // ---- wait for a leader.
    const leader = await Promise.race([
      waitLeader(nodes, leaderTimeoutMs),
      stopSignal.then(() => undefined),
    ]);
    writeClusterFile(dir, fileNow(true, leader ?? null));
    if (natsUrl !== undefined) await serveAddNode(natsUrl, () => leader ?? null);
    if (!stopping) {
      if (leader === undefined) {
        out(
          `no leader within ${leaderTimeoutMs} ms; the nodes keep trying (see the logs in ${dirShown})`,
        );
      }
      const dirFlag = options.dir === undefined ? '' : ` --dir ${dirShown}`;
      // The configuration in force (it may have changed since the first start).
      const shape = await configShape(nodes.find((n) => n.id === leader)?.http ?? null);
      out(
        [
          '',
          `FlexPaxos cluster ${clusterName} is up: ${shape ?? `N=${members.length} P=${replication} L=${election}`}${leader === undefined ? '' : `, leader node ${leader}`}.`,
          `Data in ${dirShown} (kept across restarts); cluster file ${clusterFilePath(dirShown)}.`,
          'Talk to it from the repository root (another terminal):',
          `  pnpm flexpaxos put greeting hello${dirFlag}`,
          `  pnpm flexpaxos get greeting${dirFlag}                   # --read lease (default) | quorum | stale`,
          `  pnpm flexpaxos cas greeting 1 bye${dirFlag}`,
          `  pnpm flexpaxos range ""${dirFlag}`,
          `  pnpm flexpaxos status${dirFlag}                         # --json for machines`,
          `  pnpm flexpaxos members${dirFlag}                        # add/remove, quorum set, leader transfer`,
          `  pnpm start --add-node${dirFlag || ' --dir .flexpaxos'}             # one more node, added to the configuration`,
          `Or with any client: --nats ${natsUrl} --cluster ${clusterName}`,
          ...(nodes[0]?.http === null || nodes[0] === undefined
            ? []
            : [`Status page: ${nodes[0].http}/ (every node serves one; metrics at /metrics)`]),
          'Ctrl-C stops the cluster (the data stays).',
        ].join('\n'),
      );
    }
    await stopSignal;
    await stopAll();
    out('stopped.');
    return 0;
  } catch (e) {
    err(e instanceof Error ? e.message : String(e));
    stopping = true;
    await stopAll().catch(() => undefined);
    return signalled ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Resolves once the node printed its `started` line; throws if it exits first. */
function waitStarted(node: RunningNode, dirShown: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    let buf = '';
    node.proc.stdout?.setEncoding('utf8');
    node.proc.stdout?.on('data', (d: string) => {
      buf += d;
      for (const line of buf.split('\n')) {
        if (line.startsWith('{"event":"started"')) {
          try {
            node.http = (JSON.parse(line) as { http: string | null }).http;
          } catch {
            // keep null
          }
          resolvePromise();
        }
      }
      if (buf.length > 100_000) buf = buf.slice(-1000);
    });
    void node.exit.then(() => {
      let tail = '';
      try {
        tail = readFileSync(node.log, 'utf8').trimEnd().split('\n').slice(-6).join('\n');
      } catch {
        // no log
      }
      reject(
        new StartError(
          `node ${node.id} exited before starting; the end of ${join(dirShown, `n${node.id}.log`)}:\n${tail}`,
        ),
      );
    });
  });
}

/** `N=4 P=2 L=3` of the configuration a node reports on `/status`, or undefined. */
async function configShape(http: string | null): Promise<string | undefined> {
  if (http === null) return undefined;
  try {
    const res = await fetch(`${http}/status`, { signal: AbortSignal.timeout(1000) });
    const s = (await res.json()) as { members?: number[]; replication?: number; election?: number };
    if (!Array.isArray(s.members) || s.members.length === 0) return undefined;
    return `N=${s.members.length} P=${s.replication} L=${s.election}`;
  } catch {
    return undefined;
  }
}

/** Polls every node's `/status` until one reports itself leader; undefined on timeout. */
async function waitLeader(
  nodes: readonly RunningNode[],
  timeoutMs: number,
): Promise<number | undefined> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    for (const n of nodes) {
      if (n.http === null || n.exited) continue;
      try {
        const res = await fetch(`${n.http}/status`, { signal: AbortSignal.timeout(1000) });
        const s = (await res.json()) as { role?: string; id?: number };
        if (s.role === 'leader' && typeof s.id === 'number') return s.id;
      } catch {
        // not up yet
      }
    }
    await sleep(100);
  }
  return undefined;
}

/** `flexpaxos start --dir DIR --add-node`: asks the launcher running on `DIR` for one more node. */
async function requestAddNode(
  dir: string,
  dirShown: string,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  let file: ClusterFile;
  try {
    file = readClusterFile(dir);
  } catch (e) {
    err(`${(e as Error).message}\n(start the cluster first: flexpaxos start --dir ${dirShown})`);
    return 1;
  }
  if (!file.running || !isLauncherAlive(file.launcherPid) || file.nats.length === 0) {
    err(
      `cluster ${file.cluster} in ${dirShown} is not running: start it first (flexpaxos start --dir ${dirShown})`,
    );
    return 1;
  }
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: [...file.nats], name: 'flexpaxos-add-node' });
  } catch (e) {
    err(`cannot reach the cluster's nats-server at ${file.nats.join(', ')}: ${String(e)}`);
    return 1;
  }
  try {
    const msg = await nc.request(launcherSubject(file.cluster), new Uint8Array(), {
      timeout: ADD_NODE_TIMEOUT_MS,
    });
    const r = JSON.parse(new TextDecoder().decode(msg.data)) as {
      ok: boolean;
      id?: number;
      http?: string | null;
      error?: string;
      reply?: { config: { quorum: { text: string } } };
    };
    if (!r.ok) {
      err(`node ${r.id ?? '?'} was not added: ${r.error ?? 'unknown error'}`);
      return 1;
    }
    out(
      `node ${r.id} is running (${r.http ?? 'no http'}) and was added: ${r.reply?.config.quorum.text ?? ''}`,
    );
    return 0;
  } catch (e) {
    err(`the launcher of ${dirShown} did not answer: ${String(e)}`);
    return 1;
  } finally {
    await nc.close().catch(() => undefined);
  }
}
