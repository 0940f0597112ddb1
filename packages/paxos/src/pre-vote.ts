/**
 * Pre-vote, a phase 0 before phase 1 (Ongaro's thesis §9.6; etcd-io/raft `PreVote`): a node
 * whose election timer fired does not raise its ballot at once. It asks the voters of the
 * configurations it knows (`pre-prepare`) whether they would promise the ballot it would use;
 * it starts phase 1 only once a phase-1 quorum of each of them would (`pre-promise`,
 * granted). Nothing is promised or persisted in phase 0, so it changes no safety argument:
 * phase 1 itself still decides.
 *
 * What it buys is liveness under partitions: a node cut off from the cluster (or a removed
 * node, or the minority side of a double fault) keeps timing out but never gets a quorum of
 * grants, so its promise does not climb; when it comes back, the leader's ballot is still
 * above its promise and nothing is deposed. Without it, such a node answers the leader's first
 * heartbeat with a Reject carrying its inflated ballot and forces an election.
 *
 * A voter grants when it would promise a new ballot of the asker now: no lease grant (or
 * restart wait) forbids it, the asker is a member of the newest configuration it knows (or its
 * log is ahead, so it may know a newer one), and it
 * does not follow a live leader (it is not the leader, and it did not hear from its leader
 * within the last election timeout). Every answer carries the voter's promise, so the asker's
 * phase 1 starts above every round it heard of.
 */
import type { ConfigState } from './configuration.js';
import { stateVoters } from './configuration.js';
import type { ReplicaContext } from './context.js';
import type { Acceptor } from './acceptor.js';
import type { Learner } from './learner.js';
import type { PrePrepareMessage, PrePromiseMessage } from './messages.js';
import type { Ballot, NodeId, Slot } from './types.js';
import { ballotEquals } from './ballot.js';

/** Outcome of a pre-vote so far. */
export type PreVoteResult = 'won' | 'lost' | 'pending';

/** One round of pre-vote for `ballot`. */
export class PreVote {
  readonly ballot: Ballot;
  readonly #ctx: ReplicaContext;
  readonly #states: readonly ConfigState[];
  readonly #votes = new Map<number, boolean>();

  /** Starts the round: counts the own grant and sends `pre-prepare` to every other voter. */
  constructor(ctx: ReplicaContext, ballot: Ballot) {
    this.#ctx = ctx;
    this.ballot = ballot;
    const committed = ctx.committedConfig;
    const newest = ctx.log.configFor(ctx.log.lastSlot + 1);
    const states: ConfigState[] = [];
    if (committed !== undefined) states.push(committed);
    if (newest !== undefined && newest !== committed) states.push(newest);
    this.#states = states;
    this.#votes.set(ctx.id, true);
    const targets = new Set<number>();
    for (const s of states) for (const v of stateVoters(s)) targets.add(v);
    targets.delete(ctx.id);
    for (const peer of [...targets].sort((a, b) => a - b)) {
      ctx.send({
        type: 'pre-prepare',
        from: ctx.id,
        to: peer as NodeId,
        ballot,
        fromSlot: (ctx.log.committed + 1) as Slot,
      });
    }
  }

  /** Records an answer; returns the outcome so far. */
  onReply(m: PrePromiseMessage): PreVoteResult {
    if (ballotEquals(m.ballot, this.ballot)) {
      this.#votes.set(m.from, m.granted);
    }
    return this.result();
  }

  /** Won once every configuration it knows has a phase-1 quorum of grants (either half of a joint one). */
  result(): PreVoteResult {
    if (this.#states.length === 0) return 'lost';
    let all: PreVoteResult = 'won';
    for (const state of this.#states) {
      const results = this.#ctx.componentsOf(state).map((q) => q.phase1Result(this.#votes));
      if (results.includes('won')) continue;
      if (results.every((r) => r === 'lost')) return 'lost';
      all = 'pending';
    }
    return all;
  }
}

/**
 * Answers a pre-prepare: granted when this node would promise a new ballot of the asker now
 * (see the module comment; `followsLiveLeader` comes from the replica's role). A removed node is
 * also sent the chosen log, so it learns its removal, as for a Prepare.
 */
export function answerPrePrepare(
  ctx: ReplicaContext,
  acceptor: Acceptor,
  learner: Learner,
  m: PrePrepareMessage,
  followsLiveLeader: boolean,
): void {
  // As for a Prepare (`Acceptor.onPrepare`): an asker whose log is ahead of this node's may be
  // a member of a configuration this node has not learned yet (a voter that is behind must not
  // hold up the election that would let it catch up).
  const ahead = m.fromSlot > ctx.log.committed + 1;
  const member = ahead || acceptor.knowsMember(m.from);
  // Not `ballot > promised`: phase 1 will start above every round the answers report.
  const granted = !followsLiveLeader && member && acceptor.mayPromise(m.ballot);
  ctx.send({
    type: 'pre-promise',
    from: ctx.id,
    to: m.from,
    ballot: m.ballot,
    granted,
    promised: acceptor.promised,
  });
  if (!member) {
    learner.onFetch({ from: m.from, fromSlot: m.fromSlot, toSlot: ctx.log.committed as Slot });
  }
}
