/**
 * A compare-and-set register, as Jepsen's etcd test drives it: `read`, `write` and `cas`
 * (from, to); the register starts as nil (`null`).
 */
import type { Model, StepResult } from '../model.js';
import { STEP_REJECTED, hashString } from '../model.js';

/** A register value; `null` is nil. */
export type RegisterValue = string | null;

/** An operation on the register. */
export type RegisterInput =
  | { readonly f: 'read' }
  | { readonly f: 'write'; readonly value: RegisterValue }
  | { readonly f: 'cas'; readonly from: RegisterValue; readonly to: RegisterValue };

/** What an operation returned: the value read, or whether the cas succeeded. */
export type RegisterOutput =
  | { readonly f: 'read'; readonly value: RegisterValue }
  | { readonly f: 'write' }
  | { readonly f: 'cas'; readonly ok: boolean };

/** The compare-and-set register model. */
export const registerModel: Model<RegisterValue, RegisterInput, RegisterOutput> = {
  name: 'cas-register',
  init: () => null,
  step(state, input, output): StepResult<RegisterValue> {
    switch (input.f) {
      case 'read':
        if (output === undefined) return { ok: true, state };
        return output.f === 'read' && output.value === state ? { ok: true, state } : STEP_REJECTED;
      case 'write':
        return { ok: true, state: input.value };
      case 'cas': {
        const matches = state === input.from;
        if (output !== undefined && (output.f !== 'cas' || output.ok !== matches))
          return STEP_REJECTED;
        return { ok: true, state: matches ? input.to : state };
      }
    }
  },
  equal: (a, b) => a === b,
  hash: (s) => (s === null ? 0x9e3779b9 : hashString(s)),
  describe: (o) =>
    o.input.f === 'read'
      ? 'read'
      : o.input.f === 'write'
        ? `write(${o.input.value})`
        : `cas(${o.input.from}, ${o.input.to})`,
};
