/**
 * What the status page (`status-page.ts`) polls:
 *
 * - `/overview` of every node: {@link NodeOverview}, this node's status report, the
 *   configuration in force as this node knows it, its counters and latency histograms (the
 *   page derives rates and latencies from the difference between two polls), and its last
 *   role changes.
 * - `/cluster` of the node that served the page: {@link ClusterView}, every member with the
 *   HTTP address it reported over NATS (a status request to the cluster's status subject, the
 *   one `flexpaxos status` uses), so the page can poll each node's `/overview` directly. A
 *   member that did not answer is listed without an address.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { clusterStatusSubject, decodeResponse, encodeRequest } from '@flexpaxos/client';
import type { NodeStatusReport } from '@flexpaxos/client';
import { configVoters } from '@flexpaxos/paxos';
import type { ConfigState, Configuration } from '@flexpaxos/paxos';
import type { HistogramSnapshot } from './metrics.js';
import type { ServerStatusReport } from './reads.js';

/** One role change of a node (its own view). */
export interface RoleChange {
  /** Wall-clock time, ms since the epoch. */
  readonly atMs: number;
  readonly from: string;
  readonly to: string;
  /** The promised ballot after the change, `round.nodeId`. */
  readonly ballot: string;
  readonly leader: number | null;
}

/** Role changes kept per node for the page. */
export const ROLE_CHANGES_KEPT = 20;

/** One configuration as plain data: voters, learners, and P and L for counting quorums. */
export interface ConfigurationView {
  readonly voters: readonly number[];
  readonly learners: readonly number[];
  /** `counting` (P of N, L of N) or `grid`. */
  readonly quorum: 'counting' | 'grid';
  /** P (counting quorums), else null. */
  readonly replication: number | null;
  /** L (counting quorums), else null. */
  readonly election: number | null;
  readonly preferredLeader: number | null;
}

/** The configuration in force as a node knows it. */
export interface ConfigView {
  /** The new (or only) configuration. */
  readonly incoming: ConfigurationView;
  /** The old configuration while a joint change runs, else null. */
  readonly outgoing: ConfigurationView | null;
  /** The slot of the entry that put it in force (0: the bootstrap or a snapshot base). */
  readonly index: number;
}

/** `/overview` of one node. */
export interface NodeOverview {
  /** Wall-clock time of the answer, ms since the epoch. */
  readonly nowMs: number;
  /** Seconds since the node started. */
  readonly uptimeS: number;
  readonly status: ServerStatusReport;
  /** Null before the node learned any configuration. */
  readonly config: ConfigView | null;
  readonly counters: {
    /** Client commands applied by this node (every node applies every write). */
    readonly commandsApplied: number;
    /** Client commands this node proposed as leader. */
    readonly proposals: number;
    /** Stale reads served by this node. */
    readonly readsStale: number;
  };
  /** Latency histograms of what this node served (seconds; bucket `le` null is +Inf). */
  readonly latency: {
    readonly write: HistogramSnapshot;
    readonly readLease: HistogramSnapshot;
    readonly readQuorum: HistogramSnapshot;
  };
  /** The last role changes, oldest first. */
  readonly roleChanges: readonly RoleChange[];
}

/** One member in {@link ClusterView}. */
export interface ClusterMember {
  readonly id: number;
  /** `http://host:port` the node reported, or null when it did not answer or serves no HTTP. */
  readonly http: string | null;
  /** Its status report, or null when it did not answer. */
  readonly status: NodeStatusReport | null;
}

/** `/cluster`: every member this node knows and what answered a status request. */
export interface ClusterView {
  readonly cluster: string;
  /** The node that answered `/cluster`. */
  readonly self: number;
  /** Members (voters and learners of every configuration in force, and any node that answered). */
  readonly members: readonly ClusterMember[];
}

function configurationView(c: Configuration): ConfigurationView {
  const q = c.quorum;
  return {
    voters: configVoters(c),
    learners: [...c.learners].sort((a, b) => a - b),
    quorum: q.kind,
    replication: q.kind === 'counting' ? q.replication : null,
    election: q.kind === 'counting' ? q.election : null,
    preferredLeader: c.preferredLeader ?? null,
  };
}

/** The configuration in force as plain data. */
export function configView(state: ConfigState | undefined, index: number): ConfigView | null {
  if (state === undefined) return null;
  return {
    incoming: configurationView(state.incoming),
    outgoing: state.outgoing === undefined ? null : configurationView(state.outgoing),
    index,
  };
}

/**
 * Asks every node of `cluster` for its status over NATS and waits `waitMs` for the answers;
 * lists `members` (and any other node that answered), ascending.
 */
export async function gatherCluster(
  nc: NatsConnection,
  cluster: string,
  self: number,
  members: readonly number[],
  waitMs: number,
): Promise<ClusterView> {
  const reports = new Map<number, NodeStatusReport>();
  try {
    const replies = await nc.requestMany(
      clusterStatusSubject(cluster),
      encodeRequest({ kind: 'status' }),
      { strategy: 'timer', maxWait: waitMs },
    );
    for await (const m of replies) {
      const r = decodeResponse(m.data);
      if (r.ok && r.value.kind === 'status') reports.set(r.value.status.id, r.value.status);
    }
  } catch {
    // No answer at all (not even our own): list the members without addresses.
  }
  const ids = [...new Set([...members, ...reports.keys()])].sort((a, b) => a - b);
  return {
    cluster,
    self,
    members: ids.map((id) => {
      const status = reports.get(id) ?? null;
      return { id, http: status?.http ?? null, status };
    }),
  };
}
