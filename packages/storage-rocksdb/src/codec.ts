/**
 * Hand-written binary encodings of the values stored under the key layout (see
 * `key-layout.ts`), and of the snapshot stream.
 *
 * Entry value: `round u64 | nodeId u64 | kind u8 (0 noop, 1 commands, 2 config) | count u32 |
 * (length u32 | bytes) * count`; a configuration is one item, its JSON (`encodeConfigState`).
 * The slot lives in the key only.
 */
import { assert, validateConfiguration, type ConfigState } from '@flexpaxos/paxos';
import type {
  AcceptedEntry,
  Ballot,
  HardState,
  NodeId,
  Round,
  Slot,
  SlotValue,
} from './contract-types.js';
import { readU64, writeU64 } from './key-layout.js';

const KIND_NOOP = 0;
const KIND_COMMANDS = 1;
const KIND_CONFIG = 2;

/** Encodes a configuration state (a log entry's or the base configuration) as UTF-8 JSON. */
export function encodeConfigState(config: ConfigState): Buffer {
  return Buffer.from(JSON.stringify(config), 'utf8');
}

/**
 * Decodes `encodeConfigState`, checking the shape and every rule of each configuration
 * (`validateConfiguration`): a store never hands the core a configuration it would refuse.
 */
export function decodeConfigState(buf: Uint8Array, what: string): ConfigState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8'));
  } catch {
    assert(false, `${what}: configuration record is not JSON`);
  }
  const state = parsed as ConfigState;
  assert(
    typeof state === 'object' && state !== null && typeof state.incoming === 'object',
    `${what}: configuration record has no incoming configuration`,
  );
  const problems = [
    ...validateConfiguration(state.incoming, 'incoming'),
    ...(state.outgoing === undefined ? [] : validateConfiguration(state.outgoing, 'outgoing')),
  ];
  assert(
    problems.length === 0,
    `${what}: invalid configuration record: ${problems.map((p) => `${p.field}: ${p.rule}`).join('; ')}`,
  );
  return state;
}

/** Encodes a hard state as 24 bytes. */
export function encodeHardState(hs: HardState): Buffer {
  const buf = Buffer.allocUnsafe(24);
  writeU64(buf, 0, hs.promised.round);
  writeU64(buf, 8, hs.promised.nodeId);
  writeU64(buf, 16, hs.committed);
  return buf;
}

/** Decodes `encodeHardState`. */
export function decodeHardState(buf: Uint8Array): HardState {
  assert(buf.length === 24, `hard state record has ${buf.length} bytes, expected 24`);
  return {
    promised: { round: readU64(buf, 0) as Round, nodeId: readU64(buf, 8) as NodeId },
    committed: readU64(buf, 16) as Slot,
  };
}

/** Encodes a single u64 (applied index, snapshot index). */
export function encodeU64(n: number): Buffer {
  const buf = Buffer.allocUnsafe(8);
  writeU64(buf, 0, n);
  return buf;
}

/** Decodes `encodeU64`. */
export function decodeU64(buf: Uint8Array): number {
  assert(buf.length === 8, `u64 record has ${buf.length} bytes, expected 8`);
  return readU64(buf, 0);
}

/** Encodes an accepted entry's ballot and value (the slot is in the key). */
export function encodeEntryValue(entry: AcceptedEntry): Buffer {
  const v = entry.value;
  const commands =
    v.kind === 'commands' ? v.commands : v.kind === 'config' ? [encodeConfigState(v.config)] : [];
  let size = 8 + 8 + 1 + 4;
  for (const c of commands) size += 4 + c.length;
  const buf = Buffer.allocUnsafe(size);
  writeU64(buf, 0, entry.ballot.round);
  writeU64(buf, 8, entry.ballot.nodeId);
  buf[16] = v.kind === 'noop' ? KIND_NOOP : v.kind === 'config' ? KIND_CONFIG : KIND_COMMANDS;
  buf.writeUInt32BE(commands.length, 17);
  let off = 21;
  for (const c of commands) {
    buf.writeUInt32BE(c.length, off);
    buf.set(c, off + 4);
    off += 4 + c.length;
  }
  return buf;
}

/** Decodes `encodeEntryValue` back into an entry at `slot`. Copies command bytes. */
export function decodeEntryValue(slot: Slot, buf: Uint8Array): AcceptedEntry {
  assert(buf.length >= 21, `entry record at slot ${slot} is truncated`);
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const ballot: Ballot = { round: readU64(buf, 0) as Round, nodeId: readU64(buf, 8) as NodeId };
  const kind = view[16];
  const count = view.readUInt32BE(17);
  let value: SlotValue;
  if (kind === KIND_NOOP) {
    assert(count === 0 && buf.length === 21, `noop entry at slot ${slot} carries data`);
    value = { kind: 'noop' };
  } else if (kind === KIND_CONFIG) {
    assert(count === 1 && buf.length >= 25, `config entry at slot ${slot} is malformed`);
    const len = view.readUInt32BE(21);
    assert(
      25 + len === buf.length,
      `config entry at slot ${slot} is truncated or has trailing bytes`,
    );
    value = {
      kind: 'config',
      config: decodeConfigState(view.subarray(25), `entry at slot ${slot}`),
    };
  } else {
    assert(kind === KIND_COMMANDS, `entry at slot ${slot} has unknown kind ${kind}`);
    const commands: Uint8Array[] = [];
    let off = 21;
    for (let i = 0; i < count; i++) {
      assert(off + 4 <= buf.length, `entry at slot ${slot} is truncated`);
      const len = view.readUInt32BE(off);
      assert(off + 4 + len <= buf.length, `entry at slot ${slot} is truncated`);
      commands.push(new Uint8Array(view.subarray(off + 4, off + 4 + len)));
      off += 4 + len;
    }
    assert(off === buf.length, `entry at slot ${slot} has trailing bytes`);
    value = { kind: 'commands', commands };
  }
  return { slot, ballot, value };
}
