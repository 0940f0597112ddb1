/**
 * Messages between `pnpm bench --scenario kv` (`kv.ts`) and its two worker processes
 * (`kv-worker.ts`): the client process (writer, keep-alive callers, transaction clients) and
 * the watcher process (the prefix watchers). Node IPC; times crossing processes are epoch
 * milliseconds (`epochMs()` of `worker-protocol.ts`).
 */

/** What a worker process is (passed as JSON in argv). */
export interface KvWorkerConfig {
  readonly role: 'client' | 'watchers';
  readonly servers: readonly string[];
  readonly cluster: string;
}

/**
 * One phase of the scenario, set up by `setup` and ended by `finish`:
 * - `write`: `clients` closed loops, loop i putting `valueSizeBytes` values to `<prefix><i>`,
 *   each value starting with the loop's sequence number (0, 1, ...) and the epoch ms it was sent;
 * - `watch`: `watchers` prefix watchers on `prefix`, watcher i created at `nodes[i % n]`,
 *   checking the writer's `loops` sequences (see `kv-worker.ts`);
 * - `keepalive`: `leases` leases of `ttlMs` granted, `callers` closed loops renewing them in turn;
 * - `txn`: `clients` closed loops, loop i compare-and-swapping `<prefix><i % keys>`.
 */
export type KvPhase =
  | {
      readonly kind: 'write';
      readonly prefix: string;
      readonly clients: number;
      readonly valueSizeBytes: number;
    }
  | {
      readonly kind: 'watch';
      readonly prefix: string;
      readonly watchers: number;
      readonly nodes: readonly number[];
      readonly loops: number;
    }
  | {
      readonly kind: 'keepalive';
      readonly callers: number;
      readonly leases: number;
      readonly ttlMs: number;
    }
  | {
      readonly kind: 'txn';
      readonly prefix: string;
      readonly clients: number;
      readonly keys: number;
      readonly valueSizeBytes: number;
    };

/** Benchmark -> worker. */
export type ToKvWorker =
  /** Prepare the phase (watchers created and ready, leases granted, keys created); answer `ready`. */
  | { readonly type: 'setup'; readonly phase: KvPhase }
  /** Start the closed loops (warm-up); watchers are consuming from `setup` on. */
  | { readonly type: 'start' }
  /** Reset the counters and histograms: the measured window begins. */
  | { readonly type: 'measure' }
  /** The measured window ends: send a `report` (the loops keep running). */
  | { readonly type: 'report' }
  /**
   * End the phase and answer `finished`. Loops stop and wait for their calls in flight;
   * watchers first wait (at most `drainTimeoutMs`) until each has seen `finalSeq[i]` of every
   * writer loop i, then are cancelled.
   */
  | {
      readonly type: 'finish';
      readonly finalSeq?: readonly number[];
      readonly drainTimeoutMs?: number;
    }
  /** Close the client and exit. */
  | { readonly type: 'stop' };

/** One worker's measured window. */
export interface KvReport {
  readonly type: 'report';
  readonly windowMs: number;
  /**
   * Operations completed in the window: puts, keep-alives or transactions acknowledged; for
   * watchers, events received (summed over the watchers).
   */
  readonly ops: number;
  /** Transactions whose compare held (the success branch ran); 0 in other phases. */
  readonly succeeded: number;
  readonly errors: number;
  readonly errorsByCode: Readonly<Record<string, number>>;
  /**
   * Encoded HdrHistogram (µs): latency of each operation; for watchers, the delivery lag of
   * each event (arrival minus the epoch ms its put was sent, written in the value).
   */
  readonly histogram: string;
  /** CPU this process used in the window, percent of one core. */
  readonly cpuPct: number;
}

/** What the watchers saw over a whole phase (setup to finish). */
export interface WatchIntegrity {
  readonly watchers: number;
  /** Events received, over every watcher. */
  readonly events: number;
  readonly minEventsPerWatcher: number;
  readonly maxEventsPerWatcher: number;
  /** Watchers that had seen every acknowledged put by the end of the drain. */
  readonly complete: number;
  /** Events missing: a writer loop's sequence number skipped (summed over watchers). */
  readonly gaps: number;
  /** Events of a sequence number a watcher had already seen. */
  readonly duplicates: number;
  /** Events that were not a writer put under the prefix. */
  readonly unexpected: number;
  /** Acknowledged puts that incomplete watchers had not received when the drain ended. */
  readonly missingAtEnd: number;
  /**
   * Events whose revision was lower than one the watcher had seen before, or not higher than
   * the previous event of the same key (several keys may share a revision: one slot).
   */
  readonly revisionRegressions: number;
  /** Watchers that ended with `WatchCompactedError` (their start was no longer kept). */
  readonly compacted: number;
  /** Watchers that ended with another error. */
  readonly failed: number;
  /** Re-creations at another node or after a slow-consumer cancel (`watch.resumes`), summed. */
  readonly resumes: number;
  /** From `finish` until every watcher was complete (or the drain timed out). */
  readonly drainMs: number;
  /** Watchers per serving node at the end of the window, by node id. */
  readonly byNode: Readonly<Record<string, number>>;
  /** The first errors, for the log. */
  readonly errorSamples: readonly string[];
}

/** Worker -> benchmark. */
export type FromKvWorker =
  | { readonly type: 'hello' }
  | { readonly type: 'ready' }
  | KvReport
  | {
      readonly type: 'finished';
      /** Writer: the last acknowledged sequence number of each loop (-1: none). */
      readonly finalSeq?: readonly number[];
      /** Writer, keep-alive and transaction loops: errors over the whole phase. */
      readonly errors: number;
      readonly watch?: WatchIntegrity;
    }
  | { readonly type: 'fatal'; readonly message: string };
