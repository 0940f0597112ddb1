/**
 * The administrative requests of the client protocol: membership changes, quorum changes and
 * leadership transfer (`protocol.ts` kind 4, answered by kind 6), and the configuration report
 * that these replies and node status reports carry.
 *
 * Every request goes to the leader (a follower answers `not-leader`, the client follows it) and
 * is answered once the change is in force (chosen and committed), or with an error `refused`
 * whose message names the rule the change breaks. Requests are idempotent: asking for the
 * configuration already in force answers at once with it, so a client may retry one after a
 * timeout or a leader change.
 */

/** One administrative request. */
export type AdminRequest =
  /** Add a running node (started with `--join`) as a voter: learner first, promoted once caught up. */
  | { readonly op: 'add-member'; readonly id: number }
  /** Remove a voter or a learner. */
  | { readonly op: 'remove-member'; readonly id: number }
  /** Change P (and L; default: the smallest L with L + P > N). */
  | { readonly op: 'set-quorum'; readonly replication: number; readonly election?: number }
  /** Move leadership to a caught-up voter. */
  | { readonly op: 'transfer-leader'; readonly id: number }
  /** Set (or clear with `null`) the preferred leader the cluster moves to when healthy. */
  | { readonly op: 'prefer-leader'; readonly id: number | null };

/** The answer to an administrative request. */
export interface AdminReply {
  /** The configuration in force once the request took effect. */
  readonly config: ConfigReport;
  /** The leader after the request (the new one after a transfer). */
  readonly leader: number | null;
  /** What was done, in words (`added 4 as a voter`, `already in force`, ...). */
  readonly detail: string;
}

/** A quorum system as reports show it. */
export interface QuorumReport {
  /** `counting` (P of N and L of N) or another kind of `@flexpaxos/quorum`. */
  readonly kind: string;
  readonly voters: readonly number[];
  /** P, for counting quorums (null for other kinds). */
  readonly replication: number | null;
  /** L, for counting quorums (null for other kinds). */
  readonly election: number | null;
  /** One line: `N=5 P=2 L=4 [1,2,3,4,5]`. */
  readonly text: string;
}

/** A cluster configuration as a node knows it. */
export interface ConfigReport {
  /** The quorum in force (during a joint step: the incoming one). */
  readonly quorum: QuorumReport;
  /** During the joint step of a change: the outgoing quorum (both must agree); else null. */
  readonly joint: QuorumReport | null;
  readonly learners: readonly number[];
  readonly preferredLeader: number | null;
  /** Log slot of the entry that put this configuration in force (0: bootstrap or snapshot). */
  readonly index: number;
  /** At the leader: the change in progress (null when none or not the leader). */
  readonly pending: {
    readonly step: string;
    readonly target: string;
    readonly reason: string;
  } | null;
  /** At the leader: how the last change of its ballot ended (null when none). */
  readonly lastChange: {
    readonly target: string;
    readonly reason: string;
    readonly result: string;
    readonly detail: string | null;
  } | null;
  /** Set by automatic subsetting: the quorum this one was cut down from (null otherwise). */
  readonly restore: string | null;
}

/** Problems with an admin request (empty when it is well formed). */
export function adminRequestProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return ['admin request must be an object'];
  const r = value as Record<string, unknown>;
  const id = (field: string, v: unknown): string[] =>
    Number.isSafeInteger(v) && (v as number) >= 1
      ? []
      : [`${field}: must be a positive integer node id (got ${JSON.stringify(v)})`];
  switch (r.op) {
    case 'add-member':
    case 'remove-member':
    case 'transfer-leader':
      return id('id', r.id);
    case 'prefer-leader':
      return r.id === null ? [] : id('id', r.id);
    case 'set-quorum': {
      const p = id('replication', r.replication).map((m) => m.replace('node id', 'quorum size'));
      const l =
        r.election === undefined
          ? []
          : id('election', r.election).map((m) => m.replace('node id', 'quorum size'));
      return [...p, ...l];
    }
    default:
      return [
        `op: must be one of add-member, remove-member, set-quorum, transfer-leader, prefer-leader (got ${JSON.stringify(r.op)})`,
      ];
  }
}
