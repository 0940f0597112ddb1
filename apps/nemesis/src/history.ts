/**
 * The history of a run: every client operation with its invocation and completion time (ms of
 * the harness's monotonic clock since the run started) and outcome, plus the nemesis events.
 * Written as JSON lines (`history.jsonl`, in invocation order, events interleaved by time).
 *
 * Outcomes, as Jepsen has them:
 * - `ok`: the client got a result (`output`).
 * - `fail`: the cluster said the operation did not take effect (a definite refusal).
 * - `unknown`: no answer in time, or the connection was lost after sending: a write may take
 *   effect at any time after its invocation, or never; the client then continues under a new
 *   process id, since one process has at most one operation outstanding.
 */
import type { FlexKvInput, FlexKvOutput, Operation } from '@flexpaxos/checker';

/** How a get was read. */
export type ReadMode = 'lease' | 'quorum';

/** The outcome of an operation. */
export type Outcome = 'ok' | 'fail' | 'unknown';

/** One client operation. */
export interface HistoryOp {
  /** Order of invocation. */
  readonly index: number;
  /** Jepsen process id: a client takes a new one after an unknown outcome. */
  readonly process: number;
  /** The client (one NATS connection) that ran it. */
  readonly client: number;
  /** The nats-server that client is connected to. */
  readonly server: number;
  readonly input: FlexKvInput;
  /** For gets: how it was read. */
  readonly readMode?: ReadMode;
  readonly invokeMs: number;
  completeMs?: number;
  outcome?: Outcome;
  output?: FlexKvOutput;
  error?: string;
  /** Part of the read-back after every node was restarted. */
  readonly final?: boolean;
}

/** A fault starting or ending, or another harness event. */
export interface NemesisEvent {
  readonly atMs: number;
  readonly event: 'start' | 'end' | 'info';
  readonly fault: string;
  readonly detail: string;
}

/** Whether an operation can change the state (a write). */
export function isWrite(input: FlexKvInput): boolean {
  return input.type === 'put' || input.type === 'delete' || input.type === 'cas';
}

const round2 = (ms: number): number => Math.round(ms * 100) / 100;

/** The history being recorded. */
export class History {
  readonly ops: HistoryOp[] = [];
  readonly events: NemesisEvent[] = [];
  readonly #originMs: number;

  constructor(originMs: number) {
    this.#originMs = originMs;
  }

  /** Milliseconds since the run started. */
  now(): number {
    return round2(performance.now() - this.#originMs);
  }

  /** Records an invocation. */
  invoke(fields: Omit<HistoryOp, 'index' | 'invokeMs'>): HistoryOp {
    const op: HistoryOp = { ...fields, index: this.ops.length, invokeMs: this.now() };
    this.ops.push(op);
    return op;
  }

  /** Records a result. */
  ok(op: HistoryOp, output: FlexKvOutput): void {
    op.completeMs = this.now();
    op.outcome = 'ok';
    op.output = output;
  }

  /** Records a definite failure (no effect). */
  fail(op: HistoryOp, error: string): void {
    op.completeMs = this.now();
    op.outcome = 'fail';
    op.error = error;
  }

  /** Records an unknown outcome (the client gave up at this time). */
  unknown(op: HistoryOp, error: string): void {
    op.completeMs = this.now();
    op.outcome = 'unknown';
    op.error = error;
  }

  /** Records a nemesis event now. */
  event(event: NemesisEvent['event'], fault: string, detail: string): NemesisEvent {
    const e = { atMs: this.now(), event, fault, detail };
    this.events.push(e);
    return e;
  }

  /** Counts of outcomes (operations still running count as unknown). */
  counts(): { ok: number; fail: number; unknown: number } {
    let ok = 0;
    let fail = 0;
    let unknown = 0;
    for (const op of this.ops) {
      if (op.final === true) continue;
      if (op.outcome === 'ok') ok++;
      else if (op.outcome === 'fail') fail++;
      else unknown++;
    }
    return { ok, fail, unknown };
  }

  /** The history as JSON lines: operations and events, ordered by time. */
  toJsonLines(): string {
    type Line = { t: number; text: string };
    const lines: Line[] = [
      // A get of an absent key has `kv: undefined`: written as null, as the checker's JSON has it.
      ...this.ops.map((o) => ({
        t: o.invokeMs,
        text: JSON.stringify(o, (k, v: unknown) => (k === 'kv' && v === undefined ? null : v)),
      })),
      ...this.events.map((e) => ({ t: e.atMs, text: JSON.stringify({ nemesis: e.fault, ...e }) })),
    ];
    lines.sort((a, b) => a.t - b.t);
    return lines.map((l) => `${l.text}\n`).join('');
  }
}

/**
 * The operations the linearizability checker reads: `ok` ones with their result; `unknown`
 * writes pending forever (any effect after their invocation, or none); failures and unknown
 * reads left out (neither has an effect). `keep` filters further.
 */
export function toCheckerOps(
  ops: readonly HistoryOp[],
  keep: (op: HistoryOp) => boolean = () => true,
): Operation<FlexKvInput, FlexKvOutput>[] {
  const out: Operation<FlexKvInput, FlexKvOutput>[] = [];
  for (const op of ops) {
    if (!keep(op)) continue;
    if (op.outcome === 'ok' && op.output !== undefined && op.completeMs !== undefined) {
      out.push({
        clientId: op.process,
        input: op.input,
        call: op.invokeMs,
        output: op.output,
        return: op.completeMs,
      });
    } else if (op.outcome !== 'fail' && isWrite(op.input)) {
      out.push({
        clientId: op.process,
        input: op.input,
        call: op.invokeMs,
        output: undefined,
        return: undefined,
      });
    }
  }
  return out;
}

/** The key an operation touches. */
export function keyOf(input: FlexKvInput): string {
  if (input.type === 'range') return input.prefix;
  if ('key' in input) return input.key;
  return `(${input.type})`; // the workload issues no transactions or lease operations
}
