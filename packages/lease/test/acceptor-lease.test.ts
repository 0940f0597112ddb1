import { describe, expect, it } from 'vitest';
import { AcceptorLease, LeaseAssertionError, type LeaseConfig } from '../src/index.js';

const config: LeaseConfig = {
  leaseDurationMs: 1000,
  clockDriftBoundMs: 100,
  electionTimeoutMs: 1500,
};
const b1 = { round: 1, nodeId: 1 };
const b2 = { round: 2, nodeId: 2 };
const b3 = { round: 3, nodeId: 3 };

/** An acceptor started at 0 and past its start-up wait at 1000. */
function settled(): AcceptorLease {
  const a = new AcceptorLease(config, 0);
  expect(a.mayPromise(b1, 1000)).toEqual({ ok: true });
  return a;
}

describe('AcceptorLease', () => {
  it('refuses every promise for one full lease duration after a (re)start', () => {
    const a = new AcceptorLease(config, 5000);
    expect(a.restartWaitUntilMs).toBe(6000);
    expect(a.mayPromise(b2, 5000)).toEqual({
      ok: false,
      reason: 'restart-wait',
      untilMs: 6000,
      heldBy: undefined,
    });
    expect(a.mayPromise(b2, 5999.9)).toMatchObject({ ok: false, reason: 'restart-wait' });
    expect(a.mayPromise(b2, 6000)).toEqual({ ok: true });
  });

  it('promises at once after a restart when unsafeLease is set', () => {
    const a = new AcceptorLease({ ...config, unsafeLease: true }, 5000);
    expect(a.mayPromise(b2, 5000)).toEqual({ ok: true });
  });

  it('refuses Prepare from other ballots while a grant runs on its own clock', () => {
    const a = settled();
    a.onAcknowledged(b1, 1200);
    expect(a.mayPromise(b2, 1300)).toEqual({
      ok: false,
      reason: 'lease-granted',
      untilMs: 2200,
      heldBy: b1,
    });
    expect(a.mayPromise(b2, 2199)).toMatchObject({ ok: false, reason: 'lease-granted' });
    expect(a.mayPromise(b2, 2200)).toEqual({ ok: true });
  });

  it('lets the granted ballot itself prepare again', () => {
    const a = settled();
    a.onAcknowledged(b1, 1200);
    expect(a.mayPromise(b1, 1300)).toEqual({ ok: true });
  });

  it('is renewed by every acknowledgement and never shortened by an older one', () => {
    const a = settled();
    a.onAcknowledged(b1, 1200);
    a.onAcknowledged(b1, 1700);
    expect(a.mayPromise(b2, 2500)).toMatchObject({ ok: false, untilMs: 2700 });
    expect(a.runningGrants(2500)).toEqual([{ ballot: b1, untilMs: 2700 }]);
    expect(a.mayPromise(b2, 2700)).toEqual({ ok: true });
    expect(a.runningGrants(2700)).toEqual([]);
  });

  it('keeps an older grant when it acknowledges a newer ballot, refusing everyone until both end', () => {
    const a = settled();
    a.onAcknowledged(b1, 1200); // until 2200
    a.onAcknowledged(b2, 1500); // until 2500
    expect(a.mayPromise(b2, 1600)).toEqual({
      ok: false,
      reason: 'lease-granted',
      untilMs: 2200,
      heldBy: b1,
    });
    expect(a.mayPromise(b3, 1600)).toEqual({
      ok: false,
      reason: 'lease-granted',
      untilMs: 2500,
      heldBy: b2,
    });
    expect(a.mayPromise(b2, 2200)).toEqual({ ok: true });
  });

  it('reports the later of restart wait and grant', () => {
    const a = new AcceptorLease(config, 0);
    a.onAcknowledged(b1, 500); // until 1500, after the restart wait (1000)
    expect(a.mayPromise(b2, 600)).toEqual({
      ok: false,
      reason: 'lease-granted',
      untilMs: 1500,
      heldBy: b1,
    });
    // The granted ballot is still held back by the restart wait.
    expect(a.mayPromise(b1, 600)).toEqual({
      ok: false,
      reason: 'restart-wait',
      untilMs: 1000,
      heldBy: undefined,
    });
  });

  it('drops a released grant (leadership transfer)', () => {
    const a = settled();
    a.onAcknowledged(b1, 1200);
    a.release(b1, 1300);
    expect(a.mayPromise(b2, 1300)).toEqual({ ok: true });
  });

  it('asserts that its clock readings never go backwards', () => {
    const a = settled();
    expect(() => a.onAcknowledged(b1, 999)).toThrow(LeaseAssertionError);
    expect(() => a.mayPromise(b1, Number.NaN)).toThrow(/not a finite number/);
  });

  it('describes its state', () => {
    const a = settled();
    a.onAcknowledged(b1, 1200);
    expect(a.describe(1300)).toBe(
      'AcceptorLease(restartWaitUntil=1000, grants=[(1.1) until 2200])',
    );
  });
});
