/**
 * Client commands of the simulated cluster: real `@flexpaxos/kv` commands (binary codec) with
 * an exactly-once session. Simulated client `c` uses the KV client id `"<c>"`, so a command's
 * id is `<client>:<seq>`. Retries re-propose the same bytes, so the id identifies a command
 * across retries.
 */
import { describeConfigState } from '@flexpaxos/paxos';
import {
  decodeCommand,
  encodeCommand as encodeKv,
  kvCommand,
  kvPut,
  type KvCommandOp,
} from '@flexpaxos/kv';
import type { SimSlotValue } from './core-types.js';

const utf8 = new TextDecoder();

/** Encodes write `op` (any command operation) as command `seq` of simulated client `client`. */
export function encodeWrite(client: number, seq: number, op: KvCommandOp): Uint8Array {
  return encodeKv(kvCommand(op, String(client), seq));
}

/**
 * A put of a unique value (`v<client>.<seq>` and `padBytes` of filler) to key `k`, as
 * command `seq` of `client`: what trace scripts and the barrier propose.
 */
export function encodeCommand(client: number, seq: number, padBytes = 0): Uint8Array {
  return encodeWrite(client, seq, kvPut('k', `v${client}.${seq}${'x'.repeat(padBytes)}`));
}

/** Bytes to a latin1 string (one char per byte), to compare and key commands. */
export function bytesToText(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i] as number);
  return s;
}

/** A latin1 string back to bytes (inverse of {@link bytesToText}). */
export function textToBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * The command id (`client:seq`) in `bytes`, or undefined when the bytes are not a KV command
 * with a session.
 */
export function commandId(bytes: Uint8Array): string | undefined {
  const d = decodeCommand(bytes);
  if (!d.ok || d.value.session === undefined) return undefined;
  return `${utf8.decode(d.value.session.clientId)}:${d.value.session.seq}`;
}

/** A canonical string of a slot value, to compare values across replicas. */
export function valueKey(value: SimSlotValue): string {
  switch (value.kind) {
    case 'noop':
      return 'noop';
    case 'commands':
      return 'cmds[' + value.commands.map(bytesToText).join(',') + ']';
    case 'config':
      return 'config[' + describeConfigState(value.config) + ']';
  }
}

/** A short human description of a slot value, for traces. */
export function describeValue(value: SimSlotValue): string {
  switch (value.kind) {
    case 'noop':
      return 'noop';
    case 'commands':
      return '[' + value.commands.map((c) => commandId(c) ?? `?${c.length}b`).join(' ') + ']';
    case 'config':
      return `config(${describeConfigState(value.config)})`;
  }
}
