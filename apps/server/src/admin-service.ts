/**
 * The admin service: one node's side of the administrative requests of the client protocol
 * (`@flexpaxos/client`, `admin.ts`): membership and quorum changes and leadership transfer.
 *
 * - Only the leader serves them (a follower answers `not-leader`, the client follows it).
 * - A request becomes a target configuration built from the newest one the leader knows
 *   ({@link targetFor}); the core's `changeConfig` drives it through the log (learners first,
 *   catch-up, the joint step, the final entry: `packages/paxos/src/reconfig.ts`).
 * - The reply waits until the target is the committed configuration with no joint step left
 *   (checked after every run of the host loop and every tick), then carries the configuration
 *   report; a change the core abandons (a learner that did not catch up) or refuses (a rule it
 *   breaks, one change at a time) answers `refused` with the core's words.
 * - A transfer waits until this node follows the target.
 * - Requests are idempotent: asking for the configuration in force answers at once, and a
 *   request for the change already in progress waits for it, so the client may retry after a
 *   timeout or a leader change. Losing leadership answers `not-leader`: the client retries at
 *   the new leader, which finishes a joint step it finds (`finishJoint`) or starts the change.
 */
import type {
  AdminReply,
  AdminRequest,
  ConfigReport,
  QuorumReport,
  Response,
} from '@flexpaxos/client';
import { configurationsEqual, describeConfigState } from '@flexpaxos/paxos';
import type {
  ChangeConfigResult,
  ConfigState,
  Configuration,
  NodeId,
  ReplicaStatus,
  Role,
  TransferResult,
} from '@flexpaxos/paxos';
import { describeQuorumSpec, specVoters, validateCountingQuorum } from '@flexpaxos/quorum';
import type { QuorumSpec } from '@flexpaxos/quorum';

/** An admin request still unanswered after this long is answered `unavailable` (the client retries). */
export const ADMIN_WAIT_MS = 55_000;

/** The part of `Replica` the admin service uses. */
export interface AdminReplica {
  readonly role: Role;
  readonly leader: NodeId | undefined;
  status(): ReplicaStatus;
  changeConfig(target: Configuration, reason?: string): ChangeConfigResult;
  transferLeadership(to: NodeId): TransferResult;
}

type Waiter =
  | {
      readonly kind: 'change';
      readonly target: Configuration;
      readonly detail: string;
      readonly respond: (r: Response) => void;
      readonly startMs: number;
    }
  | {
      readonly kind: 'transfer';
      readonly to: NodeId;
      readonly respond: (r: Response) => void;
      readonly startMs: number;
    };

/** What the admin service counted (for `/metrics`). */
export interface AdminCounts {
  requests: number;
  refused: number;
  changesDone: number;
  transfersDone: number;
}

/** Serves the admin requests of one node; see the module comment. */
export class AdminService {
  readonly counts: AdminCounts = { requests: 0, refused: 0, changesDone: 0, transfersDone: 0 };
  readonly #replica: AdminReplica;
  readonly #nodeId: number;
  readonly #kick: () => void;
  #waiters: Waiter[] = [];

  constructor(deps: { nodeId: number; replica: AdminReplica; kick: () => void }) {
    this.#nodeId = deps.nodeId;
    this.#replica = deps.replica;
    this.#kick = deps.kick;
  }

  /** Requests waiting for their change. */
  get pending(): number {
    return this.#waiters.length;
  }

  /** One admin request; `respond` is called exactly once. */
  onRequest(request: AdminRequest, respond: (r: Response) => void): void {
    this.counts.requests++;
    const answer = (r: Response): void => {
      if (r.kind === 'error' && r.code === 'refused') this.counts.refused++;
      respond(r);
    };
    if (this.#replica.role !== 'leader') {
      answer(this.#notLeader());
      return;
    }
    const status = this.#replica.status();
    if (request.op === 'transfer-leader') {
      this.#transfer(request.id as NodeId, status, answer);
      return;
    }
    const latest = status.config.latest ?? status.config.state;
    if (latest === undefined) {
      answer(unavailable('the leader does not know its configuration yet'));
      return;
    }
    const built = targetFor(request, latest.incoming);
    if ('problem' in built) {
      answer(refused(built.problem));
      return;
    }
    const { target, detail } = built;
    if (this.#inForce(target, status)) {
      answer(this.#reply(status, `${detail}: already in force`));
      return;
    }
    const pending = status.config.pending;
    if (pending !== undefined && configurationsEqual(pending.target, target)) {
      // The same change is under way (a retry, or a joint step being completed): wait for it.
      this.#waiters.push({ kind: 'change', target, detail, respond: answer, startMs: now() });
      return;
    }
    const started = this.#replica.changeConfig(target, 'operator');
    switch (started.kind) {
      case 'not-leader':
        answer(this.#notLeader());
        return;
      case 'busy':
        answer(refused(started.detail));
        return;
      case 'invalid':
        answer(refused(started.problems.map((p) => `${p.field}: ${p.rule}`).join('; ')));
        return;
      case 'unchanged':
      case 'started':
        this.#waiters.push({ kind: 'change', target, detail, respond: answer, startMs: now() });
        this.#kick();
        this.check();
        return;
    }
  }

  /** After a host-loop run or a tick: answers every request whose change ended. */
  check(): void {
    if (this.#waiters.length === 0) return;
    const status = this.#replica.status();
    const t = now();
    const left: Waiter[] = [];
    for (const w of this.#waiters) {
      const r = this.#outcome(w, status, t);
      if (r === undefined) left.push(w);
      else w.respond(r);
    }
    this.#waiters = left;
  }

  /** Stops: every waiting request is answered `unavailable`. */
  stop(): void {
    const r = unavailable(`node ${this.#nodeId} is shutting down`);
    for (const w of this.#waiters) w.respond(r);
    this.#waiters = [];
  }

  #outcome(w: Waiter, status: ReplicaStatus, t: number): Response | undefined {
    if (w.kind === 'transfer') {
      if (status.leader === w.to && status.role !== 'leader') {
        this.counts.transfersDone++;
        return this.#reply(status, `leadership moved to ${w.to}`);
      }
      if (t - w.startMs > ADMIN_WAIT_MS) {
        return refused(
          `node ${w.to} did not take over (still led by ${status.leader ?? 'nobody'})`,
        );
      }
      return undefined;
    }
    if (this.#inForce(w.target, status)) {
      this.counts.changesDone++;
      return this.#reply(status, w.detail);
    }
    if (status.role !== 'leader') return this.#notLeader(status);
    const pending = status.config.pending;
    const last = status.config.lastChange;
    if (
      pending === undefined &&
      last !== undefined &&
      last.result === 'abandoned' &&
      configurationsEqual(last.target, w.target)
    ) {
      return refused(`the change was abandoned: ${last.detail ?? 'no reason given'}`);
    }
    if (pending === undefined && status.config.latest?.outgoing === undefined) {
      // Neither running nor done nor abandoned (another change replaced it): start it again.
      const again = this.#replica.changeConfig(w.target, 'operator');
      if (again.kind === 'busy' || again.kind === 'invalid' || again.kind === 'not-leader') {
        return again.kind === 'not-leader'
          ? this.#notLeader(status)
          : refused(
              again.kind === 'busy'
                ? again.detail
                : again.problems.map((p) => `${p.field}: ${p.rule}`).join('; '),
            );
      }
      this.#kick();
    }
    if (t - w.startMs > ADMIN_WAIT_MS) {
      return unavailable(`the change is still in progress after ${ADMIN_WAIT_MS} ms`);
    }
    return undefined;
  }

  #transfer(to: NodeId, status: ReplicaStatus, answer: (r: Response) => void): void {
    if (to === this.#nodeId) {
      answer(this.#reply(status, `node ${to} leads already`));
      return;
    }
    const started = this.#replica.transferLeadership(to);
    switch (started.kind) {
      case 'not-leader':
        answer(this.#notLeader());
        return;
      case 'invalid-target':
        answer(refused(`node ${to} is not a voter of the configuration (${quorumText(status)})`));
        return;
      case 'not-caught-up':
        answer(refused(`node ${to} is not caught up with the leader; try again once it is`));
        return;
      case 'started':
        this.#waiters.push({ kind: 'transfer', to, respond: answer, startMs: now() });
        this.#kick();
    }
  }

  /** The target is the committed configuration and no joint step is left. */
  #inForce(target: Configuration, status: ReplicaStatus): boolean {
    const state = status.config.state;
    return (
      state !== undefined &&
      state.outgoing === undefined &&
      configurationsEqual(state.incoming, target) &&
      (status.config.latest === undefined ||
        (status.config.latest.outgoing === undefined &&
          configurationsEqual(status.config.latest.incoming, target)))
    );
  }

  #reply(status: ReplicaStatus, detail: string): Response {
    const config = configReport(status);
    if (config === null) return unavailable('the configuration is not known yet');
    const reply: AdminReply = { config, leader: status.leader ?? null, detail };
    return { kind: 'admin', reply };
  }

  #notLeader(status?: ReplicaStatus): Response {
    const leader = (status ?? this.#replica.status()).leader;
    return { kind: 'not-leader', leader: leader === this.#nodeId ? undefined : leader };
  }
}

/**
 * The configuration an admin request asks for, from `current`, or the rule it breaks.
 *
 * Quorum sizes follow the counting rule L + P > N: adding or removing a voter keeps P (at most
 * the new N) and keeps L as small as the rule allows when it was the smallest before
 * (L = N - P + 1), else keeps L within [N - P + 1, N]. `set-quorum` without L takes the
 * smallest L. Only counting quorums are changed by these requests.
 */
export function targetFor(
  request: Exclude<AdminRequest, { op: 'transfer-leader' }>,
  current: Configuration,
): { target: Configuration; detail: string } | { problem: string } {
  const q = current.quorum;
  if (q.kind !== 'counting') {
    return { problem: `quorum: only counting quorums can be changed here (this one is ${q.kind})` };
  }
  const voters = specVoters(q);
  const base: Configuration = { quorum: q, learners: current.learners };
  const withPreferred = (c: Configuration, preferred: number | undefined): Configuration =>
    preferred !== undefined && specVoters(c.quorum).includes(preferred)
      ? { ...c, preferredLeader: preferred as NodeId }
      : c;
  switch (request.op) {
    case 'add-member': {
      const id = request.id as NodeId;
      if (voters.includes(id)) {
        return {
          target: withPreferred(base, current.preferredLeader),
          detail: `node ${id} is a voter`,
        };
      }
      const next = [...voters, id].sort((a, b) => a - b);
      return {
        target: withPreferred(
          {
            quorum: resized(q.replication, q.election, voters.length, next),
            learners: current.learners.filter((l) => l !== id),
          },
          current.preferredLeader,
        ),
        detail: `added node ${id} as a voter`,
      };
    }
    case 'remove-member': {
      const id = request.id as NodeId;
      if (current.learners.includes(id)) {
        return {
          target: withPreferred(
            { quorum: q, learners: current.learners.filter((l) => l !== id) },
            current.preferredLeader,
          ),
          detail: `removed learner ${id}`,
        };
      }
      if (!voters.includes(id)) {
        return {
          target: withPreferred(base, current.preferredLeader),
          detail: `node ${id} is not a member`,
        };
      }
      const next = voters.filter((v) => v !== id);
      if (next.length === 0) return { problem: `members: cannot remove the last voter (${id})` };
      return {
        target: withPreferred(
          {
            quorum: resized(q.replication, q.election, voters.length, next),
            learners: current.learners,
          },
          current.preferredLeader === id ? undefined : current.preferredLeader,
        ),
        detail: `removed node ${id}`,
      };
    }
    case 'set-quorum': {
      const n = voters.length;
      const problems = validateCountingQuorum({
        members: voters,
        replication: request.replication,
        election: request.election,
      });
      if (problems.length > 0) {
        return { problem: problems.map((p) => `${p.field}: ${p.message}`).join('; ') };
      }
      const election = request.election ?? n - request.replication + 1;
      return {
        target: withPreferred(
          {
            quorum: { kind: 'counting', voters, replication: request.replication, election },
            learners: current.learners,
          },
          current.preferredLeader,
        ),
        detail: `quorum set to P=${request.replication} L=${election} on N=${n}`,
      };
    }
    case 'prefer-leader': {
      if (request.id !== null && !voters.includes(request.id)) {
        return {
          problem: `preferred-leader: node ${request.id} must be a voter (voters [${voters.join(',')}])`,
        };
      }
      return {
        target: withPreferred(base, request.id ?? undefined),
        detail: request.id === null ? 'no preferred leader' : `preferred leader ${request.id}`,
      };
    }
  }
}

/** A counting quorum over `next` voters from one with P, L on `oldN` voters (see `targetFor`). */
function resized(p: number, l: number, oldN: number, next: readonly number[]): QuorumSpec {
  const n = next.length;
  const replication = Math.min(p, n);
  const least = n - replication + 1;
  const election = l === oldN - p + 1 ? least : Math.min(n, Math.max(l, least));
  return { kind: 'counting', voters: [...next] as NodeId[], replication, election };
}

/** The configuration report of a status (null while this node knows none). */
export function configReport(status: ReplicaStatus): ConfigReport | null {
  const c = status.config;
  const state: ConfigState | undefined = c.state;
  if (state === undefined) return null;
  const pending = c.pending;
  const last = c.lastChange;
  return {
    quorum: quorumReport(state.incoming.quorum),
    joint: state.outgoing === undefined ? null : quorumReport(state.outgoing.quorum),
    learners: [...state.incoming.learners],
    preferredLeader: state.incoming.preferredLeader ?? null,
    index: c.index,
    pending:
      pending === undefined
        ? null
        : {
            step: pending.step,
            target: describeConfigState({ incoming: pending.target }),
            reason: pending.reason,
          },
    lastChange:
      last === undefined
        ? null
        : {
            target: describeConfigState({ incoming: last.target }),
            reason: last.reason,
            result: last.result,
            detail: last.detail ?? null,
          },
    restore:
      state.incoming.restore === undefined ? null : describeQuorumSpec(state.incoming.restore),
  };
}

function quorumReport(spec: QuorumSpec): QuorumReport {
  return {
    kind: spec.kind,
    voters: specVoters(spec),
    replication: spec.kind === 'counting' ? spec.replication : null,
    election: spec.kind === 'counting' ? spec.election : null,
    text: describeQuorumSpec(spec),
  };
}

function quorumText(status: ReplicaStatus): string {
  const s = status.config.latest ?? status.config.state;
  return s === undefined ? 'unknown' : describeConfigState(s);
}

function refused(message: string): Response {
  return { kind: 'error', code: 'refused', message };
}

function unavailable(message: string): Response {
  return { kind: 'error', code: 'unavailable', message };
}

function now(): number {
  return performance.now();
}
