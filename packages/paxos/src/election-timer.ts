/**
 * The election timer of a replica that does not lead: a randomized timeout in `[T, T + J)`
 * ticks (`electionTimeoutTicks`, `electionTimeoutJitterTicks`) without word from a leader, and
 * the pre-vote round it starts (`pre-vote.ts`). A fresh randomized timeout is also the backoff
 * after a rejection or a lost election.
 */
import type { ReplicaContext } from './context.js';
import type { PreVote } from './pre-vote.js';

/** See the module comment. */
export class ElectionTimer {
  readonly #ctx: ReplicaContext;
  #elapsed = 0;
  #timeout = 0;
  /** The pre-vote round under way, if any (dropped by `reset` and `heard`). */
  preVote: PreVote | undefined;

  constructor(ctx: ReplicaContext) {
    this.#ctx = ctx;
    this.reset();
  }

  /** One tick; true when the timeout has run out. */
  tick(): boolean {
    this.#elapsed++;
    return this.#elapsed >= this.#timeout;
  }

  /** Starts a fresh randomized timeout and drops a pre-vote round. */
  reset(): void {
    this.#elapsed = 0;
    this.preVote = undefined;
    const config = this.#ctx.config;
    const j = config.electionTimeoutJitterTicks;
    this.#timeout = config.electionTimeoutTicks + (j > 0 ? config.random.nextInt(j) : 0);
  }

  /** Word from the followed leader: the same timeout starts over, a pre-vote round is dropped. */
  heard(): void {
    this.#elapsed = 0;
    this.preVote = undefined;
  }

  /** Less than one (unrandomized) election timeout since the last word from the leader. */
  get heardRecently(): boolean {
    return this.#elapsed < this.#ctx.config.electionTimeoutTicks;
  }
}
