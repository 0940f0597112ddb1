/**
 * The simulated network: every message is delayed by a random number of ticks (so messages
 * reorder), may be lost or duplicated (integer-ratio probabilities), and is dropped at
 * delivery when a partition blocks its link. In `manual` mode (trace tests) messages wait in
 * a queue until a script delivers or drops them.
 */
import type { SimMessage } from './core-types.js';
import { NEVER, type Prng, type Ratio } from './prng.js';

/** Per-seed network behaviour. */
export interface NetworkConfig {
  readonly minDelayTicks: number;
  readonly maxDelayTicks: number;
  readonly loss: Ratio;
  readonly duplication: Ratio;
  /** Probability that a message is slow: delayed up to `maxSlowDelayTicks` (stale deliveries). */
  readonly slow: Ratio;
  readonly maxSlowDelayTicks: number;
}

/** How a partition blocks links between its pieces. */
export type PartitionKind = 'symmetric' | 'one-way-out' | 'one-way-in' | 'bridge' | 'links';

/**
 * A partition: `pieces[0]` is the distinguished piece. `symmetric` blocks every link between
 * different pieces; `one-way-out` blocks only links leaving piece 0; `one-way-in` only links
 * entering piece 0; `bridge` (Jepsen's bridge nemesis) blocks only links between pieces 0 and
 * 1, so the nodes of piece 2 see both sides; `links` ignores the pieces and cuts exactly the
 * directed links in `cut` (a flaky network: A may reach B while B cannot reach A).
 */
export interface Partition {
  readonly pieces: readonly (readonly number[])[];
  readonly kind: PartitionKind;
  /** Directed links `[from, to]` cut by a `links` partition. */
  readonly cut?: readonly (readonly [number, number])[];
}

/** Formats a partition for logs: `{1,2}|{3,4,5} symmetric`. */
export function describePartition(p: Partition): string {
  if (p.kind === 'links') return 'links cut ' + (p.cut ?? []).map(([a, b]) => `${a}->${b}`).join(' ');
  return p.pieces.map((piece) => `{${piece.join(',')}}`).join('|') + ' ' + p.kind;
}

/** The simulated network. */
export class SimNetwork {
  config: NetworkConfig;
  private readonly random: Prng;
  private readonly buckets = new Map<number, SimMessage[]>();
  /** Messages waiting for a script (manual mode), in send order. */
  readonly manualQueue: SimMessage[] = [];
  readonly manual: boolean;
  private pieceOf = new Map<number, number>();
  private partitionKind: PartitionKind = 'symmetric';
  private cutLinks = new Set<string>();
  partition: Partition | undefined;
  /** Counters for reports. */
  sent = 0;
  lost = 0;
  duplicated = 0;
  blocked = 0;

  constructor(config: NetworkConfig, random: Prng, manual: boolean) {
    this.config = config;
    this.random = random;
    this.manual = manual;
  }

  /** Stops loss and duplication (liveness phase); delays stay. */
  calm(): void {
    this.config = { ...this.config, loss: NEVER, duplication: NEVER, slow: NEVER };
  }

  /** Installs (or with `undefined` heals) a partition. */
  setPartition(p: Partition | undefined): void {
    this.partition = p;
    this.pieceOf = new Map();
    if (p === undefined) return;
    p.pieces.forEach((piece, i) => piece.forEach((n) => this.pieceOf.set(n, i)));
    this.partitionKind = p.kind;
    this.cutLinks = new Set((p.cut ?? []).map(([a, b]) => `${a}>${b}`));
  }

  /** Whether the link `from -> to` is currently cut. */
  isBlocked(from: number, to: number): boolean {
    if (this.partition === undefined) return false;
    const kind = this.partitionKind;
    if (kind === 'links') return this.cutLinks.has(`${from}>${to}`);
    const a = this.pieceOf.get(from) ?? -1;
    const b = this.pieceOf.get(to) ?? -1;
    if (a === b) return false;
    switch (kind) {
      case 'symmetric':
        return true;
      case 'one-way-out':
        return a === 0;
      case 'one-way-in':
        return b === 0;
      case 'bridge':
        return (a === 0 && b === 1) || (a === 1 && b === 0);
    }
  }

  /** Puts a message on the wire at tick `now`. */
  send(message: SimMessage, now: number): void {
    this.sent++;
    if (this.manual) {
      this.manualQueue.push(message);
      return;
    }
    if (this.random.chance(this.config.loss)) {
      this.lost++;
      return;
    }
    this.enqueue(message, now);
    if (this.random.chance(this.config.duplication)) {
      this.duplicated++;
      this.enqueue(message, now);
    }
  }

  private enqueue(message: SimMessage, now: number): void {
    const c = this.config;
    const max = c.slow.num > 0 && this.random.chance(c.slow) ? c.maxSlowDelayTicks : c.maxDelayTicks;
    const due = now + this.random.between(c.minDelayTicks, Math.max(c.minDelayTicks, max));
    const bucket = this.buckets.get(due);
    if (bucket === undefined) this.buckets.set(due, [message]);
    else bucket.push(message);
  }

  /** Removes and returns the messages due at tick `now` whose links are open, shuffled. */
  due(now: number): SimMessage[] {
    const bucket = this.buckets.get(now);
    if (bucket === undefined) return [];
    this.buckets.delete(now);
    const open: SimMessage[] = [];
    for (const m of bucket) {
      if (this.isBlocked(m.from, m.to)) this.blocked++;
      else open.push(m);
    }
    if (open.length > 1) this.random.shuffle(open);
    return open;
  }

  /**
   * Messages of type `type` to `to` due within ticks `[from, until]` whose links are open now
   * (targeted faults look at them).
   */
  upcoming(type: string, to: number, from: number, until: number): SimMessage[] {
    const out: SimMessage[] = [];
    for (let t = from; t <= until; t++) {
      for (const m of this.buckets.get(t) ?? []) if (m.type === type && m.to === to && !this.isBlocked(m.from, m.to)) out.push(m);
    }
    return out;
  }

  /** Whether any message is still in flight (random mode). */
  get inFlight(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.length;
    return n;
  }
}
