/**
 * Parsers for the history formats in `shared/data/porcupine` (see its README). They return
 * `{ ok: false, error }` on input they cannot read instead of throwing.
 */
import type { Operation } from './history.js';
import type { FlexKvInput, FlexKvOutput, FlexKvTxnOpOutput } from './models/flexpaxos-kv-types.js';
import type { PorcupineKvInput, PorcupineKvOutput } from './models/porcupine-kv.js';
import type { RegisterInput, RegisterOutput, RegisterValue } from './models/register.js';

/** A parse outcome. */
export type ParseResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

interface Open<I> {
  readonly clientId: string;
  readonly input: I;
  readonly call: number;
}

const KV_LINE =
  /^\{:process (\d+), :type :(invoke|ok|fail|info), :f :(get|put|append), :key "((?:[^"\\]|\\.)*)", :value (nil|"((?:[^"\\]|\\.)*)")\}$/;

/**
 * Parses Porcupine's `kv/cNN-*.txt` format (one EDN-like event per line). Time is line order.
 * `:fail` drops the operation (it did not happen); `:info` leaves it pending to the end.
 */
export function parsePorcupineKv(
  text: string,
): ParseResult<Operation<PorcupineKvInput, PorcupineKvOutput>[]> {
  const ops: Operation<PorcupineKvInput, PorcupineKvOutput>[] = [];
  const open = new Map<string, Open<PorcupineKvInput>>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    const m = KV_LINE.exec(line);
    if (m === null)
      return { ok: false, error: `line ${i + 1}: not a Porcupine KV event: ${line.slice(0, 80)}` };
    const [, process = '', type, f, key = '', , quoted] = m;
    const value = quoted ?? '';
    if (type === 'invoke') {
      if (open.has(process))
        return { ok: false, error: `line ${i + 1}: process ${process} invokes twice` };
      open.set(process, {
        clientId: process,
        input: { op: f as PorcupineKvInput['op'], key, value },
        call: i,
      });
      continue;
    }
    const o = open.get(process);
    if (o === undefined)
      return { ok: false, error: `line ${i + 1}: process ${process} completes nothing` };
    open.delete(process);
    if (type === 'fail') continue;
    if (type === 'info') ops.push({ ...o, output: undefined, return: undefined });
    else ops.push({ ...o, output: { value: o.input.op === 'get' ? value : '' }, return: i });
  }
  for (const o of open.values()) ops.push({ ...o, output: undefined, return: undefined });
  return { ok: true, value: ops };
}

const JEPSEN_PREFIX = /jepsen\.util\s+-\s+(.*)$/;

function registerValue(s: string): RegisterValue {
  return s === 'nil' ? null : s;
}

/**
 * Parses a Jepsen etcd register log (`jepsen/etcd_NNN.log`). Only `jepsen.util` lines with a
 * numeric process count. `:info` leaves the operation pending to the end; `:fail :read` is a
 * read with an unknown result; `:fail :cas` is a cas that did not see `from`; `:fail :write`
 * did not happen.
 */
export function parseJepsenRegister(
  text: string,
): ParseResult<Operation<RegisterInput, RegisterOutput>[]> {
  const ops: Operation<RegisterInput, RegisterOutput>[] = [];
  const open = new Map<string, Open<RegisterInput>>();
  const lines = text.split('\n');
  let events = 0;
  for (let i = 0; i < lines.length; i++) {
    const m = JEPSEN_PREFIX.exec(lines[i] ?? '');
    if (m === null) continue;
    const fields = (m[1] ?? '').trim().split(/\s+/);
    const [process = '', type = '', f = ''] = fields;
    const arg = fields.slice(3).join(' ');
    if (!/^\d+$/.test(process)) continue;
    if (!/^:(invoke|ok|fail|info)$/.test(type) || !/^:(read|write|cas)$/.test(f)) continue;
    events++;
    if (type === ':invoke') {
      let input: RegisterInput;
      if (f === ':read') input = { f: 'read' };
      else if (f === ':write') input = { f: 'write', value: registerValue(arg) };
      else {
        const c = /^\[(\S+) (\S+)\]$/.exec(arg);
        if (c === null) return { ok: false, error: `line ${i + 1}: bad cas argument ${arg}` };
        input = { f: 'cas', from: registerValue(c[1] ?? ''), to: registerValue(c[2] ?? '') };
      }
      if (open.has(process))
        return { ok: false, error: `line ${i + 1}: process ${process} invokes twice` };
      open.set(process, { clientId: process, input, call: i });
      continue;
    }
    const o = open.get(process);
    if (o === undefined)
      return { ok: false, error: `line ${i + 1}: process ${process} completes nothing` };
    if (`:${o.input.f}` !== f)
      return { ok: false, error: `line ${i + 1}: completes ${f} but ${o.input.f} is open` };
    open.delete(process);
    if (type === ':info') {
      ops.push({ ...o, output: undefined, return: undefined });
    } else if (type === ':ok') {
      const output: RegisterOutput =
        o.input.f === 'read'
          ? { f: 'read', value: registerValue(arg) }
          : o.input.f === 'write'
            ? { f: 'write' }
            : { f: 'cas', ok: true };
      ops.push({ ...o, output, return: i });
    } else if (o.input.f === 'read') {
      ops.push({ ...o, output: undefined, return: i });
    } else if (o.input.f === 'cas') {
      ops.push({ ...o, output: { f: 'cas', ok: false }, return: i });
    }
  }
  if (events === 0 && text.trim() !== '')
    return { ok: false, error: 'no Jepsen register events found' };
  for (const o of open.values()) ops.push({ ...o, output: undefined, return: undefined });
  return { ok: true, value: ops };
}

/**
 * Parses a FlexPaxos KV history stored as JSON: an array of operations
 * `{ clientId, input, call, output?, return? }` (see `Operation`, `FlexKvInput`,
 * `FlexKvOutput`), where a missing or `null` `output` is unknown and a missing or `null`
 * `return` means the operation never returned, and a get of an absent key has `"kv": null`.
 * Only the shape of the envelope is checked.
 */
export function parseFlexKvJson(text: string): ParseResult<Operation<FlexKvInput, FlexKvOutput>[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  if (!Array.isArray(raw)) return { ok: false, error: 'expected a JSON array of operations' };
  const ops: Operation<FlexKvInput, FlexKvOutput>[] = [];
  for (let i = 0; i < raw.length; i++) {
    const o = raw[i] as Record<string, unknown> | null;
    const input = o?.['input'] as { type?: unknown } | undefined;
    const call = o?.['call'];
    const ret = o?.['return'] ?? undefined;
    const clientId = o?.['clientId'];
    if (
      typeof input?.type !== 'string' ||
      !['get', 'put', 'delete', 'cas', 'range', 'txn', 'lease-grant', 'lease-revoke'].includes(
        input.type,
      ) ||
      typeof call !== 'number' ||
      (ret !== undefined && typeof ret !== 'number') ||
      (typeof clientId !== 'number' && typeof clientId !== 'string')
    ) {
      return {
        ok: false,
        error: `operation ${i}: expected { clientId, input: { type, ... }, call, output?, return? }`,
      };
    }
    let output = (o?.['output'] ?? undefined) as FlexKvOutput | undefined;
    // JSON has no undefined: an absent key reads as `"kv": null`, in a transaction too.
    if (output?.type === 'get' && (output.kv as unknown) === null)
      output = { type: 'get', kv: undefined };
    if (output?.type === 'txn' && Array.isArray(output.results)) {
      const results: readonly FlexKvTxnOpOutput[] = output.results;
      output = {
        ...output,
        results: results.map((r): FlexKvTxnOpOutput =>
          r.type === 'get' && (r.kv as unknown) === null ? { type: 'get', kv: undefined } : r,
        ),
      };
    }
    ops.push({ clientId, input: input as FlexKvInput, call, output, return: ret });
  }
  return { ok: true, value: ops };
}
