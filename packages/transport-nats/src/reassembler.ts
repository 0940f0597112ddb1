/**
 * Reassembles large messages sent as chunk frames (see `frame.ts`). Partial transfers are
 * bounded: in total bytes held, in transfers per sender, and in age. NATS may drop chunks
 * (on reconnect, for example); an incomplete transfer then simply expires, and the Paxos core
 * resends what it still needs.
 *
 * Invariant: `bytesHeld` equals the sum of `totalBytes` of the partial transfers held and never
 * exceeds `bytesMax`.
 */
import { assert } from './assert.js';
import { CHUNK_HEADER_BYTES_MAX, FRAME_BYTES_MIN } from './frame.js';
import type { Chunk } from './frame.js';

/** The smallest payload of a chunk that is not the last of its transfer. */
const MIN_CHUNK_BYTES = FRAME_BYTES_MIN - CHUNK_HEADER_BYTES_MAX;

/** Limits of a {@link ChunkReassembler}. */
export interface ReassemblerLimits {
  /** How long a partial transfer may wait for its missing chunks. */
  readonly timeoutMs: number;
  /** The most bytes held by all partial transfers together (also the largest message). */
  readonly bytesMax: number;
  /** The most partial transfers kept per sender; a newer one evicts the oldest. */
  readonly transfersPerSenderMax: number;
}

/** What adding one chunk did. */
export type ReassemblyResult =
  | {
      readonly kind: 'complete';
      readonly from: number;
      readonly to: number;
      readonly entry: Uint8Array;
    }
  | { readonly kind: 'pending' }
  | { readonly kind: 'duplicate' }
  /** The chunk was refused (its partial transfer, if any, is dropped). */
  | { readonly kind: 'rejected'; readonly reason: string };

interface Partial {
  readonly key: string;
  readonly sender: string;
  readonly from: number;
  readonly to: number;
  readonly count: number;
  readonly buffer: Uint8Array;
  readonly received: Uint8Array;
  receivedChunks: number;
  receivedBytes: number;
  readonly startedMs: number;
}

/**
 * Collects chunks until a transfer is complete. Time comes from the injected `nowMs` clock, so
 * tests drive expiry without waiting; the transport calls {@link expire} from a timer.
 */
export class ChunkReassembler {
  readonly #limits: ReassemblerLimits;
  readonly #nowMs: () => number;
  /** Insertion order is age order: the first partial is the oldest. */
  readonly #partials = new Map<string, Partial>();
  #bytesHeld = 0;
  /** Transfers dropped (expired or evicted) before completing, since creation. */
  droppedTransfers = 0;

  constructor(limits: ReassemblerLimits, nowMs: () => number) {
    assert(limits.timeoutMs > 0, 'timeoutMs must be positive');
    assert(
      Number.isSafeInteger(limits.bytesMax) && limits.bytesMax > 0,
      'bytesMax must be a positive integer',
    );
    assert(
      Number.isSafeInteger(limits.transfersPerSenderMax) && limits.transfersPerSenderMax > 0,
      'transfersPerSenderMax must be a positive integer',
    );
    this.#limits = limits;
    this.#nowMs = nowMs;
  }

  /** Bytes currently held by partial transfers. */
  get bytesHeld(): number {
    return this.#bytesHeld;
  }

  /** Partial transfers currently held. */
  get partialCount(): number {
    return this.#partials.size;
  }

  /** Adds one chunk; returns the whole entry when this chunk completes its transfer. */
  add(chunk: Chunk): ReassemblyResult {
    this.expire();
    const sender = `${chunk.from}/${chunk.incarnation}`;
    const key = `${sender}/${chunk.transferId}`;
    let partial = this.#partials.get(key);
    if (partial === undefined) {
      if (chunk.totalBytes > this.#limits.bytesMax) {
        return {
          kind: 'rejected',
          reason: `message of ${chunk.totalBytes} bytes exceeds ${this.#limits.bytesMax}`,
        };
      }
      // Senders fill every chunk but the last with at least MIN_CHUNK_BYTES, so a larger count
      // is forged; refusing it also bounds the per-transfer bookkeeping.
      if (chunk.count > Math.ceil(chunk.totalBytes / MIN_CHUNK_BYTES)) {
        return { kind: 'rejected', reason: `${chunk.count} chunks for ${chunk.totalBytes} bytes` };
      }
      this.#evictFor(sender, chunk.totalBytes);
      partial = {
        key,
        sender,
        from: chunk.from,
        to: chunk.to,
        count: chunk.count,
        buffer: new Uint8Array(chunk.totalBytes),
        received: new Uint8Array(chunk.count),
        receivedChunks: 0,
        receivedBytes: 0,
        startedMs: this.#nowMs(),
      };
      this.#partials.set(key, partial);
      this.#bytesHeld += chunk.totalBytes;
    } else if (
      partial.count !== chunk.count ||
      partial.buffer.length !== chunk.totalBytes ||
      partial.to !== chunk.to
    ) {
      this.#drop(partial);
      return { kind: 'rejected', reason: 'chunk disagrees with its transfer' };
    }
    if (partial.received[chunk.index] === 1) {
      return { kind: 'duplicate' };
    }
    if (partial.receivedBytes + chunk.bytes.length > partial.buffer.length) {
      this.#drop(partial);
      return { kind: 'rejected', reason: 'chunks overflow their transfer' };
    }
    partial.buffer.set(chunk.bytes, chunk.offset);
    partial.received[chunk.index] = 1;
    partial.receivedChunks += 1;
    partial.receivedBytes += chunk.bytes.length;
    if (partial.receivedChunks < partial.count) {
      return { kind: 'pending' };
    }
    this.#remove(partial);
    if (partial.receivedBytes !== partial.buffer.length) {
      this.droppedTransfers += 1;
      return { kind: 'rejected', reason: 'chunks do not cover their transfer' };
    }
    return { kind: 'complete', from: partial.from, to: partial.to, entry: partial.buffer };
  }

  /** Drops partial transfers older than the timeout; returns how many. */
  expire(): number {
    const deadline = this.#nowMs() - this.#limits.timeoutMs;
    let dropped = 0;
    for (const partial of this.#partials.values()) {
      if (partial.startedMs <= deadline) {
        this.#drop(partial);
        dropped += 1;
      }
    }
    return dropped;
  }

  /** Drops every partial transfer. */
  clear(): void {
    for (const partial of this.#partials.values()) {
      this.#drop(partial);
    }
  }

  #evictFor(sender: string, bytes: number): void {
    let sameSender = 0;
    for (const p of this.#partials.values()) {
      if (p.sender === sender) {
        sameSender += 1;
      }
    }
    for (const p of this.#partials.values()) {
      if (sameSender < this.#limits.transfersPerSenderMax) {
        break;
      }
      if (p.sender === sender) {
        this.#drop(p);
        sameSender -= 1;
      }
    }
    for (const p of this.#partials.values()) {
      if (this.#bytesHeld + bytes <= this.#limits.bytesMax) {
        break;
      }
      this.#drop(p);
    }
    assert(this.#bytesHeld + bytes <= this.#limits.bytesMax, 'reassembly bytes bound');
  }

  #drop(partial: Partial): void {
    this.#remove(partial);
    this.droppedTransfers += 1;
  }

  #remove(partial: Partial): void {
    if (this.#partials.delete(partial.key)) {
      this.#bytesHeld -= partial.buffer.length;
    }
  }
}
