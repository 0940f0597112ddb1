/**
 * A nemesis cluster: the NATS topology (one nats-server per node, routes through proxies) and
 * N `flexpaxos node` processes from the built server, node i connected only to nats-server i.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sabotage } from './args.js';
import { NemesisNode, nodeDataDir } from './node-process.js';
import type { NodeStatus, UnexpectedExit } from './node-process.js';
import { NatsTopology } from './topology.js';

/** The repository root (`apps/nemesis/src` or `apps/nemesis/dist` is two levels below). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The built server CLI every node runs. */
export const SERVER_CLI = join(REPO_ROOT, 'apps/server/dist/cli.js');

/** The FlexPaxos cluster name of every nemesis cluster. */
export const CLUSTER_NAME = 'nemesis';

/** What a cluster runs with. */
export interface ClusterSpec {
  readonly nodes: number;
  readonly replication: number;
  readonly election: number;
  readonly leaseMs: number;
  readonly driftMs: number;
  readonly electionTimeoutMs: number;
  readonly electionJitterMs: number;
  readonly thrifty: boolean;
  readonly sabotage: Sabotage | undefined;
  /** Node and nats-server logs go here. */
  readonly logDir: string;
  /** Node data directories go here. */
  readonly dataDir: string;
}

function newestMtime(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (name.endsWith('.ts')) newest = Math.max(newest, st.mtimeMs);
  }
  return newest;
}

/**
 * Problems with the build the nodes would run: a missing `dist`, or a package whose `src` is
 * newer than its `dist` (the nodes would run old code). Empty when the build is usable.
 */
export function buildProblems(root = REPO_ROOT): string[] {
  const problems: string[] = [];
  if (!existsSync(join(root, 'apps/server/dist/cli.js'))) {
    return [`${join(root, 'apps/server/dist/cli.js')} is missing: run pnpm build first`];
  }
  const dirs = [
    join(root, 'apps/server'),
    ...readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d)),
  ];
  for (const dir of dirs) {
    const dist = join(dir, 'dist');
    if (!existsSync(dist)) continue;
    const built = statSync(dist).mtimeMs;
    const entry = ['index.js', 'cli.js'].map((f) => join(dist, f)).find((f) => existsSync(f));
    const builtAt = entry === undefined ? built : statSync(entry).mtimeMs;
    if (newestMtime(join(dir, 'src')) > builtAt) {
      problems.push(`${dir}/src is newer than its dist: run pnpm build first`);
    }
  }
  return problems;
}

/** Compares formatted ballots `round.nodeId`. */
export function compareBallotText(a: string, b: string): number {
  const [ra = 0, na = 0] = a.split('.').map(Number);
  const [rb = 0, nb = 0] = b.split('.').map(Number);
  return ra !== rb ? ra - rb : na - nb;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A running cluster. Create with {@link NemesisCluster.start}. */
export class NemesisCluster {
  readonly ids: readonly number[];
  readonly topology: NatsTopology;
  readonly #nodes: ReadonlyMap<number, NemesisNode>;
  /** Node exits the harness did not cause, in order. */
  readonly unexpectedExits: UnexpectedExit[];

  private constructor(
    ids: readonly number[],
    topology: NatsTopology,
    nodes: ReadonlyMap<number, NemesisNode>,
    exits: UnexpectedExit[],
  ) {
    this.ids = ids;
    this.topology = topology;
    this.#nodes = nodes;
    this.unexpectedExits = exits;
  }

  /** Starts the topology and every node; resolves once every node printed its `started` line. */
  static async start(spec: ClusterSpec, originMs: number): Promise<NemesisCluster> {
    const problems = buildProblems();
    if (problems.length > 0) throw new Error(problems.join('\n'));
    mkdirSync(spec.logDir, { recursive: true });
    mkdirSync(spec.dataDir, { recursive: true });
    const ids = Array.from({ length: spec.nodes }, (_, i) => i + 1);
    const topology = await NatsTopology.start({ ids, logDir: spec.logDir });
    const exits: UnexpectedExit[] = [];
    const nodes = new Map<number, NemesisNode>();
    for (const id of ids) {
      nodes.set(
        id,
        new NemesisNode(
          {
            id,
            members: ids,
            replication: spec.replication,
            election: spec.election,
            cluster: CLUSTER_NAME,
            natsUrl: topology.url(id),
            dataDir: nodeDataDir(spec.dataDir, id),
            logFile: join(spec.logDir, `node-${id}.log`),
            leaseMs: spec.leaseMs,
            driftMs: spec.driftMs,
            electionTimeoutMs: spec.electionTimeoutMs,
            electionJitterMs: spec.electionJitterMs,
            thrifty: spec.thrifty,
            sabotage: spec.sabotage,
            cli: SERVER_CLI,
          },
          originMs,
          (e) => exits.push(e),
        ),
      );
    }
    const cluster = new NemesisCluster(ids, topology, nodes, exits);
    try {
      await Promise.all([...nodes.values()].map((n) => n.start()));
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Node `id`. */
  node(id: number): NemesisNode {
    const n = this.#nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  /** Every node. */
  get nodes(): NemesisNode[] {
    return [...this.#nodes.values()];
  }

  /** The status of every node that answers (over HTTP, whatever the partition). */
  async statuses(timeoutMs = 500): Promise<Map<number, NodeStatus>> {
    const out = new Map<number, NodeStatus>();
    await Promise.all(
      this.nodes.map(async (n) => {
        const s = await n.status(timeoutMs);
        if (s !== undefined) out.set(n.id, s);
      }),
    );
    return out;
  }

  /** The node that says it leads with the highest ballot, if any. */
  async leader(): Promise<number | undefined> {
    let best: NodeStatus | undefined;
    for (const s of (await this.statuses()).values()) {
      if (s.role !== 'leader') continue;
      if (best === undefined || compareBallotText(s.ballot, best.ballot) > 0) best = s;
    }
    return best?.id;
  }

  /**
   * Waits for a leader whose lease serves reads (or, with `anyLeader`, any leader) and returns
   * its id; throws after `timeoutMs`.
   */
  async waitForLeader(timeoutMs: number, anyLeader = false): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const statuses = await this.statuses();
      const leaders = [...statuses.values()].filter(
        (s) => s.role === 'leader' && (anyLeader || s.leaseState?.servesReads === true),
      );
      const first = leaders.sort((a, b) => compareBallotText(b.ballot, a.ballot))[0];
      if (first !== undefined) return first.id;
      if (performance.now() > deadline) {
        const seen = [...statuses.values()].map((s) => `${s.id}:${s.role}@${s.ballot}`).join(' ');
        throw new Error(`no leader within ${timeoutMs} ms (statuses: ${seen || 'none'})`);
      }
      await sleep(100);
    }
  }

  /** Kills every node (-9) and stops the topology. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()));
    await this.topology.stop();
  }
}
