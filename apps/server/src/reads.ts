/**
 * Linearizable reads on the leader (design brief, "Reads"; contract: `Replica.read`).
 *
 * - `lease`: `replica.read({ mode: 'lease' })`. `ready` → answered from the local KV state
 *   once applied >= index (at once in practice: the core grants a lease read only when
 *   everything committed is applied). `unavailable` because a committed slot is not applied
 *   yet (`not-applied`: the host loop is between apply and `advance`) → retried after the
 *   next `advance`, at most {@link LEASE_RETRIES_MAX} times; any other `unavailable` (no
 *   lease yet, own ballot not committed, transfer) → served as a quorum read instead
 *   (counted as a fallback).
 * - `quorum`: ReadIndex (Ongaro's thesis §6.4). `replica.read({ mode: 'quorum' })` →
 *   `pending`; the read shows up in `Ready.reads` with its index once a phase-2 quorum
 *   acknowledged a heartbeat round that began after it, and is answered once applied >=
 *   index; in `Ready.failedReads` if the leader stepped down first → `not-leader`.
 * - `stale` reads never come here: any node answers them from its own KV state.
 *
 * A read that cannot be served yet because the new leader has no entry of its own ballot
 * committed is answered `unavailable` (the client retries; the node commits a no-op on
 * election, so this lasts one round trip).
 *
 * Invariant: every read handed to {@link ReadServer.serve} is answered exactly once (result,
 * not-leader or unavailable), or dropped with the node when it stops (`failAll`).
 */
import type { NodeStatusReport, Response } from '@flexpaxos/client';
import type { KvQueryOp } from '@flexpaxos/kv';
import type { LeaseStatus, NodeId, Ready, ReadMode, ReadResult } from '@flexpaxos/paxos';
import { Histogram, LATENCY_BUCKETS_S } from './metrics.js';

/** A lease read that found `applied < committed` is retried after this many `advance`s at most. */
export const LEASE_RETRIES_MAX = 3;

/** The part of `Replica` the read path uses. */
export interface ReadableReplica {
  read(request: { readonly id: number; readonly mode: ReadMode }): ReadResult;
}

/** A query of the KV machine: get, range, lease-ttl or lease-list. */
export type ReadOp = KvQueryOp;

/** Counts of reads by how they were served (exported on `/metrics` and `/status`). */
export interface ReadCounts {
  /** Served by any node from its applied state, no check. */
  stale: number;
  /** Served locally by the leader under its lease. */
  lease: number;
  /** Served after a quorum round (ReadIndex), fallbacks from lease included. */
  quorum: number;
  /** Lease reads that fell back to a quorum read (no lease, own ballot not committed, ...). */
  leaseFallbacks: number;
  /** Lease reads retried after the next advance because a committed slot was not applied. */
  leaseRetries: number;
  /** Reads answered `not-leader` (this node does not lead, or stepped down mid-read). */
  redirected: number;
  /** Reads answered `unavailable` (leader without a committed own-ballot entry, stopping). */
  unavailable: number;
}

interface Waiter {
  readonly op: ReadOp;
  readonly respond: (r: Response) => void;
  /** When the node got the request (`performance.now()`), for the latency histograms. */
  readonly startMs: number;
}

/** A confirmed read waiting for the state machine to apply through `index`. */
type ApplyWaiter = Waiter & { readonly index: number; readonly mode: 'lease' | 'quorum' };

/**
 * Serves lease and quorum reads for one node. The node calls {@link serve} for each read
 * request, {@link onReady} after applying a ready's committed entries, and
 * {@link afterAdvance} after `replica.advance`.
 */
export class ReadServer {
  readonly counts: ReadCounts = {
    stale: 0,
    lease: 0,
    quorum: 0,
    leaseFallbacks: 0,
    leaseRetries: 0,
    redirected: 0,
    unavailable: 0,
  };
  /** Request to answer, on this node, of reads answered with a value, by the path that served them. */
  readonly seconds = {
    lease: new Histogram(LATENCY_BUCKETS_S),
    quorum: new Histogram(LATENCY_BUCKETS_S),
  };
  readonly #replica: ReadableReplica;
  readonly #applied: () => number;
  readonly #answer: (op: ReadOp) => Response;
  readonly #kick: () => void;
  #nextId = 1;
  /** Quorum reads waiting for their round: by read id. */
  readonly #pendingQuorum = new Map<number, Waiter>();
  /** Confirmed reads waiting for the state machine to apply through their index. */
  #waitingApply: ApplyWaiter[] = [];
  /** Lease reads to try again after the next advance. */
  #leaseRetry: (Waiter & { readonly tries: number })[] = [];

  constructor(deps: {
    /** The replica (the node's one). */
    readonly replica: ReadableReplica;
    /** The KV machine's applied index now. */
    readonly applied: () => number;
    /** Reads the KV machine now and builds the reply. */
    readonly answer: (op: ReadOp) => Response;
    /** Runs the host loop if the replica has a ready (a quorum read starts a round). */
    readonly kick: () => void;
  }) {
    this.#replica = deps.replica;
    this.#applied = deps.applied;
    this.#answer = deps.answer;
    this.#kick = deps.kick;
  }

  /** Reads waiting in this server (quorum rounds, apply, retries). */
  get waiting(): number {
    return this.#pendingQuorum.size + this.#waitingApply.length + this.#leaseRetry.length;
  }

  /** A stale read: answered at once from the local state. */
  serveStale(op: ReadOp, respond: (r: Response) => void): void {
    this.counts.stale++;
    respond(this.#answer(op));
  }

  /** Serves a `lease` or `quorum` read; `respond` is called exactly once, maybe later. */
  serve(op: ReadOp, mode: 'lease' | 'quorum', respond: (r: Response) => void): void {
    const startMs = performance.now();
    if (mode === 'lease') this.#lease({ op, respond, startMs, tries: 0 });
    else this.#quorum({ op, respond, startMs }, false);
  }

  #served(w: Waiter, mode: 'lease' | 'quorum'): void {
    this.counts[mode]++;
    w.respond(this.#answer(w.op));
    this.seconds[mode].observe((performance.now() - w.startMs) / 1000);
  }

  #lease(w: Waiter & { readonly tries: number }): void {
    const r = this.#replica.read({ id: this.#nextId++, mode: 'lease' });
    switch (r.kind) {
      case 'ready':
        this.#whenApplied(w, r.index, 'lease');
        return;
      case 'not-leader':
        this.#redirect(w, r.leaderHint);
        return;
      case 'unavailable':
        if (r.reason === 'not-applied' && w.tries < LEASE_RETRIES_MAX) {
          this.counts.leaseRetries++;
          this.#leaseRetry.push({ ...w, tries: w.tries + 1 });
          return;
        }
        this.counts.leaseFallbacks++;
        this.#quorum(w, true);
        return;
      case 'pending':
        throw new Error('a lease read cannot be pending (contract of Replica.read)');
    }
  }

  #quorum(w: Waiter, fallback: boolean): void {
    const id = this.#nextId++;
    const r = this.#replica.read({ id, mode: 'quorum' });
    switch (r.kind) {
      case 'pending':
        this.#pendingQuorum.set(id, w);
        this.#kick();
        return;
      case 'ready':
        this.#whenApplied(w, r.index, 'quorum');
        return;
      case 'not-leader':
        this.#redirect(w, r.leaderHint);
        return;
      case 'unavailable':
        this.counts.unavailable++;
        w.respond({
          kind: 'error',
          code: 'unavailable',
          message: `leader cannot serve a ${fallback ? 'lease (fallback quorum)' : 'quorum'} read now: ${r.reason}`,
        });
        return;
    }
  }

  #redirect(w: Waiter, leaderHint: NodeId | undefined): void {
    this.counts.redirected++;
    w.respond({ kind: 'not-leader', leader: leaderHint });
  }

  #whenApplied(w: Waiter, index: number, mode: 'lease' | 'quorum'): void {
    if (this.#applied() >= index) {
      this.#served(w, mode);
    } else {
      this.#waitingApply.push({ ...w, index, mode });
    }
  }

  /** After the host applied `rd.committed`: confirmed and failed quorum reads of this ready. */
  onReady(rd: Ready): void {
    for (const f of rd.failedReads) {
      const w = this.#pendingQuorum.get(f.id);
      if (w === undefined) continue;
      this.#pendingQuorum.delete(f.id);
      this.#redirect(w, f.leaderHint);
    }
    for (const c of rd.reads) {
      const w = this.#pendingQuorum.get(c.id);
      if (w === undefined) continue;
      this.#pendingQuorum.delete(c.id);
      this.#whenApplied(w, c.index, 'quorum');
    }
    this.#drainApplied();
  }

  /** After `replica.advance`: answers reads whose index is applied, retries lease reads. */
  afterAdvance(): void {
    this.#drainApplied();
    if (this.#leaseRetry.length > 0) {
      const retry = this.#leaseRetry;
      this.#leaseRetry = [];
      for (const w of retry) this.#lease(w);
    }
  }

  #drainApplied(): void {
    if (this.#waitingApply.length === 0) return;
    const applied = this.#applied();
    const still: ApplyWaiter[] = [];
    for (const w of this.#waitingApply) {
      if (applied >= w.index) this.#served(w, w.mode);
      else still.push(w);
    }
    this.#waitingApply = still;
  }

  /** Answers every waiting read with `response` (the node stops). */
  failAll(response: Response): void {
    const all: Waiter[] = [
      ...this.#pendingQuorum.values(),
      ...this.#waitingApply,
      ...this.#leaseRetry,
    ];
    this.#pendingQuorum.clear();
    this.#waitingApply = [];
    this.#leaseRetry = [];
    for (const w of all) w.respond(response);
  }
}

/** The lease part of a node's status report. */
export interface LeaseReport {
  /** This node holds a valid leader lease now. */
  readonly held: boolean;
  /** Milliseconds the lease still runs (own clock), null when not held. */
  readonly remainingMs: number | null;
  /** A lease read would be served now. */
  readonly servesReads: boolean;
  /** Acceptor side: the ballot this node currently grants a lease to, `round.nodeId`. */
  readonly grantedTo: string | null;
  /** Prepares dropped because of a running grant or the restart wait. */
  readonly preparesRefused: number;
}

/** The lease state for `/status` from the core's status and the current clock reading. */
export function leaseReport(
  lease: LeaseStatus,
  nowMs: number,
  formatBallot: (b: NonNullable<LeaseStatus['grantedTo']>) => string,
): LeaseReport {
  return {
    held: lease.held,
    remainingMs:
      lease.held && lease.validUntilMs !== undefined
        ? Math.max(0, Math.round(lease.validUntilMs - nowMs))
        : null,
    servesReads: lease.servesReads,
    grantedTo: lease.grantedTo === undefined ? null : formatBallot(lease.grantedTo),
    preparesRefused: lease.preparesRefused,
  };
}

/** One word for the `lease` column of `status`: `held`, `granted:<ballot>` or `none`. */
export function leaseSummary(r: LeaseReport): string {
  if (r.held) return r.servesReads ? 'held' : 'held (not serving)';
  if (r.grantedTo !== null) return `granted:${r.grantedTo}`;
  return 'none';
}

/** `/status` and `status` requests: the client's report plus lease details and read counts. */
export type ServerStatusReport = NodeStatusReport & {
  readonly leaseState: LeaseReport;
  readonly reads: ReadCounts;
};
