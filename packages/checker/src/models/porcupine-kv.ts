/**
 * Porcupine's key-value model: string keys and values, `get`, `put` and `append`; a missing
 * key reads as the empty string. Keys are independent, so histories split per key.
 */
import type { Operation } from '../history.js';
import type { Model, StepResult } from '../model.js';
import { STEP_REJECTED, hashString } from '../model.js';

/** An operation of the Porcupine KV model. */
export interface PorcupineKvInput {
  readonly op: 'get' | 'put' | 'append';
  readonly key: string;
  /** The value to put or append (empty for get). */
  readonly value: string;
}

/** What a get returned (put and append return nothing worth checking). */
export interface PorcupineKvOutput {
  readonly value: string;
}

/** Groups operations by a key function, keeping first-seen order of keys. */
export function partitionBy<T>(ops: readonly T[], keyOf: (op: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const op of ops) {
    const k = keyOf(op);
    let g = groups.get(k);
    if (g === undefined) groups.set(k, (g = []));
    g.push(op);
  }
  return [...groups.values()];
}

/** The Porcupine KV model; its state is one key's value (histories are split per key). */
export const porcupineKvModel: Model<string, PorcupineKvInput, PorcupineKvOutput> = {
  name: 'porcupine-kv',
  init: () => '',
  step(state, input, output): StepResult<string> {
    switch (input.op) {
      case 'get':
        return output === undefined || output.value === state ? { ok: true, state } : STEP_REJECTED;
      case 'put':
        return { ok: true, state: input.value };
      case 'append':
        return { ok: true, state: state + input.value };
    }
  },
  equal: (a, b) => a === b,
  hash: hashString,
  partition: (ops: readonly Operation<PorcupineKvInput, PorcupineKvOutput>[]) =>
    partitionBy(ops, (o) => o.input.key),
  describe: (o) =>
    `${o.input.op}(${o.input.key}${o.input.op === 'get' ? '' : `, ${JSON.stringify(o.input.value)}`})`,
};
