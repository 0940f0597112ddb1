import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  KvStateMachine,
  Lessor,
  bytesToUtf8,
  decodeReply,
  encodeCommand,
  kvCommand,
  kvLeaseGrant,
  kvPut,
  leaseId,
  toBytes,
} from '@flexpaxos/kv';
import type { KvCommandOp } from '@flexpaxos/kv';
import { checkLeaseExpiry } from '../src/index.js';
import type { LeaseTimeline, LeasedKeyLoss } from '../src/index.js';

describe('checkLeaseExpiry', () => {
  const t: LeaseTimeline = { lease: 1, ttlMs: 1000, grantedAtMs: 100, keepalivesAtMs: [600, 900] };

  it('accepts a loss once the last renewal plus the TTL has passed', () => {
    expect(checkLeaseExpiry([t], [{ key: 'k', lease: 1, atMs: 1900 }]).ok).toBe(true);
  });

  it('catches an early expiry: before the last keep-alive plus the TTL', () => {
    expect(checkLeaseExpiry([t], [{ key: 'k', lease: 1, atMs: 1500 }]).problems).toEqual([
      { kind: 'early-expiry', key: 'k', lease: 1, atMs: 1500, earliestMs: 1900 },
    ]);
    expect(checkLeaseExpiry([t], [{ key: 'k', lease: 1, atMs: 1500 }], { slackMs: 400 }).ok).toBe(
      true,
    );
  });

  it('accepts any loss after a client revoke', () => {
    expect(
      checkLeaseExpiry(
        [{ ...t, revokedAtMs: 700, keepalivesAtMs: [600] }],
        [{ key: 'k', lease: 1, atMs: 700 }],
      ).ok,
    ).toBe(true);
  });

  it('catches a keep-alive acknowledged after the keys were gone, and a loss of an unknown lease', () => {
    const r = checkLeaseExpiry(
      [{ ...t, keepalivesAtMs: [600, 2500] }],
      [
        { key: 'k', lease: 1, atMs: 1600 },
        { key: 'j', lease: 9, atMs: 5 },
      ],
    );
    expect(r.problems).toEqual([
      { kind: 'unknown-lease', key: 'j', lease: 9, atMs: 5 },
      { kind: 'keepalive-after-loss', lease: 1, keepaliveAtMs: 2500, lostAtMs: 1600 },
    ]);
  });

  /**
   * The real state machine with the real lessor: a client keeps a lease alive at random times,
   * then stops; the host calls `expire` and applies what it returns. `broken` is a host that
   * acknowledges every other keep-alive without passing it to the lessor.
   */
  function scenario(gapsMs: readonly number[], broken: boolean) {
    const kv = new KvStateMachine();
    const lessor = new Lessor();
    let slot = 0;
    let now = 0;
    const apply = (op: KvCommandOp) => {
      const r = kv.apply(++slot, encodeCommand(kvCommand(op)));
      lessor.observe(r.leaseChanges, now, () => kv.leases());
      return r;
    };
    apply(lessor.campaign(toBytes('leader')));
    const grant = decodeReply(apply(kvLeaseGrant(1000)).reply);
    if (!grant.ok || grant.value.type !== 'lease-grant') throw new Error('grant');
    const timeline = {
      lease: grant.value.lease as number,
      ttlMs: 1000,
      grantedAtMs: now,
      keepalivesAtMs: [] as number[],
    };
    apply(kvPut('lock', 'me', leaseId(timeline.lease)));
    apply(kvPut('lock2', 'me', leaseId(timeline.lease)));
    const losses: LeasedKeyLoss[] = [];
    const tick = () => {
      for (const op of lessor.expire(now)) {
        for (const e of apply(op).events)
          losses.push({ key: bytesToUtf8(e.kv.key), lease: timeline.lease, atMs: now });
      }
    };
    for (const gap of gapsMs) {
      now += gap;
      tick();
      if (broken && timeline.keepalivesAtMs.length % 2 === 1 && losses.length === 0) {
        timeline.keepalivesAtMs.push(now); // acknowledged, never renewed
        continue;
      }
      if (lessor.keepalive(leaseId(timeline.lease), now).kind === 'renewed')
        timeline.keepalivesAtMs.push(now);
    }
    for (let i = 0; i < 30; i++) {
      now += 100;
      tick();
    }
    return { timeline, losses };
  }

  it('finds the real lessor correct, and catches a host that drops keep-alives it acknowledged', () => {
    let early = 0;
    let expired = 0;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1200 }), { maxLength: 12 }), (gaps) => {
        const honest = scenario(gaps, false);
        expect(honest.losses.map((l) => l.key)).toEqual(['lock', 'lock2']);
        expired++;
        expect(checkLeaseExpiry([honest.timeline], honest.losses).problems).toEqual([]);
        const broken = scenario(gaps, true);
        if (!checkLeaseExpiry([broken.timeline], broken.losses).ok) early++;
      }),
      { seed: 81, numRuns: 200 },
    );
    expect(expired).toBe(200);
    // Caught whenever a dropped keep-alive would have kept the lease past the loss.
    expect(early).toBeGreaterThan(50);
  });
});
