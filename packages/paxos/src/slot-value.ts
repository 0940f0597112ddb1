/** Helpers over `SlotValue`: sizes, equality, and splitting entries into bounded messages. */
import { configurationsEqual, type ConfigState } from './configuration.js';
import type { SlotValue } from './types.js';

function configStatesEqual(a: ConfigState, b: ConfigState): boolean {
  if (!configurationsEqual(a.incoming, b.incoming)) {
    return false;
  }
  if (a.outgoing === undefined || b.outgoing === undefined) {
    return a.outgoing === b.outgoing;
  }
  return configurationsEqual(a.outgoing, b.outgoing);
}

/** Bytes counted per entry on top of its commands when sizing messages. */
export const ENTRY_OVERHEAD_BYTES = 32;

/** Bytes counted for a configuration value when sizing messages. */
const CONFIG_VALUE_BYTES = 256;

/** Total command bytes of a slot value (0 for a no-op, a fixed estimate for a configuration). */
export function valueBytes(value: SlotValue): number {
  if (value.kind === 'noop') {
    return 0;
  }
  if (value.kind === 'config') {
    return CONFIG_VALUE_BYTES;
  }
  let n = 0;
  for (const c of value.commands) {
    n += c.byteLength;
  }
  return n;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) {
    return false;
  }
  for (let i = 0; i < a.byteLength; i++) {
    if (a[i] !== b[i]) {
      return false;
    }
  }
  return true;
}

/** Structural equality of slot values. */
export function slotValuesEqual(a: SlotValue, b: SlotValue): boolean {
  if (a.kind === 'noop' || b.kind === 'noop') {
    return a.kind === b.kind;
  }
  if (a.kind === 'config' || b.kind === 'config') {
    return a.kind === 'config' && b.kind === 'config' && configStatesEqual(a.config, b.config);
  }
  if (a.commands.length !== b.commands.length) {
    return false;
  }
  for (let i = 0; i < a.commands.length; i++) {
    const x = a.commands[i];
    const y = b.commands[i];
    if (x === undefined || y === undefined || !bytesEqual(x, y)) {
      return false;
    }
  }
  return true;
}

/** The no-op value that fills holes. */
export const NOOP: SlotValue = Object.freeze({ kind: 'noop' });

/** Splits entries into groups of at most `maxBytes` (at least one entry each), in order. */
export function chunkEntries<T extends { readonly value: SlotValue }>(
  entries: readonly T[],
  maxBytes: number,
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const e of entries) {
    const b = valueBytes(e.value) + ENTRY_OVERHEAD_BYTES;
    if (current.length > 0 && bytes + b > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += b;
  }
  if (current.length > 0) {
    chunks.push(current);
  }
  return chunks;
}
