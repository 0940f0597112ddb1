import type { Model, Operation } from '../src/index.js';

/** Every order of `xs`. */
function* permutations<T>(xs: readonly T[]): Generator<T[]> {
  if (xs.length === 0) {
    yield [];
    return;
  }
  for (let i = 0; i < xs.length; i++) {
    const rest = [...xs.slice(0, i), ...xs.slice(i + 1)];
    for (const p of permutations(rest)) yield [xs[i] as T, ...p];
  }
}

/**
 * Linearizability by its definition, by brute force (tiny histories only): some subset of the
 * operations that never returned, plus all that did, in some order that respects real time,
 * is accepted by the model. No partitioning, no cache.
 */
export function naiveLinearizable<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
): boolean {
  const pending = ops.filter((o) => o.return === undefined);
  const done = ops.filter((o) => o.return !== undefined);
  for (let mask = 0; mask < 1 << pending.length; mask++) {
    const chosen = [...done, ...pending.filter((_, i) => (mask >> i) & 1)];
    for (const order of permutations(chosen)) {
      const respectsTime = order.every((a, i) =>
        order.slice(i + 1).every((b) => b.return === undefined || b.return >= a.call),
      );
      if (!respectsTime) continue;
      let state = model.init();
      let ok = true;
      for (const o of order) {
        const r = model.step(state, o.input, o.output);
        if (!r.ok) {
          ok = false;
          break;
        }
        state = r.state;
      }
      if (ok) return true;
    }
  }
  return false;
}
