import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  KvStateMachine,
  decodeReply,
  encodeCommand,
  kvCloseSession,
  kvCommand,
  kvGet,
  kvLeaseGrant,
  kvOpenSession,
  kvPut,
  kvSessionCommand,
  kvSessionKeepalive,
  sessionId,
} from '../src/index.js';
import type { KvCommandOp, KvConfig, KvReply, SessionId } from '../src/index.js';

/** Applies a command (bytes) and decodes its reply. */
function applyBytes(m: KvStateMachine, slot: number, bytes: Uint8Array): KvReply {
  const d = decodeReply(m.apply(slot, bytes).reply);
  if (!d.ok) throw new Error(d.error);
  return d.value;
}

function open(m: KvStateMachine, slot: number): SessionId {
  const r = applyBytes(m, slot, encodeCommand(kvCommand(kvOpenSession())));
  if (r.type !== 'open-session') throw new Error(`open-session gave ${r.type}`);
  return r.sessionId;
}

function inSession(
  m: KvStateMachine,
  slot: number,
  op: KvCommandOp,
  id: SessionId,
  seq: number,
): KvReply {
  return applyBytes(m, slot, encodeCommand(kvSessionCommand(op, id, seq)));
}

const small: Partial<KvConfig> = { sessionsMax: 3, sessionExpirySlots: 100 };

describe('KvStateMachine registered sessions', () => {
  it('assigns ids in log order, 1, 2, 3, ...', () => {
    const m = new KvStateMachine();
    expect(open(m, 1)).toBe(1);
    expect(open(m, 1)).toBe(2);
    expect(open(m, 2)).toBe(3);
    expect(m.sessionCount).toBe(3);
  });

  it('applies a command once: a retry returns the recorded reply and changes nothing', () => {
    const m = new KvStateMachine();
    const s = open(m, 1);
    const put = encodeCommand(kvSessionCommand(kvPut('k', 'v'), s, 1));
    const first = m.apply(2, put);
    expect(decodeReply(first.reply)).toEqual({
      ok: true,
      value: { type: 'put', version: 1, revision: 2 },
    });
    const before = m.snapshot();
    const retry = m.apply(5, put);
    expect(retry.reply).toEqual(first.reply);
    expect(retry.writes).toEqual([]);
    expect(retry.events).toEqual([]);
    expect(m.read(kvGet('k'))).toMatchObject({ kv: { version: 1 } });
    // Only the applied index moved.
    expect(KvStateMachine.restore(m.snapshot()).read(kvGet('k'))).toEqual(
      KvStateMachine.restore(before).read(kvGet('k')),
    );
  });

  it('refuses a session that was never opened with session-expired, changing nothing', () => {
    const m = new KvStateMachine();
    open(m, 1);
    expect(inSession(m, 2, kvPut('k', 'v'), sessionId(99), 1)).toMatchObject({
      type: 'error',
      code: 'session-expired',
    });
    expect(m.size).toBe(0);
    expect(m.sessionCount).toBe(1);
  });

  it('closes the hole: a retry of seq 1 after its session was evicted is refused, not re-applied', () => {
    const m = new KvStateMachine(small);
    const s = open(m, 1);
    const put = encodeCommand(kvSessionCommand(kvPut('k', 'v'), s, 1));
    m.apply(2, put); // applied; suppose the reply was lost
    for (let slot = 3; slot < 6; slot++) open(m, slot); // three newer sessions evict s
    expect(m.sessionCount).toBe(3);
    expect(applyBytes(m, 6, put)).toMatchObject({ type: 'error', code: 'session-expired' });
    expect(m.read(kvGet('k'))).toMatchObject({ kv: { version: 1, revision: 2 } });
  });

  it('shows the hole it closes: the same retry under a client-chosen id is applied twice', () => {
    const m = new KvStateMachine(small);
    const put = encodeCommand(kvCommand(kvPut('k', 'v'), 'c', 1));
    m.apply(2, put);
    for (let slot = 3; slot < 6; slot++) open(m, slot);
    expect(applyBytes(m, 6, put)).toMatchObject({ type: 'put', version: 2 });
  });

  it('expires a session unused for sessionExpirySlots; a retry then gets session-expired', () => {
    const m = new KvStateMachine(small);
    const s = open(m, 1);
    const put = encodeCommand(kvSessionCommand(kvPut('k', 'v'), s, 1));
    m.apply(2, put);
    m.applyNoop(101);
    expect(m.sessionCount).toBe(1);
    m.applyNoop(102);
    expect(m.sessionCount).toBe(0);
    expect(applyBytes(m, 103, put)).toMatchObject({ code: 'session-expired' });
    expect(m.read(kvGet('k'))).toMatchObject({ kv: { version: 1 } });
  });

  it('keeps an idle session alive with session-keepalive', () => {
    const m = new KvStateMachine(small);
    const s = open(m, 1);
    expect(inSession(m, 90, kvSessionKeepalive(), s, 1)).toEqual({
      type: 'session-keepalive',
      revision: 90,
    });
    m.applyNoop(180);
    expect(inSession(m, 181, kvPut('k', 'v'), s, 2)).toMatchObject({ type: 'put' });
  });

  it('never evicts a session that is used every slot, however many sessions others open', () => {
    const m = new KvStateMachine(small);
    const s = open(m, 1);
    let seq = 0;
    for (let slot = 2; slot < 200; slot++) {
      expect(inSession(m, slot, kvPut('k', `v${slot}`), s, ++seq)).toMatchObject({ type: 'put' });
      open(m, slot);
      open(m, slot);
    }
    expect(m.sessionCount).toBe(3);
    expect(inSession(m, 200, kvGet('k'), s, ++seq)).toMatchObject({ type: 'get' });
  });

  it('closes a session: later commands and a retried close get session-expired', () => {
    const m = new KvStateMachine();
    const s = open(m, 1);
    expect(inSession(m, 2, kvCloseSession(), s, 1)).toEqual({ type: 'close-session', revision: 2 });
    expect(m.sessionCount).toBe(0);
    expect(inSession(m, 3, kvCloseSession(), s, 1)).toMatchObject({ code: 'session-expired' });
    expect(inSession(m, 3, kvPut('k', 'v'), s, 2)).toMatchObject({ code: 'session-expired' });
    expect(open(m, 4)).toBe(2);
  });

  it('reports a stale sequence for a command older than the session last applied', () => {
    const m = new KvStateMachine();
    const s = open(m, 1);
    inSession(m, 2, kvPut('k', 'a'), s, 5);
    expect(inSession(m, 3, kvPut('k', 'b'), s, 4)).toMatchObject({ code: 'stale-sequence' });
    expect(inSession(m, 3, kvPut('k', 'c'), s, 7)).toMatchObject({ type: 'put', version: 2 });
  });

  it('refuses open-session under a session, and close or keepalive without one', () => {
    const m = new KvStateMachine();
    const s = open(m, 1);
    expect(inSession(m, 2, kvOpenSession(), s, 1)).toMatchObject({ code: 'invalid' });
    expect(applyBytes(m, 2, encodeCommand(kvCommand(kvCloseSession())))).toMatchObject({
      code: 'invalid',
    });
    expect(applyBytes(m, 2, encodeCommand(kvCommand(kvSessionKeepalive())))).toMatchObject({
      code: 'invalid',
    });
    expect(m.sessionCount).toBe(1);
  });

  it('refuses client-chosen ids when legacySessions is off, and still takes registered ones', () => {
    const m = new KvStateMachine({ legacySessions: false });
    expect(applyBytes(m, 1, encodeCommand(kvCommand(kvPut('k', 'v'), 'c', 1)))).toMatchObject({
      code: 'invalid',
      message: expect.stringMatching(/open-session/) as unknown,
    });
    const s = open(m, 2);
    expect(inSession(m, 3, kvPut('k', 'v'), s, 1)).toMatchObject({ type: 'put' });
  });

  it('records an error outcome too: a retry gets the same answer even once it could succeed', () => {
    const m = new KvStateMachine({ leasesMax: 1 });
    const s = open(m, 1);
    applyBytes(m, 2, encodeCommand(kvCommand(kvLeaseGrant(5000))));
    const grant = encodeCommand(kvSessionCommand(kvLeaseGrant(5000), s, 1));
    expect(applyBytes(m, 3, grant)).toMatchObject({ code: 'limit-exceeded' });
    applyBytes(
      m,
      4,
      encodeCommand(kvCommand({ type: 'lease-revoke', lease: 1 as never, reason: 'client' })),
    );
    expect(m.leaseCount).toBe(0);
    expect(applyBytes(m, 5, grant)).toMatchObject({ code: 'limit-exceeded' });
    expect(m.leaseCount).toBe(0);
  });

  it('never hands out an id twice: across closes, evictions, expiry and snapshot restores', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('open', 'close', 'idle', 'restore'), { maxLength: 60 }),
        (script) => {
          let m = new KvStateMachine({ sessionsMax: 2, sessionExpirySlots: 5 });
          const seen = new Set<number>();
          const live: SessionId[] = [];
          let slot = 0;
          for (const step of script) {
            slot++;
            if (step === 'open') {
              const id = open(m, slot);
              expect(seen.has(id)).toBe(false);
              seen.add(id);
              live.push(id);
            } else if (step === 'close') {
              const id = live.shift();
              if (id !== undefined) inSession(m, slot, kvCloseSession(), id, 1);
              else m.applyNoop(slot);
            } else if (step === 'idle') {
              slot += 4;
              m.applyNoop(slot);
            } else {
              m = KvStateMachine.restore(m.snapshot(), { sessionsMax: 2, sessionExpirySlots: 5 });
            }
          }
        },
      ),
      { seed: 17, numRuns: 200 },
    );
  });
});
