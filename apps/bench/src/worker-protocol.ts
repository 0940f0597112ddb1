/**
 * Messages between the benchmark and its client processes (Node IPC). Times crossing process
 * boundaries are epoch milliseconds with sub-millisecond precision
 * (`performance.timeOrigin + performance.now()`), comparable between processes on one machine.
 */

import type { ClientTarget } from './adapters.js';

/** What a client process is asked to run (passed as JSON in argv). */
export interface WorkerConfig {
  readonly index: number;
  /** The system and where to reach it. */
  readonly target: ClientTarget;
  /** Closed-loop clients in this process. */
  readonly clients: number;
  readonly valueSizeBytes: number;
  readonly readRatio: number;
  readonly readMode: 'lease' | 'quorum' | 'stale';
  readonly keysPerClient: number;
}

/** Benchmark -> client process. */
export type ToWorker =
  /** Start the closed loops (warm-up). */
  | { readonly type: 'start' }
  /** Reset the counters and histograms: the measured window begins. */
  | { readonly type: 'measure' }
  /** The measured window ends: send a `report` (the loops keep running). */
  | { readonly type: 'report' }
  /** The leader is killed at `killedAtMs`: send `failover` for the first write issued after it and acknowledged. */
  | { readonly type: 'watch-failover'; readonly killedAtMs: number }
  /** Stop the loops, close the client and exit. */
  | { readonly type: 'stop' };

/** One process's measured window. */
export interface WorkerReport {
  readonly type: 'report';
  readonly index: number;
  /** Length of this process's measured window, ms. */
  readonly windowMs: number;
  readonly writes: number;
  readonly reads: number;
  readonly errors: number;
  readonly errorsByCode: Readonly<Record<string, number>>;
  /** Encoded HdrHistograms (µs) of writes, reads and both. */
  readonly writeHistogram: string;
  readonly readHistogram: string;
  readonly allHistogram: string;
  /** CPU time this process used in the window as a share of one core, percent. */
  readonly cpuPct: number;
}

/** Client process -> benchmark. */
export type FromWorker =
  | { readonly type: 'ready'; readonly index: number }
  | WorkerReport
  | { readonly type: 'failover'; readonly index: number; readonly ackedAtMs: number }
  | { readonly type: 'fatal'; readonly index: number; readonly message: string };

/** Epoch milliseconds with sub-millisecond precision. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
