/**
 * The learner role: learning which slots are chosen and fetching the values a replica lacks.
 *
 * A follower treats an entry as chosen when it accepted it in ballot B and the leader of
 * ballot B announced a committed index at or above the slot (that leader proposes one value
 * per slot, so the follower's entry is the leader's chosen value), or when it received the
 * value in a `chosen` message (or a snapshot). Anything else it fetches from a peer that knows
 * more, rate-limited.
 */
import type { Acceptor } from './acceptor.js';
import { ballotEquals } from './ballot.js';
import type { ReplicaContext } from './context.js';
import type { FetchMessage } from './messages.js';
import type { Ballot, NodeId, Slot } from './types.js';

/** A fetch is answered with at most this many `chosen` messages (each up to batchBytesMax). */
const FETCH_ANSWER_MAX_MESSAGES = 16;

/** The learner side of one replica. */
export class Learner {
  readonly #ctx: ReplicaContext;
  readonly #acceptor: Acceptor;
  /** Tick at which the last fetch was sent (fetches are rate-limited). */
  #lastFetchTick: number | undefined;

  constructor(ctx: ReplicaContext, acceptor: Acceptor) {
    this.#ctx = ctx;
    this.#acceptor = acceptor;
  }

  /**
   * The leader of `ballot` says every slot up to `committed` is chosen: entries this acceptor
   * accepted in that very ballot are that leader's (one value per slot per ballot), so chosen.
   * The caller advances the committed index afterwards.
   */
  learnCommit(ballot: Ballot, committed: number): void {
    const leaderCommit = this.#acceptor.noteLeaderCommit(ballot, committed);
    if (leaderCommit === undefined) {
      return;
    }
    const log = this.#ctx.log;
    const upTo = Math.min(leaderCommit, log.lastSlot);
    for (let s = log.committed + 1; s <= upTo; s++) {
      const e = log.entry(s);
      if (e !== undefined && !e.chosen && ballotEquals(e.ballot, ballot)) {
        log.markChosen(s);
      }
    }
  }

  /**
   * Asks `to` for chosen values in (committed, upTo]. Rate-limited: at most one fetch per
   * heartbeat interval, except a continuation right after an answer that made progress (at
   * most one per tick). Failure scenario without the limit (sim seed 30177): every heartbeat,
   * Accept and answer revealing the gap triggered a new fetch, every fetch an answer, and
   * duplicated answers made the traffic grow exponentially.
   */
  fetch(to: NodeId, upTo: number, afterProgress = false): void {
    const ctx = this.#ctx;
    if (to === ctx.id || upTo <= ctx.log.committed) {
      return;
    }
    const last = this.#lastFetchTick;
    const allowed =
      last === undefined ||
      ctx.ticks - last >= ctx.config.heartbeatIntervalTicks ||
      (afterProgress && last < ctx.ticks);
    if (!allowed) {
      return;
    }
    this.#lastFetchTick = ctx.ticks;
    ctx.send({
      type: 'fetch',
      from: ctx.id,
      to,
      fromSlot: (ctx.log.committed + 1) as Slot,
      toSlot: upTo as Slot,
    });
  }

  /** Answers a fetch with chosen values, or with the snapshot when the range is compacted. */
  onFetch(m: Pick<FetchMessage, 'from' | 'fromSlot' | 'toSlot'>): void {
    const ctx = this.#ctx;
    const log = ctx.log;
    if (m.fromSlot <= log.snapshotIndex) {
      const config = log.baseConfig;
      if (log.snapshot !== undefined && config !== undefined) {
        ctx.send({ type: 'snapshot', from: ctx.id, to: m.from, snapshot: log.snapshot, config });
      }
      return;
    }
    const to = Math.min(m.toSlot, log.committed);
    const chunks = log.chosenEntries(
      m.fromSlot,
      to,
      ctx.config.batchBytesMax,
      FETCH_ANSWER_MAX_MESSAGES,
    );
    for (const entries of chunks) {
      ctx.send({
        type: 'chosen',
        from: ctx.id,
        to: m.from,
        entries,
        committed: log.committed as Slot,
      });
    }
  }

  /**
   * After a `chosen` message from `from` (announcing `committed`) was stored and the committed
   * index advanced from `before`: fetch the rest, at once only when this answer made progress
   * (a duplicate does not).
   */
  afterChosen(from: NodeId, committed: number, before: number): void {
    const now = this.#ctx.log.committed;
    if (now < committed) {
      this.fetch(from, committed, now > before);
    }
  }
}
