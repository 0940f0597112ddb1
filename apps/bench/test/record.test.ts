import { describe, expect, it } from 'vitest';
import { RECORD_KEYS, buildRecord, formatTable } from '../src/index.js';
import type { RecordContext } from '../src/index.js';
import { fakeRecord, point, report } from './fixtures.js';

const ctx: RecordContext = {
  systemVersion: 'flexpaxos 0.1.0',
  cpu: {
    cpuUsPerWrite: 200,
    cpuUsPerWriteByRole: { nodes: 150, broker: 20, clients: 30 },
    cpuCoresBusy: 1.2,
    processes: [{ name: 'node 1', role: 'nodes', cpuMs: 400 }],
  },
  thrifty: false,
  linkDelaysMs: [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ],
  valueSizeBytes: 100,
  readRatio: 0,
  readMode: 'lease',
  warmupS: 2,
  leader: 2,
  failoverMs: null,
  loadAvg1: 1.234,
  startedAt: '2026-11-29T10:40:00.000Z',
};

describe('buildRecord', () => {
  it('sums counts over processes, merges latencies and has exactly the documented keys', () => {
    const r = buildRecord(
      point(3, 2),
      [
        report(0, { writes: 3000, writeMs: 2, windowMs: 5000, errors: { TIMEOUT: 2 } }),
        report(1, {
          writes: 2000,
          writeMs: 8,
          windowMs: 5000,
          errors: { TIMEOUT: 1, UNAVAILABLE: 4 },
        }),
      ],
      ctx,
    );
    expect(Object.keys(r)).toEqual(RECORD_KEYS);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    expect([r.nodes, r.replication, r.election, r.clients, r.clientProcesses]).toEqual([
      3, 2, 2, 64, 2,
    ]);
    expect(r.opsPerSec).toBe(1000);
    expect(r.writeOpsPerSec).toBe(1000);
    expect(r.p50Ms).toBeCloseTo(2, 1);
    expect(r.p99Ms).toBeCloseTo(8, 1);
    expect(r.errors).toBe(7);
    expect(r.errorsByCode).toEqual({ TIMEOUT: 3, UNAVAILABLE: 4 });
    expect(r.readOpsPerSec).toBeNull();
    expect(r.readP99Ms).toBeNull();
    expect(r.delays).toBe('none');
    expect(r.clientCpuMaxPct).toBe(11);
    expect(r.loadAvg1).toBe(1.23);
    expect(r.leader).toBe(2);
    expect([r.system, r.systemVersion]).toEqual(['flexpaxos', 'flexpaxos 0.1.0']);
    expect(r.cpuUsPerWrite).toBe(200);
    expect(r.cpuUsPerWriteByRole).toEqual({ nodes: 150, broker: 20, clients: 30 });
    expect(r.cpuCoresBusy).toBe(1.2);
    expect(r.cpuProcesses).toEqual([{ name: 'node 1', role: 'nodes', cpuMs: 400 }]);
  });

  it('records no CPU figures when /proc could not be read', () => {
    const r = buildRecord(point(3, 2), [report(0, { writes: 10, writeMs: 1, windowMs: 1000 })], {
      ...ctx,
      cpu: null,
    });
    expect([r.cpuUsPerWrite, r.cpuUsPerWriteByRole, r.cpuCoresBusy]).toEqual([null, null, null]);
    expect(r.cpuProcesses).toEqual([]);
  });

  it('reports reads separately when the run has reads', () => {
    const r = buildRecord(
      point(3, 2),
      [report(0, { writes: 1000, reads: 3000, writeMs: 10, readMs: 1, windowMs: 2000 })],
      {
        ...ctx,
        readRatio: 0.75,
        failoverMs: 812.4,
      },
    );
    expect(r.opsPerSec).toBe(2000);
    expect(r.writeOpsPerSec).toBe(500);
    expect(r.readOpsPerSec).toBe(1500);
    expect(r.readP99Ms).toBeCloseTo(1, 1);
    expect(r.writeP50Ms).toBeCloseTo(10, 1);
    expect(r.failoverMs).toBe(812);
  });

  it('refuses to build a record without reports', () => {
    expect(() => buildRecord(point(3, 2), [], ctx)).toThrow(/no client reports/);
  });
});

describe('formatTable', () => {
  it('shows the leader when links are delayed', () => {
    const t = formatTable([{ ...fakeRecord(3, 2, 1000, 10), delays: '5', leader: 3 }]).split('\n');
    expect(t[0]).toContain('| leader |');
    expect(t[2]).toMatch(/\| 5 +\|.*\| +3 \| +20 \| +150 \| +1\.50 \|$/);
  });

  it('prints one Markdown row per record, failover and read columns only when present', () => {
    const rows = [
      fakeRecord(3, 1, 2500, 20),
      { ...fakeRecord(5, 3, 1800.4, 30.5), failoverMs: 900 },
    ];
    const t = formatTable(rows).split('\n');
    expect(t).toHaveLength(4);
    expect(t[0]).toMatch(
      /^\| N \| P \| L \| clients \| delay \| ops\/s .* failover ms \| client cpu % \| cpu µs\/write \| cores busy \|$/,
    );
    expect(t[0]).not.toContain('reads/s');
    expect(t[3]).toMatch(/\| 5 \| 3 \| 3 \|.*1,800 \|.*30\.50 \|.* 900 \|/);
    expect(t[2]).toMatch(/\| +- \|/);
    expect(t[0]).not.toContain('system');
    expect(t[0]).not.toContain('client procs');
  });

  it('names the system when comparisons ran, and shows client processes when not 1', () => {
    const t = formatTable([
      fakeRecord(3, 2, 5000, 10),
      {
        ...fakeRecord(3, 2, 9000, 8),
        system: 'natskv',
        clientProcesses: 2,
        cpuUsPerWrite: null,
        cpuCoresBusy: null,
      },
      { ...fakeRecord(3, 2, 2000, 30), system: 'etcd', cpuUsPerWrite: 1234.5 },
    ]).split('\n');
    expect(t[0]).toMatch(/^\| system +\| N \| P \| L \| clients \| client procs \| delay \|/);
    expect(t[2]).toMatch(/^\| FlexPaxos \| 3 \|.*\| +150 \| +1\.50 \|$/);
    expect(t[3]).toMatch(/^\| NATS KV +\| 3 \|.*\| +2 \| none .*\| +- \| +- \|$/);
    expect(t[4]).toMatch(/^\| etcd +\|.*\| +1,235 \| +1\.50 \|$/);
  });
});
