/**
 * The node's metrics on `/metrics`, served by `prom-client`: one declarative table of every
 * FlexPaxos counter and gauge (name, type, help, where its value comes from), the latency
 * histograms, and the process and Node.js runtime metrics of `collectDefaultMetrics`.
 * `docs/metrics.md` lists every served name (a test checks it against a real node).
 *
 * Cost model:
 * - The hot path only bumps plain counters in the parts that own them (`counts` objects) and
 *   observes into a {@link Histogram} (a sum, a count and one bucket increment in
 *   prom-client). Nothing is formatted or allocated per request for metrics.
 * - A scrape reads every source once (one `replica.status()`, one `transport.metrics()`, ...)
 *   into a snapshot that the table's `collect` functions read, then lets prom-client render
 *   about 150 lines. The default metrics add a few small synchronous reads of `/proc/self`.
 *
 * No global registry: each node has its own `Registry`. The process metrics live in one
 * registry per process (they measure the process, which several in-process nodes share: one
 * event-loop monitor and one GC observer, not one per node).
 *
 * Naming: FlexPaxos metrics start with `flexpaxos_`, counters end in `_total`, durations are
 * in seconds. The default metrics keep prom-client's standard names (`process_*`, `nodejs_*`)
 * so stock Node.js dashboards and alerts work unchanged; a node is one process and one scrape
 * target.
 */
import {
  Counter,
  Gauge,
  Histogram as PromHistogram,
  Registry,
  collectDefaultMetrics,
} from 'prom-client';
import type { StorageStats } from '@flexpaxos/storage-rocksdb';
import { configVoters } from '@flexpaxos/paxos';
import type { ReplicaStatus } from '@flexpaxos/paxos';
import type { TransportMetrics } from '@flexpaxos/transport-nats';
import type { ClientCounts } from './client-service.js';
import type { CompactionCounts } from './compaction.js';
import type { HostLoopCounts } from './host-loop.js';
import type { LessorCounts } from './lessor-service.js';
import type { ReadCounts } from './reads.js';
import type { WatchCounts } from './watch-service.js';

/**
 * Latency buckets in seconds, 100 µs to 5 s: lease reads answer in well under a millisecond,
 * fsyncs and writes take 0.5–10 ms on a healthy disk, and the top buckets catch elections and
 * stalls.
 */
export const LATENCY_BUCKETS_S = [
  0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
] as const;

/** What {@link Histogram.snapshot} returns. */
export interface HistogramSnapshot {
  readonly count: number;
  readonly sum: number;
  /** Cumulative: observations at or below `le` seconds, ascending, `+Inf` (Infinity) last. */
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
}

/**
 * A latency histogram owned by the part that observes it (`client-service.ts`, `reads.ts`,
 * `host-loop.ts`). It keeps its count and sum itself (cheap, read by tests and tools) and,
 * once {@link register}ed by the node, records every observation into a prom-client histogram
 * with its exported name. Before that only the count and sum move.
 */
export class Histogram {
  readonly bounds: readonly number[];
  /** Observations so far. */
  count = 0;
  /** Sum of the observations (seconds). */
  sum = 0;
  #target: PromHistogram | undefined;
  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
  }
  /** Records one observation (seconds). */
  observe(value: number): void {
    this.count++;
    this.sum += value;
    this.#target?.observe(value);
  }
  /**
   * Count, sum and cumulative bucket counts (`le` in seconds, the last one `+Inf`) for the
   * status page; bucket counts are empty until the histogram is registered.
   */
  async snapshot(): Promise<HistogramSnapshot> {
    const buckets: { le: number; count: number }[] = [];
    if (this.#target !== undefined) {
      for (const v of (await this.#target.get()).values) {
        if (!v.metricName?.endsWith('_bucket')) continue;
        const le = v.labels.le;
        buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: v.value });
      }
    }
    return { count: this.count, sum: this.sum, buckets };
  }
  /**
   * Exports this histogram as `name` in `registry`; every observation from now on lands in
   * its buckets (the node registers its histograms before it serves anything).
   */
  register(registry: Registry, name: string, help: string): void {
    if (this.#target !== undefined) throw new Error(`histogram ${name} is already registered`);
    this.#target = new PromHistogram({
      name,
      help,
      buckets: [...this.bounds],
      registers: [registry],
    });
  }
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
  /** Key-lease keep-alives and expiries counted by the lessor service. */
  readonly lessor: LessorCounts;
  /** Live key leases in the replicated state. */
  readonly keyLeases: number;
  /** The key-lease lessor runs on this node (it leads and its epoch is applied). */
  readonly lessorRunning: boolean;
  /** Lease and quorum reads waiting in the read server. */
  readonly readsWaiting: number;
  /** Client sessions with a write waiting for its command to apply. */
  readonly pendingClientRequests: number;
  /** The watch service's counts and its live watchers and history. */
  readonly watch: WatchMetrics;
  /** Configuration changes this node completed or abandoned as leader, and admin requests. */
  readonly configChanges: ConfigChangeCounts;
}

/** What `/metrics` reads of the watch service. */
export interface WatchMetrics extends WatchCounts {
  readonly watchers: number;
  readonly historyEvents: number;
  readonly oldestRevision: number;
}

/** Configuration changes counted by the node (as leader), by who asked. */
export interface ConfigChangeCounts {
  /** Changes asked for by an operator (admin requests) that came into force. */
  operator: number;
  /** Automatic subsetting after a double fault. */
  autoSubset: number;
  /** Automatic re-expansion to the configuration a subset was cut down from. */
  autoRestore: number;
  /** Changes abandoned (a learner that did not catch up). */
  abandoned: number;
  /** Admin requests received, and of those refused. */
  adminRequests: number;
  adminRefused: number;
}

/** The node's latency histograms (owned by the parts that observe them). */
export interface NodeHistograms {
  readonly persist: Histogram;
  readonly request: Histogram;
  readonly readLease: Histogram;
  readonly readQuorum: Histogram;
}

/** One counter or gauge of the table; exported as `flexpaxos_<name>`. */
export interface MetricDefinition {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly value: (s: NodeMetricsSource) => number;
}

/** One histogram of the table; exported as `flexpaxos_<name>`. */
export interface HistogramDefinition {
  readonly name: string;
  readonly help: string;
  readonly histogram: (h: NodeHistograms) => Histogram;
}

const b = (v: boolean): number => (v ? 1 : 0);

/** The configuration in force, as N, P and L (P and L 0 for a grid quorum). */
function configNumbers(s: NodeMetricsSource): { n: number; p: number; l: number; joint: boolean } {
  const state = s.replica.config.state;
  if (state === undefined) return { n: 0, p: 0, l: 0, joint: false };
  const q = state.incoming.quorum;
  const n = configVoters(state.incoming).length;
  const joint = state.outgoing !== undefined;
  return q.kind === 'counting'
    ? { n, p: q.replication, l: q.election, joint }
    : { n, p: 0, l: 0, joint };
}

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
    name: 'state_records_changed_total',
    type: 'counter',
    help: 'KV records changed by applied slots (before the write-behind buffer coalesced them)',
    value: (s) => s.loop.stateRecordsChanged,
  },
  {
    name: 'state_records_written_total',
    type: 'counter',
    help: 'KV records written to RocksDB (the latest value of each, once per buffer flush)',
    value: (s) => s.loop.stateRecordsWritten,
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
  {
    name: 'key_leases',
    type: 'gauge',
    help: 'Live key leases in the replicated state (granted, not yet revoked or expired)',
    value: (s) => s.keyLeases,
  },
  {
    name: 'lessor_running',
    type: 'gauge',
    help: "1 while this node's key-lease lessor runs (leader, its lessor epoch applied)",
    value: (s) => b(s.lessorRunning),
  },
  {
    name: 'key_lease_keepalives_total',
    type: 'counter',
    help: 'Key-lease keep-alives renewed by this node as leader',
    value: (s) => s.lessor.keepalives,
  },
  {
    name: 'key_lease_keepalives_not_found_total',
    type: 'counter',
    help: 'Key-lease keep-alives answered lease-not-found (unknown, revoked or expired)',
    value: (s) => s.lessor.keepalivesNotFound,
  },
  {
    name: 'key_lease_keepalives_redirected_total',
    type: 'counter',
    help: 'Key-lease keep-alives answered not-leader or unavailable (the client retries)',
    value: (s) => s.lessor.keepalivesRedirected,
  },
  {
    name: 'key_lease_expiries_proposed_total',
    type: 'counter',
    help: 'Leader: expiry revocations of key leases proposed (a retried one counts again)',
    value: (s) => s.lessor.expiriesProposed,
  },
  {
    name: 'lessor_epochs_proposed_total',
    type: 'counter',
    help: 'Leader: lessor-epoch commands proposed (one per campaign, more when retried)',
    value: (s) => s.lessor.epochsProposed,
  },
  {
    name: 'peer_bytes_out_total',
    type: 'counter',
    help: 'Peer frame bytes handed to NATS',
    value: (s) => s.transport.bytesOut,
  },
  {
    name: 'peer_bytes_in_total',
    type: 'counter',
    help: 'Peer frame bytes received',
    value: (s) => s.transport.bytesIn,
  },
  {
    name: 'peer_batches_in_total',
    type: 'counter',
    help: 'Peer batch frames received',
    value: (s) => s.transport.batchesIn,
  },
  {
    name: 'peer_chunks_out_total',
    type: 'counter',
    help: 'Peer chunk frames published (large messages such as snapshots)',
    value: (s) => s.transport.chunksOut,
  },
  {
    name: 'peer_chunks_in_total',
    type: 'counter',
    help: 'Peer chunk frames received',
    value: (s) => s.transport.chunksIn,
  },
  {
    name: 'peer_handler_errors_total',
    type: 'counter',
    help: 'Peer messages whose handler threw',
    value: (s) => s.transport.handlerErrors,
  },
  {
    name: 'nats_disconnects_total',
    type: 'counter',
    help: 'Times the connection to NATS was lost',
    value: (s) => s.transport.disconnects,
  },
  {
    name: 'nats_reconnects_total',
    type: 'counter',
    help: 'Times the connection to NATS was re-established',
    value: (s) => s.transport.reconnects,
  },
  {
    name: 'wal_watermark_syncs_total',
    type: 'counter',
    help: 'Synchronous writes of the WAL watermark file',
    value: (s) => s.storage.watermarkSyncs,
  },
  {
    name: 'leader_id',
    type: 'gauge',
    help: 'Id of the leader this node follows (itself when leading); 0 when none is known',
    value: (s) => s.replica.leader ?? 0,
  },
  {
    name: 'last_slot',
    type: 'gauge',
    help: 'Highest slot with a log entry (the snapshot index when the log is empty)',
    value: (s) => s.replica.lastSlot,
  },
  {
    name: 'snapshot_index',
    type: 'gauge',
    help: 'Slot of the latest snapshot (the log at or below it is compacted)',
    value: (s) => s.replica.snapshotIndex,
  },
  {
    name: 'pending_commands',
    type: 'gauge',
    help: 'Leader: commands queued and not yet put into a slot',
    value: (s) => s.replica.pendingCommands,
  },
  {
    name: 'config_voters',
    type: 'gauge',
    help: 'N: voters of the configuration in force (its incoming half during a joint change)',
    value: (s) => configNumbers(s).n,
  },
  {
    name: 'config_replication_quorum',
    type: 'gauge',
    help: 'P: phase-2 quorum size of the configuration in force (0 for a grid quorum)',
    value: (s) => configNumbers(s).p,
  },
  {
    name: 'config_election_quorum',
    type: 'gauge',
    help: 'L: phase-1 quorum size of the configuration in force (0 for a grid quorum)',
    value: (s) => configNumbers(s).l,
  },
  {
    name: 'config_joint',
    type: 'gauge',
    help: '1 while a joint configuration (membership change) is in force',
    value: (s) => b(configNumbers(s).joint),
  },
  {
    name: 'config_index',
    type: 'gauge',
    help: 'Log slot of the entry that put the configuration in force (0: bootstrap or snapshot base)',
    value: (s) => s.replica.config.index,
  },
  {
    name: 'config_learners',
    type: 'gauge',
    help: 'Learners (non-voting members catching up) of the configuration in force',
    value: (s) => s.replica.config.state?.incoming.learners.length ?? 0,
  },
  {
    name: 'config_change_pending',
    type: 'gauge',
    help: 'Leader: 1 while a configuration change is in progress',
    value: (s) => b(s.replica.config.pending !== undefined),
  },
  {
    name: 'config_subset',
    type: 'gauge',
    help: '1 while the configuration in force is an automatic subset (it records one to restore)',
    value: (s) => b(s.replica.config.state?.incoming.restore !== undefined),
  },
  {
    name: 'config_changes_operator_total',
    type: 'counter',
    help: 'Leader: configuration changes asked for by an operator that came into force',
    value: (s) => s.configChanges.operator,
  },
  {
    name: 'config_changes_auto_subset_total',
    type: 'counter',
    help: 'Leader: automatic subsetting changes (double fault) that came into force',
    value: (s) => s.configChanges.autoSubset,
  },
  {
    name: 'config_changes_auto_restore_total',
    type: 'counter',
    help: 'Leader: automatic re-expansions to the configuration a subset was cut down from',
    value: (s) => s.configChanges.autoRestore,
  },
  {
    name: 'config_changes_abandoned_total',
    type: 'counter',
    help: 'Leader: configuration changes abandoned (a learner did not catch up in time)',
    value: (s) => s.configChanges.abandoned,
  },
  {
    name: 'admin_requests_total',
    type: 'counter',
    help: 'Admin requests (membership, quorum, transfer) received',
    value: (s) => s.configChanges.adminRequests,
  },
  {
    name: 'admin_refused_total',
    type: 'counter',
    help: 'Admin requests refused (a rule broken, a change in progress, a change abandoned)',
    value: (s) => s.configChanges.adminRefused,
  },
  {
    name: 'watchers',
    type: 'gauge',
    help: 'Watchers this node serves',
    value: (s) => s.watch.watchers,
  },
  {
    name: 'watch_history_events',
    type: 'gauge',
    help: 'Change events in the watch history',
    value: (s) => s.watch.historyEvents,
  },
  {
    name: 'watch_oldest_revision',
    type: 'gauge',
    help: 'Oldest revision a new watch may start from at this node',
    value: (s) => s.watch.oldestRevision,
  },
  {
    name: 'watch_created_total',
    type: 'counter',
    help: 'Watches created',
    value: (s) => s.watch.created,
  },
  {
    name: 'watch_refused_total',
    type: 'counter',
    help: 'Watch requests refused (bad request, watcher limit, shutting down)',
    value: (s) => s.watch.refused,
  },
  {
    name: 'watch_compacted_total',
    type: 'counter',
    help: 'Watches refused or cancelled because the history no longer held their revision',
    value: (s) => s.watch.compacted,
  },
  {
    name: 'watch_events_sent_total',
    type: 'counter',
    help: 'Change events sent to watchers',
    value: (s) => s.watch.eventsSent,
  },
  {
    name: 'watch_frames_sent_total',
    type: 'counter',
    help: 'Watch stream frames published',
    value: (s) => s.watch.framesSent,
  },
  {
    name: 'watch_progress_sent_total',
    type: 'counter',
    help: 'Watch progress notifications sent',
    value: (s) => s.watch.progressSent,
  },
  {
    name: 'watch_slow_cancels_total',
    type: 'counter',
    help: 'Watchers cancelled because they did not keep up',
    value: (s) => s.watch.slowCancels,
  },
  {
    name: 'watch_expired_total',
    type: 'counter',
    help: 'Watchers cancelled because their client stopped refreshing them',
    value: (s) => s.watch.expired,
  },
  {
    name: 'watch_resets_total',
    type: 'counter',
    help: 'Watchers cancelled by a snapshot install',
    value: (s) => s.watch.resets,
  },
];

/** Every histogram of `/metrics`, in output order. */
export const NODE_HISTOGRAMS: readonly HistogramDefinition[] = [
  {
    name: 'persist_seconds',
    help: 'Time to make one ready durable (fsync, group commit)',
    histogram: (h) => h.persist,
  },
  {
    name: 'request_seconds',
    help: 'Leader: client write request to reply',
    histogram: (h) => h.request,
  },
  {
    name: 'read_lease_seconds',
    help: 'Leader: lease read request to reply',
    histogram: (h) => h.readLease,
  },
  {
    name: 'read_quorum_seconds',
    help: 'Leader: quorum read (and lease fallback) request to reply',
    histogram: (h) => h.readQuorum,
  },
];

let processRegistry: Registry | undefined;

/**
 * The registry of the process and Node.js runtime metrics (`collectDefaultMetrics`: CPU,
 * resident and heap memory, event-loop lag, GC, handles, file descriptors), created on first
 * use, one per process.
 */
export function processMetricsRegistry(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: 10 });
  }
  return processRegistry;
}

/** Identity labels of a node, exported on `flexpaxos_node_info`. */
export interface NodeIdentity {
  readonly cluster: string;
  readonly nodeId: number;
}

/**
 * The metrics of one node: a prom-client `Registry` holding every row of
 * {@link NODE_METRICS} (a counter or gauge whose `collect` reads the scrape's snapshot of
 * `read()`), the {@link NODE_HISTOGRAMS}, `flexpaxos_node_info`, and the process metrics.
 */
export class NodeMetrics {
  /** This node's own metrics (the process metrics are in {@link processMetricsRegistry}). */
  readonly registry = new Registry();
  readonly #all: Registry;
  readonly #read: () => NodeMetricsSource;
  #snapshot: NodeMetricsSource | undefined;

  constructor(identity: NodeIdentity, histograms: NodeHistograms, read: () => NodeMetricsSource) {
    this.#read = read;
    const registers = [this.registry];
    const self = (): NodeMetricsSource => {
      this.#snapshot ??= this.#read();
      return this.#snapshot;
    };
    for (const m of NODE_METRICS) {
      const name = `flexpaxos_${m.name}`;
      if (m.type === 'counter') {
        new Counter({
          name,
          help: m.help,
          registers,
          collect() {
            this.reset();
            this.inc(m.value(self()));
          },
        });
      } else {
        new Gauge({
          name,
          help: m.help,
          registers,
          collect() {
            this.set(m.value(self()));
          },
        });
      }
    }
    for (const h of NODE_HISTOGRAMS) {
      h.histogram(histograms).register(this.registry, `flexpaxos_${h.name}`, h.help);
    }
    new Gauge({
      name: 'flexpaxos_node_info',
      help: 'Always 1; labels name the cluster and the node id',
      labelNames: ['cluster', 'node_id'],
      registers,
    }).set({ cluster: identity.cluster, node_id: String(identity.nodeId) }, 1);
    this.#all = Registry.merge([this.registry, processMetricsRegistry()]);
  }

  /** The `Content-Type` of {@link render}'s text. */
  get contentType(): string {
    return this.#all.contentType;
  }

  /** `/metrics`: reads every source once, then renders the Prometheus text format. */
  async render(): Promise<string> {
    this.#snapshot = this.#read();
    try {
      return await this.#all.metrics();
    } finally {
      this.#snapshot = undefined;
    }
  }
}
