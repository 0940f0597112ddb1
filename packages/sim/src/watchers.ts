/**
 * Simulated watchers: clients that watch a prefix through a node's `WatchHub` (`@flexpaxos/kv`)
 * and record everything they receive, for invariant 10 (watch delivery).
 *
 * A watcher watches from some revision (an old one, a recent one, or "from now"), takes what
 * the hub has at its own pace (every 1, 3 or 10 ticks, a bounded or an unbounded number of
 * events per take, now and then asking for a progress notification), and behaves as a real
 * client would when its node goes away: when the node crashes, restarts (a new hub), is paused,
 * or cancels the watch (`reset` after a snapshot, `slow`, `compacted`), it watches again, at
 * another node or the same one, from the revision after the last one it received completely.
 * A `compacted` answer to a watch request is checked on the spot: it is allowed only if the
 * start really is below the node's history (before the hub's first revision, or so old that
 * more events were published since than the history may keep); the watcher then tries other
 * nodes, and after a few `compacted` answers accepts the gap and starts a new segment at the
 * oldest revision offered. Each segment is checked at the end of the seed against the change
 * log of the chosen slots (`checkWatchDelivery`: no gap, no duplicate, no reorder, no early
 * progress).
 */
import type { WatchDelivery } from '@flexpaxos/checker';
import { toBytes, type WatchHub, type WatchId, type WatchHubConfig } from '@flexpaxos/kv';
import { eventRecord } from './checker.js';
import type { SimCluster, SimNode } from './cluster.js';
import type { Prng } from './prng.js';

/** One unbroken stretch of a watcher's deliveries, from `start` on. */
export interface WatchSegment {
  readonly start: number;
  readonly received: WatchDelivery[];
}

/** Where a watcher's watch lives now. */
interface Attached {
  readonly node: SimNode;
  /** The hub the watch was created in (a restarted node has another one). */
  readonly hub: WatchHub;
  readonly watchId: WatchId;
}

/** Statistics over the watchers of a seed. */
export interface WatchStats {
  events: number;
  progress: number;
  moves: number;
  cancelled: { slow: number; compacted: number; reset: number };
  compactedAnswers: number;
}

/** One simulated watcher. */
export class SimWatcher {
  readonly label: string;
  readonly prefix: string;
  readonly segments: WatchSegment[] = [];
  private attached: Attached | undefined;
  /** Every revision below `next` was received completely (in the current segment). */
  private next: number | undefined;
  /** The revision the first watch asks for (undefined: from now). */
  private readonly firstStart: number | 'old' | undefined;
  private readonly everyTicks: number;
  private readonly maxEvents: number;
  private readonly random: Prng;
  /** `compacted` answers in a row. */
  private compactedInRow = 0;
  /** Not before this tick (after a failed attempt). */
  private retryAt = 0;

  private readonly hubConfig: Partial<WatchHubConfig>;
  private readonly stats: WatchStats;
  private readonly report: (detail: string) => void;

  constructor(
    label: string,
    prefix: string,
    random: Prng,
    hubConfig: Partial<WatchHubConfig>,
    stats: WatchStats,
    report: (detail: string) => void,
  ) {
    this.hubConfig = hubConfig;
    this.stats = stats;
    this.report = report;
    this.label = label;
    this.prefix = prefix;
    this.random = random;
    this.firstStart = random.pick([undefined, 'old', 1] as const);
    this.everyTicks = random.pick([1, 3, 10]);
    this.maxEvents = random.pick([1, 4, Number.POSITIVE_INFINITY]);
  }

  /** Does what is due at tick `now`. */
  act(now: number, cluster: SimCluster): void {
    const a = this.attached;
    if (a !== undefined && (!a.node.up || a.node.hub !== a.hub)) {
      // The node crashed or restarted: the watch is gone with its hub.
      this.attached = undefined;
    } else if (a !== undefined && a.node.paused && this.random.nextInt(5) === 0) {
      // A paused node looks dead to a client after a while: go elsewhere.
      a.hub.cancel(a.watchId);
      this.attached = undefined;
    }
    if (this.attached === undefined) {
      if (now >= this.retryAt) this.watch(now, cluster);
      return;
    }
    if (now % this.everyTicks !== 0 || this.attached.node.paused) return;
    if (this.random.nextInt(8) === 0) this.attached.hub.requestProgress(this.attached.watchId);
    this.take(this.maxEvents);
  }

  /**
   * The end of the run: asks for progress and takes everything, so the deliveries must reach
   * the node's applied index. Returns the revision they must reach, or undefined when the
   * watcher is not attached to a live node.
   */
  drain(): number | undefined {
    const a = this.attached;
    if (a === undefined || !a.node.up || a.node.paused || a.node.hub !== a.hub) return undefined;
    a.hub.requestProgress(a.watchId);
    this.take(Number.POSITIVE_INFINITY);
    return this.attached === undefined ? undefined : a.hub.applied;
  }

  private segment(): WatchSegment {
    const s = this.segments[this.segments.length - 1];
    if (s === undefined) throw new Error('assertion failed: a watcher takes only after a watch');
    return s;
  }

  private take(maxEvents: number): void {
    const a = this.attached;
    if (a === undefined) return;
    for (const out of a.hub.take(a.watchId, maxEvents)) {
      switch (out.kind) {
        case 'events':
          for (const e of out.events)
            this.segment().received.push({ kind: 'event', event: eventRecord(e) });
          this.stats.events += out.events.length;
          this.next = out.revision + 1;
          break;
        case 'progress':
          this.segment().received.push({ kind: 'progress', revision: out.revision });
          this.stats.progress++;
          this.next = Math.max(this.next ?? 0, out.revision + 1);
          break;
        case 'cancelled':
          this.stats.cancelled[out.reason]++;
          if (out.reason === 'compacted' && !this.reallyCompacted(a.node, out.resumeRevision)) {
            this.report(
              `node ${a.node.id} cancelled watcher ${this.label} as compacted at revision ${out.resumeRevision}, ` +
                `which its history must still hold (${this.detail(a.node, out.resumeRevision)})`,
            );
          }
          // Continue from where the watch stood (the resume revision says how far it got).
          this.next = this.next ?? out.resumeRevision;
          this.attached = undefined;
          return;
      }
    }
  }

  /** Whether `revision` is below what the node's hub must still hold. */
  private reallyCompacted(node: SimNode, revision: number): boolean {
    const max = this.hubConfig.historyEventsMax ?? Number.POSITIVE_INFINITY;
    return revision <= node.hubBase || node.hubEventsSince(revision) > max;
  }

  private detail(node: SimNode, revision: number): string {
    return `history from revision ${node.hubBase + 1}, ${node.hubEventsSince(revision)} events published since ${revision}, historyEventsMax ${this.hubConfig.historyEventsMax ?? 'default'}`;
  }

  /** Watches again (or for the first time) at a random live node. */
  private watch(now: number, cluster: SimCluster): void {
    const live = cluster.nodes.filter((n) => n.up && !n.paused && n.hub !== undefined);
    if (live.length === 0) {
      this.retryAt = now + 1;
      return;
    }
    const node = this.random.pick(live);
    const hub = node.hub as WatchHub;
    let start = this.next;
    if (start === undefined && this.firstStart !== undefined) {
      start = this.firstStart === 'old' ? Math.max(1, hub.applied - this.random.between(0, 30)) : 1;
    }
    const r = hub.watch({
      key: toBytes(this.prefix),
      prefix: true,
      ...(start === undefined ? {} : { startRevision: start }),
    });
    switch (r.kind) {
      case 'created':
        this.compactedInRow = 0;
        if (this.segments.length === 0 || this.next === undefined) {
          this.segments.push({ start: r.startRevision, received: [] });
          this.next = r.startRevision;
        } else this.stats.moves++;
        this.attached = { node, hub, watchId: r.watchId };
        return;
      case 'compacted': {
        this.stats.compactedAnswers++;
        const from = start ?? hub.applied + 1;
        if (!this.reallyCompacted(node, from)) {
          this.report(
            `node ${node.id} answered compacted (oldest ${r.compactRevision}) to watcher ${this.label} starting at ${from}, which its history must still hold (${this.detail(node, from)})`,
          );
        }
        if (++this.compactedInRow >= 3) {
          // No node has it any more: accept the gap, a new segment starts at the oldest revision.
          this.compactedInRow = 0;
          this.next = undefined;
          const created = hub.watch({
            key: toBytes(this.prefix),
            prefix: true,
            startRevision: r.compactRevision,
          });
          if (created.kind === 'created') {
            this.segments.push({ start: created.startRevision, received: [] });
            this.next = created.startRevision;
            this.attached = { node, hub, watchId: created.watchId };
            return;
          }
        }
        this.retryAt = now + 1;
        return;
      }
      case 'invalid':
      case 'limit-exceeded':
        this.report(`node ${node.id} refused watcher ${this.label}: ${r.kind} (${r.message})`);
        this.retryAt = now + 10;
        return;
    }
  }
}
