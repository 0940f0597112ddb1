/**
 * The node's metrics on `/metrics`: one declarative table of every sample (name, type, help,
 * where its value comes from) and a minimal Prometheus text-format renderer for counters,
 * gauges and fixed-bucket histograms. No global registry: each node renders its own source.
 *
 * The table is the single definition of what the node exports: each row is what a
 * `prom-client` metric needs (`name`, `help`, a type, a `collect` reading the source), so a
 * port maps row by row.
 */
import type { StorageStats } from '@flexpaxos/storage-rocksdb';
import type { ReplicaStatus } from '@flexpaxos/paxos';
import type { TransportMetrics } from '@flexpaxos/transport-nats';
import type { ClientCounts } from './client-service.js';
import type { CompactionCounts } from './compaction.js';
import type { HostLoopCounts } from './host-loop.js';
import type { ReadCounts } from './reads.js';

/** A cumulative histogram with fixed upper bounds (seconds). */
export class Histogram {
  readonly bounds: readonly number[];
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = bounds.map(() => 0);
  }
  /** Records one observation. */
  observe(value: number): void {
    this.sum += value;
    this.count++;
    for (let i = 0; i < this.bounds.length; i++) {
      if (value <= (this.bounds[i] ?? Infinity)) this.counts[i] = (this.counts[i] ?? 0) + 1;
    }
  }
}

/** Latency buckets in seconds, 0.5 ms to 2.5 s. */
export const LATENCY_BUCKETS_S = [
  0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
] as const;

/** One sample of the text format. */
export interface MetricSample {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly value: number;
}

/** A counter sample named `flexpaxos_<name>`. */
export function counter(name: string, help: string, value: number): MetricSample {
  return { name: `flexpaxos_${name}`, help, type: 'counter', value };
}

/** A gauge sample named `flexpaxos_<name>`. */
export function gauge(name: string, help: string, value: number): MetricSample {
  return { name: `flexpaxos_${name}`, help, type: 'gauge', value };
}

/** Renders samples and histograms in the Prometheus text exposition format (version 0.0.4). */
export function renderPrometheus(
  samples: readonly MetricSample[],
  histograms: readonly { readonly name: string; readonly help: string; readonly h: Histogram }[],
): string {
  const lines: string[] = [];
  for (const s of samples) {
    lines.push(`# HELP ${s.name} ${s.help}`, `# TYPE ${s.name} ${s.type}`, `${s.name} ${s.value}`);
  }
  for (const { name, help, h } of histograms) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    h.bounds.forEach((b, i) => lines.push(`${name}_bucket{le="${b}"} ${h.counts[i] ?? 0}`));
    lines.push(
      `${name}_bucket{le="+Inf"} ${h.count}`,
      `${name}_sum ${h.sum}`,
      `${name}_count ${h.count}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Role transitions counted by the node. */
export interface RoleCounts {
  /** Times this node became leader. */
  electionsWon: number;
  /** Times this node started phase 1. */
  campaigns: number;
}

/** Everything the node's metrics read, gathered at scrape time. */
export interface NodeMetricsSource {
  readonly loop: HostLoopCounts;
  readonly clients: ClientCounts;
  readonly roles: RoleCounts;
  readonly compaction: CompactionCounts;
  readonly replica: ReplicaStatus;
  readonly transport: TransportMetrics;
  readonly storage: StorageStats;
  readonly reads: ReadCounts;
  /** Lease and quorum reads waiting in the read server. */
  readonly readsWaiting: number;
  /** Client sessions with a write waiting for its command to apply. */
  readonly pendingClientRequests: number;
  readonly histograms: {
    readonly persist: Histogram;
    readonly request: Histogram;
    readonly readLease: Histogram;
    readonly readQuorum: Histogram;
  };
}

/** One counter or gauge of the table; exported as `flexpaxos_<name>`. */
export interface MetricDefinition {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly value: (s: NodeMetricsSource) => number;
}

/** One histogram of the table (full name). */
export interface HistogramDefinition {
  readonly name: string;
  readonly help: string;
  readonly histogram: (s: NodeMetricsSource) => Histogram;
}

const b = (v: boolean): number => (v ? 1 : 0);

/** Every counter and gauge of `/metrics`, in output order. */
export const NODE_METRICS: readonly MetricDefinition[] = [
  {
    name: 'proposals_total',
    type: 'counter',
    help: 'Client commands proposed by this node as leader',
    value: (s) => s.clients.proposals,
  },
  {
    name: 'slots_applied_total',
    type: 'counter',
    help: 'Log slots applied to the state machine',
    value: (s) => s.loop.slotsApplied,
  },
  {
    name: 'commands_applied_total',
    type: 'counter',
    help: 'Client commands applied',
    value: (s) => s.loop.commandsApplied,
  },
  {
    name: 'elections_won_total',
    type: 'counter',
    help: 'Times this node became leader',
    value: (s) => s.roles.electionsWon,
  },
  {
    name: 'campaigns_total',
    type: 'counter',
    help: 'Times this node started phase 1',
    value: (s) => s.roles.campaigns,
  },
  {
    name: 'client_requests_total',
    type: 'counter',
    help: 'Client requests received',
    value: (s) => s.clients.requests,
  },
  {
    name: 'client_batches_total',
    type: 'counter',
    help: 'Client NATS messages that carried several coalesced requests',
    value: (s) => s.clients.batches,
  },
  {
    name: 'client_errors_total',
    type: 'counter',
    help: 'Client requests answered with an error frame',
    value: (s) => s.clients.errors,
  },
  {
    name: 'readies_total',
    type: 'counter',
    help: 'Ready bundles handled',
    value: (s) => s.loop.readies,
  },
  {
    name: 'snapshots_taken_total',
    type: 'counter',
    help: 'Snapshots taken (log compactions)',
    value: (s) => s.compaction.snapshotsTaken,
  },
  {
    name: 'snapshots_installed_total',
    type: 'counter',
    help: 'Snapshots received from a peer and installed',
    value: (s) => s.loop.snapshotsInstalled,
  },
  {
    name: 'synced_writes_total',
    type: 'counter',
    help: 'Synced RocksDB write batches (fsyncs)',
    value: (s) => s.storage.syncedWrites,
  },
  {
    name: 'unsynced_writes_total',
    type: 'counter',
    help: 'RocksDB writes of lazy bundles only (no fsync)',
    value: (s) => s.storage.unsyncedWrites,
  },
  {
    name: 'synced_write_seconds_total',
    type: 'counter',
    help: 'Time in synced RocksDB writes (event-loop thread)',
    value: (s) => s.storage.syncedWriteMs / 1000,
  },
  {
    name: 'unsynced_write_seconds_total',
    type: 'counter',
    help: 'Time in unsynced RocksDB writes',
    value: (s) => s.storage.unsyncedWriteMs / 1000,
  },
  {
    name: 'lazy_commit_persists_total',
    type: 'counter',
    help: 'Readies whose persist only advanced the committed index (written lazily)',
    value: (s) => s.loop.lazyPersists,
  },
  {
    name: 'bundles_written_total',
    type: 'counter',
    help: 'Persist bundles written',
    value: (s) => s.storage.bundlesWritten,
  },
  {
    name: 'peer_messages_out_total',
    type: 'counter',
    help: 'Peer messages handed to NATS',
    value: (s) => s.transport.messagesOut,
  },
  {
    name: 'peer_messages_in_total',
    type: 'counter',
    help: 'Peer messages received',
    value: (s) => s.transport.messagesIn,
  },
  {
    name: 'peer_messages_dropped_out_total',
    type: 'counter',
    help: 'Peer messages not sent',
    value: (s) => s.transport.outboundDropped,
  },
  {
    name: 'peer_messages_dropped_in_total',
    type: 'counter',
    help: 'Peer frames dropped on receipt',
    value: (s) => s.transport.inboundDropped,
  },
  {
    name: 'peer_decode_errors_total',
    type: 'counter',
    help: 'Peer frames or entries that did not decode',
    value: (s) => s.transport.decodeErrors,
  },
  {
    name: 'peer_batches_out_total',
    type: 'counter',
    help: 'Peer batch frames published',
    value: (s) => s.transport.batchesOut,
  },
  {
    name: 'is_leader',
    type: 'gauge',
    help: '1 when this node leads',
    value: (s) => b(s.replica.role === 'leader'),
  },
  {
    name: 'committed_index',
    type: 'gauge',
    help: 'Committed index',
    value: (s) => s.replica.committed,
  },
  { name: 'applied_index', type: 'gauge', help: 'Applied index', value: (s) => s.replica.applied },
  {
    name: 'ballot_round',
    type: 'gauge',
    help: 'Round of the promised ballot',
    value: (s) => s.replica.ballot.round,
  },
  {
    name: 'pending_client_requests',
    type: 'gauge',
    help: 'Client requests waiting for their command to apply',
    value: (s) => s.pendingClientRequests,
  },
  {
    name: 'inflight_slots',
    type: 'gauge',
    help: 'Proposed, not yet committed slots (leader)',
    value: (s) => s.replica.inflightSlots,
  },
  {
    name: 'reads_stale_total',
    type: 'counter',
    help: 'Stale reads served from local applied state',
    value: (s) => s.reads.stale,
  },
  {
    name: 'reads_lease_total',
    type: 'counter',
    help: 'Reads served locally under the leader lease',
    value: (s) => s.reads.lease,
  },
  {
    name: 'reads_quorum_total',
    type: 'counter',
    help: 'Reads served after a quorum round (ReadIndex)',
    value: (s) => s.reads.quorum,
  },
  {
    name: 'reads_lease_fallback_total',
    type: 'counter',
    help: 'Lease reads served as quorum reads (lease not held, own ballot not committed, ...)',
    value: (s) => s.reads.leaseFallbacks,
  },
  {
    name: 'reads_lease_retried_total',
    type: 'counter',
    help: 'Lease reads retried after the next advance (a committed slot was not applied yet)',
    value: (s) => s.reads.leaseRetries,
  },
  {
    name: 'reads_redirected_total',
    type: 'counter',
    help: 'Reads answered not-leader',
    value: (s) => s.reads.redirected,
  },
  {
    name: 'reads_unavailable_total',
    type: 'counter',
    help: 'Reads answered unavailable',
    value: (s) => s.reads.unavailable,
  },
  {
    name: 'reads_waiting',
    type: 'gauge',
    help: 'Lease and quorum reads waiting for a round or for apply',
    value: (s) => s.readsWaiting,
  },
  {
    name: 'lease_held',
    type: 'gauge',
    help: '1 while this node holds a valid leader lease',
    value: (s) => b(s.replica.lease.held),
  },
  {
    name: 'lease_serves_reads',
    type: 'gauge',
    help: '1 while a lease read would be served now',
    value: (s) => b(s.replica.lease.servesReads),
  },
  {
    name: 'lease_granted',
    type: 'gauge',
    help: '1 while this node (as acceptor) grants a lease to some ballot',
    value: (s) => b(s.replica.lease.grantedTo !== undefined),
  },
  {
    name: 'lease_prepares_refused_total',
    type: 'counter',
    help: 'Prepares dropped because of a running lease grant or the restart wait',
    value: (s) => s.replica.lease.preparesRefused,
  },
];

/** Every histogram of `/metrics`, in output order. */
export const NODE_HISTOGRAMS: readonly HistogramDefinition[] = [
  {
    name: 'flexpaxos_persist_seconds',
    help: 'Time to make one ready durable (fsync, group commit)',
    histogram: (s) => s.histograms.persist,
  },
  {
    name: 'flexpaxos_request_seconds',
    help: 'Leader: client request to reply',
    histogram: (s) => s.histograms.request,
  },
  {
    name: 'flexpaxos_read_lease_seconds',
    help: 'Leader: lease read request to reply',
    histogram: (s) => s.histograms.readLease,
  },
  {
    name: 'flexpaxos_read_quorum_seconds',
    help: 'Leader: quorum read (and lease fallback) request to reply',
    histogram: (s) => s.histograms.readQuorum,
  },
];

/** `/metrics` of one node: every row of the tables read from `source`. */
export function renderNodeMetrics(source: NodeMetricsSource): string {
  return renderPrometheus(
    NODE_METRICS.map((m) =>
      m.type === 'counter'
        ? counter(m.name, m.help, m.value(source))
        : gauge(m.name, m.help, m.value(source)),
    ),
    NODE_HISTOGRAMS.map((h) => ({ name: h.name, help: h.help, h: h.histogram(source) })),
  );
}
