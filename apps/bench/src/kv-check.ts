/**
 * What `--scenario kv` writes and how a watcher checks what it receives (`kv-worker.ts`).
 *
 * Writer loop i puts to `<prefix><i>` values `<seq> <sentAtMs> xxx...`: its sequence number
 * (0, 1, 2, ... in the order the puts were acknowledged; the next put is sent only after the
 * previous one was acknowledged) and the epoch ms the put was sent. A watcher of the prefix
 * must therefore see, per key, the sequence numbers 0, 1, 2, ... with no gap and no repeat,
 * each at a higher revision than the one before; and the revisions of all its events must
 * never go down (several keys may share a revision: one log slot holds many commands).
 */

/** The value of writer put `seq`, sent at `sentAtMs`, padded with `x` to `size` bytes. */
export function writerValue(seq: number, sentAtMs: number, size: number): string {
  return `${seq} ${sentAtMs.toFixed(3)} `.padEnd(size, 'x');
}

/** The sequence number and send time in a writer value (NaN where it is not one). */
export function parseWriterValue(value: string): { seq: number; sentAtMs: number } {
  const a = value.indexOf(' ');
  const b = a < 0 ? -1 : value.indexOf(' ', a + 1);
  if (a < 0 || b < 0) return { seq: Number.NaN, sentAtMs: Number.NaN };
  return { seq: Number(value.slice(0, a)), sentAtMs: Number(value.slice(a + 1, b)) };
}

/** The checks of one watcher over the events of `loops` writer keys under `prefix`. */
export class WatchChecker {
  readonly #prefix: string;
  readonly #lastSeq: Int32Array;
  readonly #lastKeyRevision: Float64Array;
  #lastRevision = 0;
  events = 0;
  /** Sequence numbers skipped (events missing). */
  gaps = 0;
  /** Events of a sequence number already seen. */
  duplicates = 0;
  /** Events that are not a writer put under the prefix (a delete, another key, another value). */
  unexpected = 0;
  /** Events at a lower revision than an earlier one, or not above the key's previous event. */
  revisionRegressions = 0;

  constructor(prefix: string, loops: number) {
    this.#prefix = prefix;
    this.#lastSeq = new Int32Array(loops).fill(-1);
    this.#lastKeyRevision = new Float64Array(loops);
  }

  /** Checks one event; returns the epoch ms its put was sent (NaN if the value has none). */
  see(ev: { readonly key: string; readonly value: string; readonly revision: number }): number {
    this.events++;
    const loop = Number(ev.key.slice(this.#prefix.length));
    const { seq, sentAtMs } = parseWriterValue(ev.value);
    if (ev.revision < this.#lastRevision) this.revisionRegressions++;
    this.#lastRevision = Math.max(this.#lastRevision, ev.revision);
    if (
      !ev.key.startsWith(this.#prefix) ||
      !Number.isInteger(loop) ||
      loop < 0 ||
      loop >= this.#lastSeq.length ||
      !Number.isInteger(seq)
    ) {
      this.unexpected++;
      return sentAtMs;
    }
    if (ev.revision <= (this.#lastKeyRevision[loop] ?? 0)) this.revisionRegressions++;
    this.#lastKeyRevision[loop] = ev.revision;
    const last = this.#lastSeq[loop] ?? -1;
    if (seq <= last) this.duplicates++;
    else {
      this.gaps += seq - last - 1;
      this.#lastSeq[loop] = seq;
    }
    return sentAtMs;
  }

  /** Whether every loop's sequence reached `finalSeq[loop]` (-1: the loop wrote nothing). */
  isComplete(finalSeq: readonly number[]): boolean {
    return finalSeq.every((s, i) => (this.#lastSeq[i] ?? -1) >= s);
  }

  /** Events still missing at the end: per loop, `finalSeq` minus the last seen (never below 0). */
  missingAtEnd(finalSeq: readonly number[]): number {
    return finalSeq.reduce((sum, s, i) => sum + Math.max(0, s - (this.#lastSeq[i] ?? -1)), 0);
  }
}
