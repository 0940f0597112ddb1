/**
 * The FlexPaxos key-value store as a client sees it (see `@flexpaxos/kv`): get, put, delete,
 * compare-and-set on version, range by prefix, atomic transactions, and key leases (grant,
 * puts attached to a lease, revoke by a client or by expiry), with versions and revisions in
 * results.
 *
 * Beyond values, the model checks the metadata a correct store must report:
 * - `version` counts writes since the key was created (1 after the first write, 0 when
 *   absent), exactly;
 * - `revision` is the log slot of the key's last change: along the linearization, revisions
 *   of writes never decrease, and a read reports the revision of the write it observes.
 *   Revisions of writes whose result is unknown are learned from the first read that sees
 *   them; so are create revisions; a read that reports `createRevision` or `lease` is checked
 *   against them;
 * - a transaction is one step: its compares decide the branch the result must name, and every
 *   operation of the branch takes effect at that one point, at the transaction's revision (a
 *   reader can never see part of it);
 * - a lease's keys disappear exactly at its revocation, and the revocation reports how many
 *   there were. Expiry is a revocation proposed by the leader: record it as an operation (a
 *   pending one may take effect or not, like any operation that never returned).
 *
 * Limits of the model: capacity errors (too many leases, keys per lease) are the store's
 * configuration, so record failed operations with `HistoryRecorder.fail`; a transaction whose
 * result is unknown and whose compare depends on a revision the model has not learned is taken
 * to fail that compare.
 *
 * The history must start from an empty store. Partitions are the connected groups of keys and
 * leases: an operation touches its keys (a range every key of the history with its prefix, a
 * transaction all of its compares and operations) and the leases it names.
 */
import type { Operation } from '../history.js';
import type { Model, StepResult } from '../model.js';
import { STEP_REJECTED, hashString } from '../model.js';
import type {
  FlexKvCompare,
  FlexKvEntry,
  FlexKvInput,
  FlexKvOutput,
  FlexKvTxnOpInput,
} from './flexpaxos-kv-types.js';

interface KeyState {
  readonly value: string;
  readonly version: number;
  /** Undefined while unknown (written by an operation whose result was lost). */
  readonly revision: number | undefined;
  /** Undefined while unknown (created by an operation whose result was lost). */
  readonly createRevision: number | undefined;
  /** 0 for none. */
  readonly lease: number;
}

/** Model state: the keys and leases of one partition, and the highest revision so far. */
export interface FlexKvState {
  readonly keys: ReadonlyMap<string, KeyState>;
  /** Leases granted so far: true while live, false once revoked. */
  readonly leases: ReadonlyMap<number, boolean>;
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

const ok = (state: FlexKvState): StepResult<FlexKvState> => ({ ok: true, state });

function withKey(
  s: FlexKvState,
  key: string,
  k: KeyState | undefined,
  maxRevision: number,
): FlexKvState {
  const keys = new Map(s.keys);
  if (k === undefined) keys.delete(key);
  else keys.set(key, k);
  return { keys, leases: s.leases, maxRevision };
}

/** Checks an observed entry against the model's; learns unknown revisions. */
function observe(s: FlexKvState, seen: FlexKvEntry, cur: KeyState): FlexKvState | undefined {
  if (seen.value !== cur.value || seen.version !== cur.version) return undefined;
  if (seen.lease !== undefined && seen.lease !== cur.lease) return undefined;
  let next = cur;
  if (cur.revision !== undefined) {
    if (seen.revision !== cur.revision) return undefined;
  } else next = { ...next, revision: seen.revision };
  if (seen.createRevision !== undefined) {
    if (cur.createRevision !== undefined) {
      if (seen.createRevision !== cur.createRevision) return undefined;
    } else next = { ...next, createRevision: seen.createRevision };
  }
  if (next === cur) return s;
  return withKey(s, seen.key, next, Math.max(s.maxRevision, seen.revision));
}

/** Whether a lease is live in `s` (0: no lease, always fine). */
function leaseOk(s: FlexKvState, lease: number): boolean {
  return lease === 0 || s.leases.get(lease) === true;
}

/** A write at `key`: the new key state (lease 0 unless given). */
function written(
  cur: KeyState | undefined,
  value: string,
  revision: number | undefined,
  lease: number,
): KeyState {
  return {
    value,
    version: (cur?.version ?? 0) + 1,
    revision,
    createRevision: cur === undefined ? revision : cur.createRevision,
    lease,
  };
}

function holds(op: FlexKvCompare['op'], order: number): boolean {
  return op === '=' ? order === 0 : op === '!=' ? order !== 0 : op === '<' ? order < 0 : order > 0;
}

/** Whether a compare holds; undefined when it depends on a revision not yet learned. */
function compareHolds(s: FlexKvState, c: FlexKvCompare): boolean | undefined {
  const k = s.keys.get(c.key);
  switch (c.target) {
    case 'value':
      return k !== undefined && holds(c.op, compareCodePoints(k.value, c.value));
    case 'version':
      return holds(c.op, (k?.version ?? 0) - c.operand);
    case 'lease':
      return holds(c.op, (k?.lease ?? 0) - c.operand);
    case 'mod-revision':
    case 'create-revision': {
      if (k === undefined) return holds(c.op, -c.operand);
      const r = c.target === 'mod-revision' ? k.revision : k.createRevision;
      return r === undefined ? undefined : holds(c.op, r - c.operand);
    }
  }
}

function stepTxn(
  s: FlexKvState,
  input: Extract<FlexKvInput, { type: 'txn' }>,
  output: FlexKvOutput | undefined,
): StepResult<FlexKvState> {
  let all: boolean | undefined = true;
  for (const c of input.compare) {
    const h = compareHolds(s, c);
    if (h === false) {
      all = false;
      break;
    }
    if (h === undefined) all = undefined;
  }
  if (output?.type !== 'txn') {
    // Unknown result: a compare on an unlearned revision is taken to fail (see module doc).
    const branch = all === true ? input.success : input.failure;
    // A branch that names a dead lease fails whole: nothing happens.
    if (branch.some((o) => o.type === 'put' && !leaseOk(s, o.lease ?? 0))) return ok(s);
    let state = s;
    for (const o of branch) {
      const r = step(state, o, undefined);
      if (!r.ok) return r;
      state = r.state;
    }
    return ok(state);
  }
  if (all !== undefined && all !== output.succeeded) return STEP_REJECTED;
  if (output.revision < s.maxRevision) return STEP_REJECTED;
  const branch = output.succeeded ? input.success : input.failure;
  if (output.results.length !== branch.length) return STEP_REJECTED;
  let state = s;
  for (let i = 0; i < branch.length; i++) {
    const o = branch[i] as FlexKvTxnOpInput;
    const r = output.results[i];
    if (r === undefined) return STEP_REJECTED;
    // Every write of the transaction happens at its revision.
    if (r.type === 'put' && r.revision !== output.revision) return STEP_REJECTED;
    if (r.type === 'delete' && r.deleted && r.revision !== output.revision) return STEP_REJECTED;
    const next = step(state, o, r);
    if (!next.ok) return next;
    state = next.state;
  }
  return ok({ ...state, maxRevision: Math.max(state.maxRevision, output.revision) });
}

function stepRevoke(
  s: FlexKvState,
  input: Extract<FlexKvInput, { type: 'lease-revoke' }>,
  output: FlexKvOutput | undefined,
): StepResult<FlexKvState> {
  const live = s.leases.get(input.lease) === true;
  if (output !== undefined && output.type !== 'lease-revoke') return STEP_REJECTED;
  if (output !== undefined && !output.revoked) {
    // An expiry can come too late (lease gone) or from a deposed leader (ignored); a client's
    // revoke of a dead lease is an error, never `revoked: false`.
    return input.reason === 'expired' ? ok(s) : STEP_REJECTED;
  }
  if (!live) return output === undefined ? ok(s) : STEP_REJECTED;
  const attached = [...s.keys].filter(([, k]) => k.lease === input.lease).map(([key]) => key);
  if (
    output !== undefined &&
    (output.deleted !== attached.length || output.revision < s.maxRevision)
  )
    return STEP_REJECTED;
  const keys = new Map(s.keys);
  for (const key of attached) keys.delete(key);
  const leases = new Map(s.leases).set(input.lease, false);
  return ok({ keys, leases, maxRevision: output?.revision ?? s.maxRevision });
}

function step(
  s: FlexKvState,
  input: FlexKvInput,
  output: FlexKvOutput | undefined,
): StepResult<FlexKvState> {
  if (output !== undefined && output.type !== input.type) return STEP_REJECTED;
  switch (input.type) {
    case 'get': {
      if (output?.type !== 'get') return ok(s);
      const cur = s.keys.get(input.key);
      if (cur === undefined || output.kv === undefined)
        return cur === undefined && output.kv === undefined ? ok(s) : STEP_REJECTED;
      if (output.kv.key !== input.key) return STEP_REJECTED;
      const next = observe(s, output.kv, cur);
      return next === undefined ? STEP_REJECTED : ok(next);
    }
    case 'range': {
      if (output?.type !== 'range') return ok(s);
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
      return ok(next);
    }
    case 'put': {
      const lease = input.lease ?? 0;
      // A put to a dead lease fails (lease-not-found): it cannot have succeeded.
      if (!leaseOk(s, lease)) return output === undefined ? ok(s) : STEP_REJECTED;
      const cur = s.keys.get(input.key);
      if (output?.type !== 'put')
        return ok(
          withKey(s, input.key, written(cur, input.value, undefined, lease), s.maxRevision),
        );
      const k = written(cur, input.value, output.revision, lease);
      if (output.version !== k.version || output.revision < s.maxRevision) return STEP_REJECTED;
      return ok(withKey(s, input.key, k, output.revision));
    }
    case 'delete': {
      const cur = s.keys.get(input.key);
      if (output?.type !== 'delete')
        return ok(cur === undefined ? s : withKey(s, input.key, undefined, s.maxRevision));
      if (cur === undefined)
        return output.deleted || output.prevVersion !== 0 ? STEP_REJECTED : ok(s);
      if (!output.deleted || output.prevVersion !== cur.version || output.revision < s.maxRevision)
        return STEP_REJECTED;
      return ok(withKey(s, input.key, undefined, output.revision));
    }
    case 'cas': {
      const cur = s.keys.get(input.key);
      const curVersion = cur?.version ?? 0;
      const matches = curVersion === input.expectedVersion;
      if (output?.type !== 'cas') {
        if (!matches) return ok(s);
        return ok(withKey(s, input.key, written(cur, input.value, undefined, 0), s.maxRevision));
      }
      if (output.succeeded !== matches) return STEP_REJECTED;
      if (matches) {
        const k = written(cur, input.value, output.revision, 0);
        if (output.version !== k.version || output.revision < s.maxRevision) return STEP_REJECTED;
        return ok(withKey(s, input.key, k, output.revision));
      }
      if (output.version !== curVersion) return STEP_REJECTED;
      if (cur === undefined) return output.revision === 0 ? ok(s) : STEP_REJECTED;
      const next = observe(
        s,
        { key: input.key, value: cur.value, version: output.version, revision: output.revision },
        cur,
      );
      return next === undefined ? STEP_REJECTED : ok(next);
    }
    case 'txn':
      return stepTxn(s, input, output);
    case 'lease-grant': {
      if (output?.type !== 'lease-grant') return ok(s); // its id is unknown: nothing can name it
      if (s.leases.has(output.lease) || output.revision < s.maxRevision) return STEP_REJECTED;
      const leases = new Map(s.leases).set(output.lease, true);
      return ok({ keys: s.keys, leases, maxRevision: output.revision });
    }
    case 'lease-revoke':
      return stepRevoke(s, input, output);
  }
}

function equal(a: FlexKvState, b: FlexKvState): boolean {
  if (a === b) return true;
  if (a.maxRevision !== b.maxRevision || a.keys.size !== b.keys.size) return false;
  if (a.leases.size !== b.leases.size) return false;
  for (const [l, live] of a.leases) if (b.leases.get(l) !== live) return false;
  for (const [k, x] of a.keys) {
    const y = b.keys.get(k);
    if (
      y === undefined ||
      x.value !== y.value ||
      x.version !== y.version ||
      x.revision !== y.revision ||
      x.createRevision !== y.createRevision ||
      x.lease !== y.lease
    )
      return false;
  }
  return true;
}

/** Order-independent hash of a state, consistent with `equal`. */
function hash(s: FlexKvState): number {
  let h = Math.imul(s.maxRevision + 1, 0x9e3779b1);
  for (const [k, x] of s.keys) {
    h =
      (h +
        hashString(
          `${k}\u0000${x.value}\u0000${x.version}\u0000${x.revision ?? '?'}\u0000` +
            `${x.createRevision ?? '?'}\u0000${x.lease}`,
        )) |
      0;
  }
  for (const [l, live] of s.leases) h = (h + hashString(`lease\u0000${l}\u0000${live}`)) | 0;
  return h >>> 0;
}

/** The keys, prefixes and leases an operation touches. */
function touches(o: Operation<FlexKvInput, FlexKvOutput>): {
  keys: string[];
  prefixes: string[];
  leases: number[];
} {
  const keys: string[] = [];
  const prefixes: string[] = [];
  const leases: number[] = [];
  const visit = (i: FlexKvInput): void => {
    switch (i.type) {
      case 'get':
      case 'delete':
      case 'cas':
        keys.push(i.key);
        break;
      case 'put':
        keys.push(i.key);
        if (i.lease !== undefined && i.lease !== 0) leases.push(i.lease);
        break;
      case 'range':
        prefixes.push(i.prefix);
        break;
      case 'txn':
        for (const c of i.compare) keys.push(c.key);
        for (const x of [...i.success, ...i.failure]) visit(x);
        break;
      case 'lease-grant':
        if (o.output?.type === 'lease-grant') leases.push(o.output.lease);
        break;
      case 'lease-revoke':
        leases.push(i.lease);
        break;
    }
  };
  visit(o.input);
  return { keys, prefixes, leases };
}

/** Groups operations into connected components of the keys and leases they touch. */
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
  const touched = ops.map(touches);
  const allKeys = new Set<string>();
  for (const t of touched) for (const k of t.keys) allKeys.add(k);
  touched.forEach((t, i) => {
    const node = `o${i}`;
    for (const k of t.keys) union(node, `k${k}`);
    for (const l of t.leases) union(node, `l${l}`);
    for (const p of t.prefixes) for (const k of allKeys) if (k.startsWith(p)) union(node, `k${k}`);
  });
  const groups = new Map<string, Operation<FlexKvInput, FlexKvOutput>[]>();
  ops.forEach((o, i) => {
    const r = find(`o${i}`);
    let g = groups.get(r);
    if (g === undefined) groups.set(r, (g = []));
    g.push(o);
  });
  return [...groups.values()];
}

/** The FlexPaxos KV model. */
export const flexKvModel: Model<FlexKvState, FlexKvInput, FlexKvOutput> = {
  name: 'flexpaxos-kv',
  init: () => ({ keys: new Map(), leases: new Map(), maxRevision: 0 }),
  step,
  equal,
  hash,
  partition,
  describe: (o) => `${o.input.type}(${JSON.stringify(o.input)})`,
};
