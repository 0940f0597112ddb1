import type { Message } from '@flexpaxos/paxos';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  FRAME_BYTES_MIN,
  FRAME_KIND,
  FRAME_VERSION,
  FrameEncoder,
  MESSAGE_TYPE_TAGS,
  decodeEntry,
  decodeFrame,
  encodeEntry,
} from '../src/index.js';
import type { Chunk, PeerMessage } from '../src/index.js';
import { acceptSized, bigSnapshot, sampleMessages } from './sample-messages.js';

function roundTrip(
  messages: PeerMessage[],
  frameBytesMax: number,
): { frames: Uint8Array[]; out: PeerMessage[] } {
  const enc = new FrameEncoder(0xdeadbeef);
  const from = messages[0]?.from ?? 1;
  const to = messages[0]?.to ?? 2;
  const frames = enc.encode(from, to, messages.map(encodeEntry), frameBytesMax).map((f) => f.bytes);
  const out: PeerMessage[] = [];
  const chunks: Chunk[] = [];
  for (const f of frames) {
    const d = decodeFrame(f);
    if (d.kind === 'batch') {
      expect(d.errors).toEqual([]);
      out.push(...d.messages);
    } else if (d.kind === 'chunk') {
      chunks.push(d.chunk);
      if (d.chunk.index === d.chunk.count - 1) {
        const whole = new Uint8Array(d.chunk.totalBytes);
        for (const c of chunks) whole.set(c.bytes, c.offset);
        chunks.length = 0;
        const r = decodeEntry(whole, d.chunk.from, d.chunk.to);
        expect(r.ok).toBe(true);
        if (r.ok) out.push(r.message);
      }
    } else {
      throw new Error(d.reason);
    }
  }
  return { frames, out };
}

describe('FrameEncoder', () => {
  it('carries the Paxos core Message union (checked by the type checker)', () => {
    expectTypeOf<Message>().toExtend<PeerMessage>();
    expectTypeOf<Message['type']>().toExtend<string>();
  });

  it('round-trips every message type of the core and an unknown type, in order', () => {
    const messages = sampleMessages(1, 2);
    const { frames, out } = roundTrip(messages, 1024 * 1024);
    expect(frames).toHaveLength(1);
    expect(out).toEqual(messages);
    const snap = out.find((m) => m.type === 'snapshot') as unknown as {
      snapshot: { data: Uint8Array };
    };
    expect(Object.getPrototypeOf(snap.snapshot.data)).toBe(Uint8Array.prototype);
  });

  it('writes the version byte, the batch kind and one-byte type tags', () => {
    const entry = encodeEntry({
      type: 'heartbeat',
      from: 1,
      to: 2,
      ballot: { round: 1, nodeId: 1 },
      committed: 0,
    } as PeerMessage);
    expect(entry[0]).toBe(MESSAGE_TYPE_TAGS['heartbeat']);
    const [frame] = new FrameEncoder(1).encode(1, 2, [entry], 4096);
    expect(frame?.bytes[0]).toBe(FRAME_VERSION);
    expect(frame?.bytes[1]).toBe(FRAME_KIND.batch);
    expect(frame?.bytes.length).toBeLessThan(48);
  });

  it('keeps every frame within the bound and splits batches at it', () => {
    const messages = Array.from({ length: 150 }, (_, i) => acceptSized(1, 2, i + 1));
    for (const bound of [FRAME_BYTES_MIN, 1000, 4096, 65536]) {
      const { frames, out } = roundTrip(messages, bound);
      for (const f of frames) expect(f.length).toBeLessThanOrEqual(bound);
      expect(out).toEqual(messages);
    }
  });

  it('chunks a message larger than the bound and keeps order around it', () => {
    const messages = [acceptSized(1, 2, 1), bigSnapshot(1, 2, 20_000), acceptSized(1, 2, 2)];
    const { frames, out } = roundTrip(messages, 4096);
    expect(frames.length).toBeGreaterThan(5);
    for (const f of frames) expect(f.length).toBeLessThanOrEqual(4096);
    expect(out).toEqual(messages);
  });

  it('refuses a bound below the minimum', () => {
    expect(() => new FrameEncoder(1).encode(1, 2, [], FRAME_BYTES_MIN - 1)).toThrow(
      /frameBytesMax/,
    );
  });
});

describe('decodeFrame', () => {
  const good = new FrameEncoder(1).encode(3, 4, sampleMessages(3, 4).map(encodeEntry), 1 << 20)[0]!
    .bytes;

  it('reports garbage as invalid instead of throwing', () => {
    for (const bad of [
      new Uint8Array(),
      new Uint8Array([9, 1, 1, 1]),
      new Uint8Array([1, 7, 1, 1]),
      new Uint8Array([1, 1, 0, 1, 1]),
      good.subarray(0, 5),
    ]) {
      const d = decodeFrame(bad);
      expect(d.kind === 'invalid' || (d.kind === 'batch' && d.errors.length > 0)).toBe(true);
    }
  });

  it('never throws on random bytes or random corruptions of a good frame', () => {
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 1000; i++) {
      const b = i % 2 === 0 ? new Uint8Array(rnd(64)).map(() => rnd(256)) : good.slice();
      if (i % 2 === 1) for (let k = 0; k < 3; k++) b[rnd(b.length)] = rnd(256);
      expect(() => decodeFrame(b)).not.toThrow();
    }
  });

  it('drops only the bad entry when one entry body is corrupt', () => {
    const entries = [acceptSized(1, 2, 1), acceptSized(1, 2, 2), acceptSized(1, 2, 3)].map(
      encodeEntry,
    );
    const bad = entries[1]!.slice();
    bad[3] = 0xc1; // never-used msgpack byte at the start of the body
    entries[1] = bad;
    const frame = new FrameEncoder(1).encode(1, 2, entries, 1 << 20)[0]!.bytes;
    const d = decodeFrame(frame);
    expect(d.kind).toBe('batch');
    if (d.kind === 'batch') {
      expect(d.messages.map((m) => (m as unknown as { committed: number }).committed)).toEqual([
        0, 2,
      ]);
      expect(d.errors).toHaveLength(1);
    }
  });

  it('rejects an unknown type tag and a body that repeats envelope fields', () => {
    const entry = encodeEntry(acceptSized(1, 2, 1)).slice();
    entry[0] = 200;
    expect(decodeEntry(entry, 1, 2)).toMatchObject({ ok: false, reason: 'unknown type tag 200' });
    const sneaky = encodeEntry({
      type: 'x',
      from: 1,
      to: 2,
      nested: { type: 'ok' },
    } as PeerMessage);
    expect(decodeEntry(sneaky, 1, 2).ok).toBe(true);
  });
});
