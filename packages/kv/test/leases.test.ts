import { describe, expect, it } from 'vitest';
import {
  KvStateMachine,
  LEASE_TTL_MS_MAX,
  LEASE_TTL_MS_MIN,
  bytesToUtf8,
  encodeCommand,
  kvCas,
  kvCommand,
  kvDelete,
  kvGet,
  kvLeaseExpire,
  kvLeaseGrant,
  kvLeaseKeepalive,
  kvLeaseList,
  kvLeaseRevoke,
  kvLeaseTtl,
  kvLessorEpoch,
  kvPut,
  kvRange,
  kvTxn,
  leaseId,
} from '../src/index.js';
import type { KvEvent, LeaseId } from '../src/index.js';
import { run } from './helpers.js';

function grant(m: KvStateMachine, slot: number, ttlMs = 5000): LeaseId {
  const r = run(m, slot, kvLeaseGrant(ttlMs));
  if (r.type !== 'lease-grant') throw new Error(`lease-grant gave ${JSON.stringify(r)}`);
  return r.lease;
}

const keysOf = (m: KvStateMachine, lease: LeaseId): string[] => {
  const r = m.read(kvLeaseTtl(lease, true));
  return r.type === 'lease-ttl' ? r.keys.map(bytesToUtf8) : [];
};

const describeEvent = (e: KvEvent): string =>
  `${e.type} ${bytesToUtf8(e.kv.key)}@${e.kv.revision}${e.prev === undefined ? '' : ` prev v${e.prev.version}`}`;

describe('KvStateMachine leases', () => {
  it('grants leases with ids assigned in log order and answers lease-ttl and lease-list', () => {
    const m = new KvStateMachine();
    expect(run(m, 4, kvLeaseGrant(3000))).toEqual({
      type: 'lease-grant',
      lease: 1,
      ttlMs: 3000,
      revision: 4,
    });
    expect(grant(m, 4, 9000)).toBe(2);
    expect(m.leaseCount).toBe(2);
    expect(m.read(kvLeaseTtl(leaseId(1)))).toEqual({
      type: 'lease-ttl',
      lease: 1,
      ttlMs: 3000,
      grantedRevision: 4,
      remainingMs: undefined,
      keys: [],
    });
    expect(m.read(kvLeaseList())).toEqual({
      type: 'lease-list',
      leases: [
        { lease: 1, ttlMs: 3000 },
        { lease: 2, ttlMs: 9000 },
      ],
    });
    expect(m.leases()).toEqual([
      { lease: 1, ttlMs: 3000, grantedRevision: 4, keys: 0 },
      { lease: 2, ttlMs: 9000, grantedRevision: 4, keys: 0 },
    ]);
  });

  it('refuses a TTL outside LEASE_TTL_MS_MIN..LEASE_TTL_MS_MAX and more than leasesMax leases', () => {
    const m = new KvStateMachine({ leasesMax: 2 });
    expect(run(m, 1, kvLeaseGrant(LEASE_TTL_MS_MIN - 1))).toMatchObject({
      code: 'invalid',
      message: expect.stringMatching(/LEASE_TTL_MS_MIN/) as unknown,
    });
    expect(run(m, 1, kvLeaseGrant(LEASE_TTL_MS_MAX + 1))).toMatchObject({ code: 'invalid' });
    grant(m, 2, LEASE_TTL_MS_MIN);
    grant(m, 3, LEASE_TTL_MS_MAX);
    expect(run(m, 4, kvLeaseGrant(5000))).toMatchObject({
      code: 'limit-exceeded',
      message: expect.stringMatching(/leasesMax/) as unknown,
    });
    expect(m.leaseCount).toBe(2);
  });

  it('attaches keys on a put with a lease; a put without one, a cas or a delete detach', () => {
    const m = new KvStateMachine();
    const a = grant(m, 1);
    const b = grant(m, 1);
    run(m, 2, kvPut('k1', 'v', a));
    run(m, 2, kvPut('k2', 'v', a));
    run(m, 2, kvPut('k3', 'v', a));
    run(m, 2, kvPut('k4', 'v', a));
    expect(m.read(kvGet('k1'))).toMatchObject({ kv: { lease: a } });
    run(m, 3, kvPut('k1', 'w')); // detached
    run(m, 3, kvPut('k2', 'w', b)); // moved
    run(m, 3, kvCas('k3', 1, 'w')); // detached
    run(m, 3, kvDelete('k4'));
    expect(keysOf(m, a)).toEqual([]);
    expect(keysOf(m, b)).toEqual(['k2']);
    expect(m.read(kvGet('k1'))).toMatchObject({ kv: { lease: 0 } });
    expect(run(m, 4, kvPut('k5', 'v', leaseId(9)))).toMatchObject({ code: 'lease-not-found' });
    expect(m.read(kvGet('k5'))).toEqual({ type: 'get', kv: undefined });
  });

  it('limits keys per lease', () => {
    const m = new KvStateMachine({ keysPerLeaseMax: 1 });
    const l = grant(m, 1);
    run(m, 2, kvPut('a', 'v', l));
    expect(run(m, 3, kvPut('a', 'again', l))).toMatchObject({ type: 'put', version: 2 });
    expect(run(m, 3, kvPut('b', 'v', l))).toMatchObject({
      code: 'limit-exceeded',
      message: expect.stringMatching(/keysPerLeaseMax/) as unknown,
    });
  });

  it('revokes a lease, deleting exactly the keys still attached, with delete events in key order', () => {
    const m = new KvStateMachine();
    const l = grant(m, 1);
    run(m, 2, kvPut('z', 'v', l));
    run(m, 2, kvPut('a', 'v', l));
    run(m, 2, kvPut('m', 'v', l));
    run(m, 2, kvPut('kept', 'v', l));
    run(m, 3, kvPut('kept', 'v2')); // detached
    const res = m.apply(5, encodeCommand(kvCommand(kvLeaseRevoke(l))));
    expect(run(m, 6, kvGet('x'))).toEqual({ type: 'get', kv: undefined });
    expect(res.events.map(describeEvent)).toEqual([
      'delete a@5 prev v1',
      'delete m@5 prev v1',
      'delete z@5 prev v1',
    ]);
    expect(res.leaseChanges).toEqual([{ kind: 'revoked', lease: l }]);
    expect(m.read(kvRange('', 10))).toMatchObject({ kvs: [{ version: 2 }] });
    expect(m.read(kvLeaseTtl(l))).toMatchObject({ code: 'lease-not-found' });
    expect(run(m, 7, kvLeaseRevoke(l))).toMatchObject({ code: 'lease-not-found' });
    expect(grant(m, 8)).toBe(2); // never reused
  });

  it('reports the revocation result: revoked, keys deleted and revision', () => {
    const m = new KvStateMachine();
    const l = grant(m, 1);
    run(m, 2, kvPut('a', 'v', l));
    expect(run(m, 3, kvLeaseRevoke(l))).toEqual({
      type: 'lease-revoke',
      revoked: true,
      deleted: 1,
      revision: 3,
    });
  });

  it('applies an expiry revocation only under the current lessor epoch', () => {
    const m = new KvStateMachine();
    const l = grant(m, 1);
    run(m, 2, kvPut('a', 'v', l));
    expect(run(m, 3, kvLessorEpoch('node-1/ballot-1'))).toEqual({
      type: 'lessor-epoch',
      epoch: 1,
      revision: 3,
    });
    expect(run(m, 4, kvLessorEpoch('node-2/ballot-2'))).toMatchObject({ epoch: 2 });
    expect(bytesToUtf8(m.lessorEpoch.holder)).toBe('node-2/ballot-2');
    const stale = run(m, 5, kvLeaseExpire(l, 1));
    expect(stale).toEqual({ type: 'lease-revoke', revoked: false, deleted: 0, revision: 0 });
    expect(m.read(kvGet('a'))).toMatchObject({ kv: { lease: l } });
    expect(run(m, 6, kvLeaseExpire(l, 2))).toMatchObject({ revoked: true, deleted: 1 });
    expect(m.size).toBe(0);
    // A late duplicate of the expiry changes nothing and is not an error.
    expect(run(m, 7, kvLeaseExpire(l, 2))).toMatchObject({ revoked: false });
  });

  it('refuses a keep-alive that reaches the log: the leader answers those', () => {
    const m = new KvStateMachine();
    const l = grant(m, 1);
    expect(run(m, 2, kvLeaseKeepalive(l))).toMatchObject({
      code: 'invalid',
      message: expect.stringMatching(/lessor/) as unknown,
    });
  });

  it('lists a lease’s keys in byte order', () => {
    const m = new KvStateMachine();
    const l = grant(m, 1);
    run(m, 2, kvTxn([], [kvPut('b', '1', l), kvPut('a', '1', l), kvPut('c', '1')]));
    expect(keysOf(m, l)).toEqual(['a', 'b']);
    expect(m.leases()).toEqual([{ lease: l, ttlMs: 5000, grantedRevision: 1, keys: 2 }]);
  });
});

describe('KvStateMachine change events', () => {
  it('reports puts with create revision, lease and the previous entry, and deletes', () => {
    const m = new KvStateMachine();
    const first = m.apply(2, encodeCommand(kvCommand(kvPut('k', 'a'))));
    expect(first.events).toHaveLength(1);
    expect(first.events[0]).toMatchObject({
      type: 'put',
      kv: { version: 1, revision: 2, createRevision: 2, lease: 0 },
      prev: undefined,
    });
    const second = m.apply(4, encodeCommand(kvCommand(kvPut('k', 'b'))));
    expect(second.events[0]).toMatchObject({
      kv: { version: 2, revision: 4, createRevision: 2 },
      prev: { version: 1, revision: 2 },
    });
    const del = m.apply(5, encodeCommand(kvCommand(kvDelete('k'))));
    expect(del.events).toEqual([
      {
        type: 'delete',
        kv: {
          key: new TextEncoder().encode('k'),
          value: new Uint8Array(0),
          version: 0,
          revision: 5,
          createRevision: 0,
          lease: 0,
        },
        prev: expect.objectContaining({ version: 2, revision: 4, createRevision: 2 }) as unknown,
      },
    ]);
    const again = m.apply(6, encodeCommand(kvCommand(kvPut('k', 'c'))));
    expect(again.events[0]).toMatchObject({ kv: { version: 1, createRevision: 6 } });
  });

  it('reports nothing for reads, absent deletes, failed cas, refused commands and retries', () => {
    const m = new KvStateMachine();
    const put = encodeCommand(kvCommand(kvPut('k', 'a'), 'c', 1));
    expect(m.apply(1, put).events).toHaveLength(1);
    for (const cmd of [
      put,
      encodeCommand(kvCommand(kvGet('k'))),
      encodeCommand(kvCommand(kvDelete('absent'))),
      encodeCommand(kvCommand(kvCas('k', 9, 'x'))),
      encodeCommand(kvCommand(kvPut('', 'x'))),
      encodeCommand(kvCommand(kvPut('k', 'x', leaseId(3)))),
      Uint8Array.of(9, 9),
    ])
      expect(m.apply(2, cmd).events).toEqual([]);
  });

  it('reports a slot’s events in order: one watch batch per revision', () => {
    const m = new KvStateMachine();
    const cmds = [
      encodeCommand(kvCommand(kvPut('b', '1'))),
      encodeCommand(kvCommand(kvTxn([], [kvPut('a', '1'), kvPut('a', '2'), kvDelete('b')]))),
      encodeCommand(kvCommand(kvPut('c', '1'))),
    ];
    const r = m.applySlot(3, { kind: 'commands', commands: cmds });
    expect(r.events.map(describeEvent)).toEqual([
      'put b@3',
      'put a@3',
      'put a@3 prev v1',
      'delete b@3 prev v1',
      'put c@3',
    ]);
  });

  it('keeps no view of the command bytes in events', () => {
    const m = new KvStateMachine();
    const cmd = encodeCommand(kvCommand(kvPut('key', 'value')));
    const [e] = m.apply(1, cmd).events;
    cmd.fill(0);
    expect(e !== undefined && bytesToUtf8(e.kv.key)).toBe('key');
    expect(e !== undefined && bytesToUtf8(e.kv.value)).toBe('value');
  });
});
