/**
 * Checks that no key attached to a lease disappeared before its lease expired or was revoked.
 *
 * A lease granted (or last kept alive) at time t with TTL d may expire at t + d at the
 * earliest. Times are as the leader measured them (or as a simulator knows them in true time);
 * `slackMs` absorbs the clock drift between whoever measured the keep-alives and whoever
 * measured the losses. Two more mistakes are caught: a keep-alive acknowledged after the
 * lease's keys were already gone (the client was told the lease lives), and a loss of a key
 * whose lease the timeline does not know.
 *
 * Pure: the simulator or an end-to-end test records, per lease, the grant, every acknowledged
 * keep-alive and a client revoke, and every loss of a leased key through a lease revocation;
 * then calls {@link checkLeaseExpiry}.
 */

/** What happened to one lease, as the leader measured it. */
export interface LeaseTimeline {
  readonly lease: number;
  readonly ttlMs: number;
  /** When the grant took effect. */
  readonly grantedAtMs: number;
  /** When acknowledged keep-alives took effect. */
  readonly keepalivesAtMs: readonly number[];
  /** When a client's revoke took effect, if one did. */
  readonly revokedAtMs?: number;
}

/** A leased key that disappeared through a lease revocation (expiry or client revoke). */
export interface LeasedKeyLoss {
  readonly key: string;
  readonly lease: number;
  readonly atMs: number;
}

/** A way the losses contradict the timelines. */
export type LeaseExpiryProblem =
  /** `key` disappeared at `atMs`, before `earliestMs` (last renewal + TTL - slack). */
  | {
      readonly kind: 'early-expiry';
      readonly key: string;
      readonly lease: number;
      readonly atMs: number;
      readonly earliestMs: number;
    }
  /** A keep-alive was acknowledged at `keepaliveAtMs`, after the lease's key was lost. */
  | {
      readonly kind: 'keepalive-after-loss';
      readonly lease: number;
      readonly keepaliveAtMs: number;
      readonly lostAtMs: number;
    }
  /** A key of a lease the timelines do not know was lost. */
  | {
      readonly kind: 'unknown-lease';
      readonly key: string;
      readonly lease: number;
      readonly atMs: number;
    };

/** The verdict. */
export interface LeaseExpiryResult {
  readonly ok: boolean;
  readonly problems: readonly LeaseExpiryProblem[];
}

/** Options of {@link checkLeaseExpiry}. */
export interface LeaseExpiryOptions {
  /** Clock drift to allow between the measurements, in milliseconds; default 0. */
  readonly slackMs?: number;
}

/** Checks every loss against its lease's timeline. */
export function checkLeaseExpiry(
  timelines: readonly LeaseTimeline[],
  losses: readonly LeasedKeyLoss[],
  options: LeaseExpiryOptions = {},
): LeaseExpiryResult {
  const slack = options.slackMs ?? 0;
  const byLease = new Map(timelines.map((t) => [t.lease, t]));
  const problems: LeaseExpiryProblem[] = [];
  const firstLoss = new Map<number, number>();
  for (const loss of losses) {
    const t = byLease.get(loss.lease);
    if (t === undefined) {
      problems.push({ kind: 'unknown-lease', key: loss.key, lease: loss.lease, atMs: loss.atMs });
      continue;
    }
    firstLoss.set(loss.lease, Math.min(firstLoss.get(loss.lease) ?? Infinity, loss.atMs));
    if (t.revokedAtMs !== undefined && t.revokedAtMs <= loss.atMs) continue;
    let renewed = t.grantedAtMs;
    for (const k of t.keepalivesAtMs) if (k <= loss.atMs && k > renewed) renewed = k;
    const earliestMs = renewed + t.ttlMs - slack;
    if (loss.atMs < earliestMs)
      problems.push({
        kind: 'early-expiry',
        key: loss.key,
        lease: loss.lease,
        atMs: loss.atMs,
        earliestMs,
      });
  }
  for (const [lease, lostAtMs] of firstLoss) {
    const t = byLease.get(lease);
    for (const k of t?.keepalivesAtMs ?? []) {
      if (k > lostAtMs + slack)
        problems.push({ kind: 'keepalive-after-loss', lease, keepaliveAtMs: k, lostAtMs });
    }
  }
  return { ok: problems.length === 0, problems };
}
