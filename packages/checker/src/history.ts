/**
 * The history the checker reads: operations with invocation and response times as a client
 * saw them. The simulator and end-to-end tests record them with {@link HistoryRecorder}.
 */

/**
 * One client operation.
 *
 * Times are any totally ordered numbers (a logical counter is best); an operation returned
 * before another was invoked only if `return < other.call`. Equal times count as
 * concurrent.
 *
 * - `return === undefined`: the operation never returned (timed out, client crashed): it may
 *   take effect at any point after its invocation, or not at all.
 * - `output === undefined`: its result is unknown; any result is accepted but its effect
 *   still applies (typically together with `return === undefined`).
 */
export interface Operation<I, O> {
  readonly clientId: number | string;
  readonly input: I;
  readonly call: number;
  readonly output: O | undefined;
  readonly return: number | undefined;
}

/**
 * Records a history as it happens, stamping events with a logical clock so that the order of
 * `invoke`/`complete` calls is the real-time order.
 *
 * ```ts
 * const h = new HistoryRecorder<FlexKvInput, FlexKvOutput>();
 * const id = h.invoke(1, { type: 'put', key: 'a', value: 'x' });
 * h.complete(id, { type: 'put', version: 1, revision: 7 });
 * h.operations(); // feed to checkLinearizability
 * ```
 */
export class HistoryRecorder<I, O> {
  private clock = 0;
  private readonly ops: {
    clientId: number | string;
    input: I;
    call: number;
    output: O | undefined;
    return: number | undefined;
  }[] = [];

  /** Records an invocation; returns the operation's id for {@link complete}. */
  invoke(clientId: number | string, input: I): number {
    this.ops.push({ clientId, input, call: this.clock++, output: undefined, return: undefined });
    return this.ops.length - 1;
  }

  /** Records a response with a known result. */
  complete(id: number, output: O): void {
    const op = this.ops[id];
    if (op === undefined || op.return !== undefined)
      throw new Error(`assertion failed: operation ${id} is not pending`);
    op.output = output;
    op.return = this.clock++;
  }

  /**
   * Records that the client gave up on an operation whose outcome it cannot know (timeout):
   * the operation stays pending to the end of the history. Equivalent to never completing it.
   */
  abandon(id: number): void {
    const op = this.ops[id];
    if (op === undefined || op.return !== undefined)
      throw new Error(`assertion failed: operation ${id} is not pending`);
  }

  /** Records a definite failure: the operation did not take effect, so it is dropped. */
  fail(id: number): void {
    const op = this.ops[id];
    if (op === undefined || op.return !== undefined)
      throw new Error(`assertion failed: operation ${id} is not pending`);
    op.return = -1;
  }

  /** The operations so far (definite failures left out). */
  operations(): Operation<I, O>[] {
    return this.ops.filter((o) => o.return !== -1).map((o) => ({ ...o }));
  }
}
