/**
 * One sample of every message type of the Paxos core (`packages/paxos/src/messages.ts`), plus
 * one type the core does not have yet, built as plain data exactly like the core builds them.
 */
import type { PeerMessage } from '../src/index.js';

/** A peer message with its fields, as the core builds them. */
export type SampleMessage = PeerMessage & Readonly<Record<string, unknown>>;

const ballot = (round: number, nodeId: number) => ({ round, nodeId });
const bytes = (...b: number[]) => new Uint8Array(b);

/** Every message of the core's `Message` union, sent by `from` to `to`. */
export function sampleMessages(from: number, to: number): SampleMessage[] {
  const env = { from, to };
  return [
    { type: 'prepare', ...env, ballot: ballot(7, from), fromSlot: 12 },
    {
      type: 'promise',
      ...env,
      ballot: ballot(7, to),
      fromSlot: 12,
      accepted: [
        { slot: 12, ballot: ballot(6, 3), value: { kind: 'noop' } },
        {
          slot: 13,
          ballot: ballot(6, 3),
          value: { kind: 'commands', commands: [bytes(1, 2, 3), bytes()] },
        },
      ],
      committed: 11,
      snapshotIndex: 0,
    },
    {
      type: 'accept',
      ...env,
      ballot: ballot(2 ** 40, from),
      entries: [
        {
          slot: 2 ** 50,
          ballot: ballot(2 ** 40, from),
          value: { kind: 'commands', commands: [bytes(255, 0, 128)] },
        },
      ],
      committed: 2 ** 50 - 1,
    },
    { type: 'accepted', ...env, ballot: ballot(7, to), slots: [12, 13, 14] },
    { type: 'reject', ...env, ballot: ballot(7, to), promised: ballot(9, 4) },
    { type: 'heartbeat', ...env, ballot: ballot(7, from), committed: 100 },
    { type: 'heartbeat-reply', ...env, ballot: ballot(7, to), committed: 99 },
    { type: 'fetch', ...env, fromSlot: 5, toSlot: 9 },
    {
      type: 'chosen',
      ...env,
      entries: [
        { slot: 5, value: { kind: 'noop' } },
        { slot: 6, value: { kind: 'commands', commands: [bytes(9)] } },
      ],
      committed: 6,
    },
    { type: 'snapshot', ...env, snapshot: { meta: { index: 40 }, data: bytes(1, 2, 3, 4, 5) } },
    // A type the core might add later: carried by name, fields untouched.
    {
      type: 'future-probe',
      ...env,
      note: 'ünïcödé',
      nested: { list: [1, 'two', null, true, -3.5] },
    },
  ];
}

/** An Accept the size of a typical small write (one 100-byte command). */
export function acceptSized(from: number, to: number, slot: number): SampleMessage {
  return {
    type: 'accept',
    from,
    to,
    ballot: ballot(3, from),
    entries: [
      {
        slot,
        ballot: ballot(3, from),
        value: { kind: 'commands', commands: [new Uint8Array(100).fill(slot % 251)] },
      },
    ],
    committed: slot - 1,
  };
}

/** A snapshot message carrying `size` bytes of state, with a recognizable pattern. */
export function bigSnapshot(from: number, to: number, size: number, seed = 1): SampleMessage {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    data[i] = (i * 31 + seed) & 0xff;
  }
  return { type: 'snapshot', from, to, snapshot: { meta: { index: 1000 + seed }, data } };
}
