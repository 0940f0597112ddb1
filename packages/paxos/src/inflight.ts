/**
 * A leader's progress tracking: per in-flight slot, which acceptors accepted it in the
 * leader's ballot and when its Accept was last sent; per peer, when it last acknowledged
 * anything and whether it was heard from in the current check-quorum period. Quorum
 * arithmetic stays in `@flexpaxos/quorum`; this file only records who said what when.
 */

/** One slot proposed by the leader and not yet chosen. */
export interface InflightSlot {
  /** Acceptors (the leader included, once durable) that accepted it in the leader's ballot. */
  readonly acks: Set<number>;
  /** Tick at which the Accept was last sent. */
  sentTick: number;
}

/** The leader's in-flight slots and per-peer progress. */
export class Inflight {
  readonly #slots = new Map<number, InflightSlot>();
  /** Tick of the last acknowledgement from each peer (for thrifty target choice). */
  readonly #lastAckTick = new Map<number, number>();
  /** Peers heard from in the current check-quorum period. */
  readonly #heardFrom = new Set<number>();

  /** Tracks a newly proposed slot whose Accept leaves at `tick`. */
  add(slot: number, tick: number): void {
    this.#slots.set(slot, { acks: new Set(), sentTick: tick });
  }

  /** The in-flight slot `slot`, if tracked. */
  get(slot: number): InflightSlot | undefined {
    return this.#slots.get(slot);
  }

  /** Stops tracking slots in [from, to] (they are committed). */
  deleteRange(from: number, to: number): void {
    for (let s = from; s <= to; s++) {
      this.#slots.delete(s);
    }
  }

  /** Whether some tracked slot is at or below `index`. */
  someAtOrBelow(index: number): boolean {
    for (const s of this.#slots.keys()) {
      if (s <= index) {
        return true;
      }
    }
    return false;
  }

  /** Every tracked slot, in proposal order. */
  entries(): IterableIterator<[number, InflightSlot]> {
    return this.#slots.entries();
  }

  /** `peer` acknowledged something at `tick` (an Accepted or a heartbeat reply). */
  noteHeard(peer: number, tick: number): void {
    this.#lastAckTick.set(peer, tick);
    this.#heardFrom.add(peer);
  }

  /** Tick of `peer`'s last acknowledgement, or -1 when never. */
  lastAckTick(peer: number): number {
    return this.#lastAckTick.get(peer) ?? -1;
  }

  /** Whether `peer` was heard from in the current check-quorum period. */
  heardFromNow(peer: number): boolean {
    return this.#heardFrom.has(peer);
  }

  /** Ends a check-quorum period: returns the peers heard from in it and starts a new one. */
  takeHeardFrom(): Set<number> {
    const heard = new Set(this.#heardFrom);
    this.#heardFrom.clear();
    return heard;
  }
}
