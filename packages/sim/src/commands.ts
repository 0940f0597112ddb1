/**
 * Client commands of the simulated state machine. A command's bytes are
 * `cmd:<client>:<seq>;<padding>`; `<client>:<seq>` is its unique id. Retries re-propose the
 * same bytes, so the id identifies a command across retries.
 */
import type { SimSlotValue } from './core-types.js';

/** Encodes command `seq` of `client` with `padBytes` bytes of filler. */
export function encodeCommand(client: number, seq: number, padBytes = 0): Uint8Array {
  const text = `cmd:${client}:${seq};${'x'.repeat(padBytes)}`;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Bytes to a latin1 string (commands are ASCII). */
export function bytesToText(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i] as number);
  return s;
}

/** The command id (`client:seq`) in `bytes`, or undefined when the bytes are not a command. */
export function commandId(bytes: Uint8Array): string | undefined {
  const text = bytesToText(bytes);
  if (!text.startsWith('cmd:')) return undefined;
  const end = text.indexOf(';');
  return end < 0 ? undefined : text.slice(4, end);
}

/** A canonical string of a slot value, to compare values across replicas. */
export function valueKey(value: SimSlotValue): string {
  switch (value.kind) {
    case 'noop':
      return 'noop';
    case 'commands':
      return 'cmds[' + value.commands.map(bytesToText).join(',') + ']';
  }
}

/** A short human description of a slot value, for traces. */
export function describeValue(value: SimSlotValue): string {
  switch (value.kind) {
    case 'noop':
      return 'noop';
    case 'commands':
      return '[' + value.commands.map((c) => commandId(c) ?? `?${c.length}b`).join(' ') + ']';
  }
}
