/**
 * `DIR/cluster.json`: what `flexpaxos start` (`pnpm start`) records about the local cluster it
 * runs from `DIR`, so client commands find it with `--dir DIR` (default `.flexpaxos`) and a
 * later start on the same `DIR` reuses the same cluster name and node ids (the nodes' data
 * directories are bound to them and refuse anything else).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The default local-cluster directory, relative to the current directory. */
export const DEFAULT_CLUSTER_DIR = '.flexpaxos';
/** The file name inside the cluster directory. */
export const CLUSTER_FILE_NAME = 'cluster.json';

/** One node as the launcher started it. */
export interface ClusterFileNode {
  readonly id: number;
  /** OS process id while running, null once stopped. */
  readonly pid: number | null;
  /** `http://host:port` of its HTTP endpoint while running, null once stopped. */
  readonly http: string | null;
  /** Its data directory (absolute). */
  readonly dataDir: string;
  /** Its log file (JSON lines, appended across restarts). */
  readonly log: string;
}

/** The content of `DIR/cluster.json` (format version 1). */
export interface ClusterFile {
  readonly version: 1;
  /** The FlexPaxos cluster name (NATS subject namespace); fixed at the first start. */
  readonly cluster: string;
  /** NATS URLs of the local `nats-server` (a new free port at each start). */
  readonly nats: readonly string[];
  /**
   * The ids of the nodes the launcher runs: the first start's N nodes, then the ones added
   * with `flexpaxos start --add-node`. (The cluster's voters are its replicated
   * configuration: `flexpaxos members`.)
   */
  readonly members: readonly number[];
  /** Of `members`, the nodes added to a running cluster (started with `--join`). */
  readonly joined?: readonly number[];
  /** P of the first start (later changes: `flexpaxos quorum set`, shown by `members`). */
  readonly replication: number;
  /** L of the first start. */
  readonly election: number;
  /** True while the launcher runs (set false when it stops cleanly). */
  readonly running: boolean;
  /** The launcher's pid (null once stopped). */
  readonly launcherPid: number | null;
  /** The `nats-server` pid (null once stopped). */
  readonly natsPid: number | null;
  /** The leader seen when the cluster became ready (null before, or if none came). */
  readonly leader: number | null;
  /** ISO time of the last start. */
  readonly startedAt: string;
  /** ISO time of the last clean stop, null while running. */
  readonly stoppedAt: string | null;
  readonly nodes: readonly ClusterFileNode[];
}

/** The path of `cluster.json` in `dir`. */
export function clusterFilePath(dir: string): string {
  return join(dir, CLUSTER_FILE_NAME);
}

/** `DIR/cluster.json` cannot be used: missing, unreadable or not a cluster file. */
export class ClusterFileError extends Error {
  override readonly name = 'ClusterFileError';
  /** `missing` (no file), `invalid` (not JSON or wrong shape). */
  readonly code: 'missing' | 'invalid';
  constructor(code: 'missing' | 'invalid', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** `--nats` without `--cluster` or the reverse: a usage error (the CLI exits 2). */
export class ClusterTargetUsageError extends Error {
  override readonly name = 'ClusterTargetUsageError';
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isIntOrNull = (v: unknown): boolean => v === null || isInt(v);
const isStrOrNull = (v: unknown): boolean => v === null || typeof v === 'string';

/** Reads and checks `DIR/cluster.json`; throws {@link ClusterFileError}. */
export function readClusterFile(dir: string): ClusterFile {
  const path = clusterFilePath(dir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') {
      throw new ClusterFileError('missing', `${path} does not exist`, { cause: err });
    }
    throw new ClusterFileError('invalid', `cannot read ${path}: ${String(err)}`, { cause: err });
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new ClusterFileError('invalid', `${path} is not JSON: ${String(err)}`, { cause: err });
  }
  const o = v as Partial<Record<keyof ClusterFile, unknown>>;
  const bad = (what: string): never => {
    throw new ClusterFileError('invalid', `${path}: ${what}`);
  };
  if (typeof v !== 'object' || v === null) bad('must hold a JSON object');
  if (o.version !== 1) bad(`version must be 1 (got ${JSON.stringify(o.version)})`);
  if (typeof o.cluster !== 'string' || o.cluster === '') bad('cluster must be a name');
  if (!Array.isArray(o.nats) || !o.nats.every((u) => typeof u === 'string'))
    bad('nats must be a list of URLs');
  if (!Array.isArray(o.members) || o.members.length === 0 || !o.members.every(isInt))
    bad('members must be a list of node ids');
  if (!isInt(o.replication) || !isInt(o.election)) bad('replication and election must be integers');
  if (o.joined !== undefined && (!Array.isArray(o.joined) || !o.joined.every(isInt)))
    bad('joined must be a list of node ids');
  if (typeof o.running !== 'boolean') bad('running must be a boolean');
  if (!isIntOrNull(o.launcherPid) || !isIntOrNull(o.natsPid) || !isIntOrNull(o.leader))
    bad('launcherPid, natsPid and leader must be integers or null');
  if (typeof o.startedAt !== 'string' || !isStrOrNull(o.stoppedAt))
    bad('startedAt and stoppedAt must be times');
  if (!Array.isArray(o.nodes)) bad('nodes must be a list');
  for (const n of o.nodes as unknown[]) {
    const x = n as Partial<Record<keyof ClusterFileNode, unknown>>;
    if (
      typeof n !== 'object' ||
      n === null ||
      !isInt(x.id) ||
      !isIntOrNull(x.pid) ||
      !isStrOrNull(x.http) ||
      typeof x.dataDir !== 'string' ||
      typeof x.log !== 'string'
    ) {
      bad('every node needs id, pid, http, dataDir and log');
    }
  }
  return v as ClusterFile;
}

/** Writes `DIR/cluster.json` atomically (temporary file, then rename). */
export function writeClusterFile(dir: string, file: ClusterFile): void {
  const path = clusterFilePath(dir);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`);
  renameSync(tmp, path);
}

/** Whether a process with this pid exists (and may be signalled by us). */
export function isProcessAlive(pid: number | null): boolean {
  if (pid === null || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/**
 * Whether the launcher recorded in a cluster file still runs: the pid is alive and, where
 * `/proc` tells, its command line is a `start` (a reused pid is not taken for the launcher).
 */
export function isLauncherAlive(pid: number | null): boolean {
  if (!isProcessAlive(pid)) return false;
  let cmd: string;
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true; // no /proc: trust the pid
  }
  return cmd.split('\0').includes('start');
}

/**
 * Where client commands find the cluster: `--nats URL --cluster NAME` (or `FLEXPAXOS_NATS` /
 * `FLEXPAXOS_CLUSTER`) when given and no `--dir`, else `DIR/cluster.json` (`--dir`, default
 * `.flexpaxos`). Throws an Error whose message says what to do when neither works.
 */
export function resolveClusterTarget(opts: {
  readonly nats: string | undefined;
  readonly cluster: string | undefined;
  readonly dir: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
}): { servers: string[]; cluster: string; from: string } {
  const envNats = opts.env['FLEXPAXOS_NATS'] === '' ? undefined : opts.env['FLEXPAXOS_NATS'];
  const envCluster =
    opts.env['FLEXPAXOS_CLUSTER'] === '' ? undefined : opts.env['FLEXPAXOS_CLUSTER'];
  const nats = opts.nats ?? (opts.dir === undefined ? envNats : undefined);
  const cluster = opts.cluster ?? (opts.dir === undefined ? envCluster : undefined);
  if (opts.dir === undefined && (nats !== undefined || cluster !== undefined)) {
    if (nats === undefined || cluster === undefined) {
      throw new ClusterTargetUsageError(
        'give both --nats URL and --cluster NAME (or FLEXPAXOS_NATS / FLEXPAXOS_CLUSTER), or --dir DIR of a local cluster',
      );
    }
    return { servers: nats.split(','), cluster, from: 'flags' };
  }
  const dir = opts.dir ?? DEFAULT_CLUSTER_DIR;
  let file: ClusterFile;
  try {
    file = readClusterFile(dir);
  } catch (err) {
    if (err instanceof ClusterFileError && err.code === 'missing') {
      throw new Error(
        `no local cluster in ${dir} (${clusterFilePath(dir)} does not exist): start one with \`pnpm start${opts.dir === undefined ? '' : ` --dir ${dir}`}\`, or pass --nats URL --cluster NAME`,
        { cause: err },
      );
    }
    throw err;
  }
  if (!file.running || !isLauncherAlive(file.launcherPid)) {
    throw new Error(
      `the local cluster ${file.cluster} in ${dir} is not running${file.stoppedAt === null ? '' : ` (stopped at ${file.stoppedAt})`}: start it with \`pnpm start${opts.dir === undefined ? '' : ` --dir ${dir}`}\``,
    );
  }
  const servers = nats === undefined ? [...file.nats] : nats.split(',');
  return { servers, cluster: cluster ?? file.cluster, from: clusterFilePath(dir) };
}
