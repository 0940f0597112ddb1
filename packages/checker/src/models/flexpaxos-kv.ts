/**
 * The FlexPaxos key-value store as a client sees it (see `@flexpaxos/kv`): get, put, delete,
 * compare-and-set on version, and range by prefix, with versions and revisions in results.
 *
 * Beyond values, the model checks the metadata a correct store must report:
 * - `version` counts writes since the key was created (1 after the first write, 0 when
 *   absent), exactly;
 * - `revision` is the log slot of the key's last change: along the linearization, revisions
 *   of writes never decrease, and a read reports the revision of the write it observes.
 *   Revisions of writes whose result is unknown are learned from the first read that sees
 *   them.
 *
 * The history must start from an empty store. Partitions are the connected groups of keys:
 * single-key operations touch their key, a range touches every key of the history with its
 * prefix.
 */
import type { Operation } from '../history.js';
import type { Model, StepResult } from '../model.js';
import { STEP_REJECTED, hashString } from '../model.js';

/** An operation as the client issued it (keys and values as UTF-8 strings). */
export type FlexKvInput =
  | { readonly type: 'get'; readonly key: string }
  | { readonly type: 'put'; readonly key: string; readonly value: string }
  | { readonly type: 'delete'; readonly key: string }
  | {
      readonly type: 'cas';
      readonly key: string;
      readonly expectedVersion: number;
      readonly value: string;
    }
  | { readonly type: 'range'; readonly prefix: string; readonly limit: number };

/** A key as a read returns it. */
export interface FlexKvEntry {
  readonly key: string;
  readonly value: string;
  readonly version: number;
  readonly revision: number;
}

/** A result as the client received it (mirrors `KvResult` of `@flexpaxos/kv`). */
export type FlexKvOutput =
  | { readonly type: 'get'; readonly kv: FlexKvEntry | undefined }
  | { readonly type: 'put'; readonly version: number; readonly revision: number }
  | {
      readonly type: 'delete';
      readonly deleted: boolean;
      readonly prevVersion: number;
      readonly revision: number;
    }
  | {
      readonly type: 'cas';
      readonly succeeded: boolean;
      readonly version: number;
      readonly revision: number;
    }
  | { readonly type: 'range'; readonly kvs: readonly FlexKvEntry[]; readonly more: boolean };

interface KeyState {
  readonly value: string;
  readonly version: number;
  /** Undefined while unknown (written by an operation whose result was lost). */
  readonly revision: number | undefined;
}

/** Model state: the keys of one partition and the highest revision linearized so far. */
export interface FlexKvState {
  readonly keys: ReadonlyMap<string, KeyState>;
  readonly maxRevision: number;
}

/** Compares strings in code-point order, which is the UTF-8 byte order the store uses. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) ?? 0;
    const y = b.codePointAt(i) ?? 0;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

function withKey(
  s: FlexKvState,
  key: string,
  k: KeyState | undefined,
  maxRevision: number,
): FlexKvState {
  const keys = new Map(s.keys);
  if (k === undefined) keys.delete(key);
  else keys.set(key, k);
  return { keys, maxRevision };
}

/** Checks an observed entry against the model's; learns an unknown revision. */
function observe(s: FlexKvState, seen: FlexKvEntry, cur: KeyState): FlexKvState | undefined {
  if (seen.value !== cur.value || seen.version !== cur.version) return undefined;
  if (cur.revision !== undefined) return seen.revision === cur.revision ? s : undefined;
  return withKey(
    s,
    seen.key,
    { ...cur, revision: seen.revision },
    Math.max(s.maxRevision, seen.revision),
  );
}

function step(
  s: FlexKvState,
  input: FlexKvInput,
  output: FlexKvOutput | undefined,
): StepResult<FlexKvState> {
  if (output !== undefined && output.type !== input.type) return STEP_REJECTED;
  switch (input.type) {
    case 'get': {
      if (output?.type !== 'get') return { ok: true, state: s };
      const cur = s.keys.get(input.key);
      if (cur === undefined || output.kv === undefined) {
        return cur === undefined && output.kv === undefined
          ? { ok: true, state: s }
          : STEP_REJECTED;
      }
      if (output.kv.key !== input.key) return STEP_REJECTED;
      const next = observe(s, output.kv, cur);
      return next === undefined ? STEP_REJECTED : { ok: true, state: next };
    }
    case 'range': {
      if (output?.type !== 'range') return { ok: true, state: s };
      const matching = [...s.keys.keys()]
        .filter((k) => k.startsWith(input.prefix))
        .sort(compareCodePoints);
      const shown = matching.slice(0, input.limit);
      if (output.kvs.length !== shown.length || output.more !== matching.length > input.limit)
        return STEP_REJECTED;
      let next = s;
      for (let i = 0; i < shown.length; i++) {
        const seen = output.kvs[i];
        const key = shown[i] ?? '';
        const cur = next.keys.get(key);
        if (seen === undefined || cur === undefined || seen.key !== key) return STEP_REJECTED;
        const after = observe(next, seen, cur);
        if (after === undefined) return STEP_REJECTED;
        next = after;
      }
      return { ok: true, state: next };
    }
    case 'put': {
      const version = (s.keys.get(input.key)?.version ?? 0) + 1;
      if (output?.type !== 'put') {
        return {
          ok: true,
          state: withKey(
            s,
            input.key,
            { value: input.value, version, revision: undefined },
            s.maxRevision,
          ),
        };
      }
      if (output.version !== version || output.revision < s.maxRevision) return STEP_REJECTED;
      return {
        ok: true,
        state: withKey(
          s,
          input.key,
          { value: input.value, version, revision: output.revision },
          output.revision,
        ),
      };
    }
    case 'delete': {
      const cur = s.keys.get(input.key);
      if (output?.type !== 'delete') {
        return {
          ok: true,
          state: cur === undefined ? s : withKey(s, input.key, undefined, s.maxRevision),
        };
      }
      if (cur === undefined)
        return output.deleted || output.prevVersion !== 0 ? STEP_REJECTED : { ok: true, state: s };
      if (!output.deleted || output.prevVersion !== cur.version || output.revision < s.maxRevision)
        return STEP_REJECTED;
      return { ok: true, state: withKey(s, input.key, undefined, output.revision) };
    }
    case 'cas': {
      const cur = s.keys.get(input.key);
      const curVersion = cur?.version ?? 0;
      const matches = curVersion === input.expectedVersion;
      if (output?.type !== 'cas') {
        if (!matches) return { ok: true, state: s };
        const k: KeyState = { value: input.value, version: curVersion + 1, revision: undefined };
        return { ok: true, state: withKey(s, input.key, k, s.maxRevision) };
      }
      if (output.succeeded !== matches) return STEP_REJECTED;
      if (matches) {
        if (output.version !== curVersion + 1 || output.revision < s.maxRevision)
          return STEP_REJECTED;
        const k: KeyState = {
          value: input.value,
          version: curVersion + 1,
          revision: output.revision,
        };
        return { ok: true, state: withKey(s, input.key, k, output.revision) };
      }
      if (output.version !== curVersion) return STEP_REJECTED;
      if (cur === undefined) return output.revision === 0 ? { ok: true, state: s } : STEP_REJECTED;
      const next = observe(
        s,
        { key: input.key, value: cur.value, version: output.version, revision: output.revision },
        cur,
      );
      return next === undefined ? STEP_REJECTED : { ok: true, state: next };
    }
  }
}

function equal(a: FlexKvState, b: FlexKvState): boolean {
  if (a === b) return true;
  if (a.maxRevision !== b.maxRevision || a.keys.size !== b.keys.size) return false;
  for (const [k, x] of a.keys) {
    const y = b.keys.get(k);
    if (
      y === undefined ||
      x.value !== y.value ||
      x.version !== y.version ||
      x.revision !== y.revision
    )
      return false;
  }
  return true;
}

/** Order-independent hash of a state, consistent with `equal`. */
function hash(s: FlexKvState): number {
  let h = Math.imul(s.maxRevision + 1, 0x9e3779b1);
  for (const [k, x] of s.keys) {
    h = (h + hashString(`${k}\u0000${x.value}\u0000${x.version}\u0000${x.revision ?? '?'}`)) | 0;
  }
  return h >>> 0;
}

/** Groups operations into connected components of the keys they touch. */
function partition(
  ops: readonly Operation<FlexKvInput, FlexKvOutput>[],
): Operation<FlexKvInput, FlexKvOutput>[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    for (let p = parent.get(r); p !== undefined && p !== r; p = parent.get(r)) r = p;
    parent.set(x, r);
    return r;
  };
  const union = (a: string, b: string): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  const keys = new Set<string>();
  for (const o of ops) if (o.input.type !== 'range') keys.add(o.input.key);
  const nodeOf = (o: Operation<FlexKvInput, FlexKvOutput>, i: number): string =>
    o.input.type === 'range' ? `r${i}` : `k${o.input.key}`;
  ops.forEach((o, i) => {
    const node = nodeOf(o, i);
    parent.set(node, parent.get(node) ?? node);
    if (o.input.type === 'range') {
      const prefix = o.input.prefix;
      for (const k of keys) {
        if (k.startsWith(prefix)) {
          parent.set(`k${k}`, parent.get(`k${k}`) ?? `k${k}`);
          union(node, `k${k}`);
        }
      }
    }
  });
  const groups = new Map<string, Operation<FlexKvInput, FlexKvOutput>[]>();
  ops.forEach((o, i) => {
    const r = find(nodeOf(o, i));
    let g = groups.get(r);
    if (g === undefined) groups.set(r, (g = []));
    g.push(o);
  });
  return [...groups.values()];
}

/** The FlexPaxos KV model. */
export const flexKvModel: Model<FlexKvState, FlexKvInput, FlexKvOutput> = {
  name: 'flexpaxos-kv',
  init: () => ({ keys: new Map(), maxRevision: 0 }),
  step,
  equal,
  hash,
  partition,
  describe: (o) => `${o.input.type}(${JSON.stringify(o.input)})`,
};
