import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatherConfig, validateConfig } from '../src/config.js';

const base = {
  id: '1',
  cluster: 'c',
  members: '1,2,3',
  nats: 'nats://127.0.0.1:4222',
  'data-dir': '/d',
};

describe('validateConfig', () => {
  it('accepts a minimal config and fills defaults (P majority, L = N - P + 1)', () => {
    const { config, problems } = validateConfig(base);
    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      id: 1,
      members: [1, 2, 3],
      replication: 2,
      election: 2,
      tickMs: 10,
      httpPort: 0,
    });
  });

  it('a joining node gives no members; members, P and L with join are refused by name', () => {
    const { members: _m, ...noMembers } = base;
    const joined = validateConfig({ ...noMembers, join: 'true' });
    expect(joined.problems).toEqual([]);
    expect(joined.config).toMatchObject({ join: true, members: [], replication: 0, election: 0 });
    // A restart takes the configuration from the data directory: no members needed.
    expect(validateConfig(noMembers).problems).toEqual([]);
    const bad = validateConfig({ ...base, join: true, replication: '2' });
    expect(bad.problems.map((p) => p.field)).toEqual(['members', 'replication']);
    expect(validateConfig({ ...noMembers, election: '2' }).problems[0]?.rule).toContain(
      'flexpaxos quorum set',
    );
    expect(validateConfig({ ...base, join: 'maybe' }).problems[0]).toEqual({
      field: 'join',
      rule: 'must be true or false (got "maybe")',
    });
  });

  it('checks the automatic subsetting settings', () => {
    const { problems } = validateConfig({
      ...base,
      'auto-subset': 'false',
      'auto-subset-hold-down-ms': '100',
      'auto-subset-voters-min': '0',
    });
    expect(problems.map((p) => p.field)).toEqual([
      'auto-subset-hold-down-ms',
      'auto-subset-voters-min',
    ]);
    expect(problems[0]?.rule).toContain('at least one election timeout (500 ms');
    expect(validateConfig({ ...base, 'auto-subset': 'false' }).config?.autoSubset).toBe(false);
    // Unset, the hold-down follows a longer election timeout instead of failing it.
    const slow = validateConfig({
      ...base,
      'election-timeout-ticks': '320',
      'lease-duration-ms': '2000',
    });
    expect(slow.problems).toEqual([]);
    expect(slow.config?.autoSubsetHoldDownMs).toBe(3200);
    expect(validateConfig(base).config?.autoSubsetHoldDownMs).toBe(1500);
  });

  it('reports every problem with its field and rule', () => {
    const { config, problems } = validateConfig({
      id: '9',
      members: '1,2,2',
      nats: 'not a url',
      'tick-ms': '0',
      'heartbeat-interval-ticks': '60',
      'log-level': 'loud',
    });
    expect(config).toBeUndefined();
    const fields = problems.map((p) => p.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'cluster',
        'members',
        'nats',
        'data-dir',
        'tick-ms',
        'heartbeat-interval-ticks',
        'log-level',
      ]),
    );
    expect(problems.find((p) => p.field === 'members')?.rule).toContain('must not repeat an id');
  });

  it('names N, L and P when the quorums do not intersect', () => {
    const { problems } = validateConfig({
      ...base,
      members: '1,2,3,4,5',
      replication: '2',
      election: '3',
    });
    expect(problems).toContainEqual({
      field: 'election',
      rule: 'P=2 and L=3 do not intersect for N=5: need L + P > N',
    });
  });

  it('refuses a lease longer than the election timeout', () => {
    const { problems } = validateConfig({ ...base, 'lease-duration-ms': '2000' });
    expect(problems.map((p) => p.field)).toContain('lease-duration-ms');
  });

  it('applies the lease rules: drift under half the lease, lease + drift under the election timeout', () => {
    // Defaults: election timeout 50 ticks x 10 ms = 500 ms.
    expect(
      validateConfig({ ...base, 'lease-duration-ms': '440', 'clock-drift-bound-ms': '50' })
        .problems,
    ).toEqual([]);
    const tight = validateConfig({
      ...base,
      'lease-duration-ms': '450',
      'clock-drift-bound-ms': '50',
    });
    expect(tight.problems).toEqual([
      {
        field: 'lease-duration-ms',
        rule: 'lease-duration-ms + clock-drift-bound-ms must be less than the election timeout (election-timeout-ticks x tick-ms = 500 ms; got 450 + 50)',
      },
    ]);
    const drift = validateConfig({
      ...base,
      'lease-duration-ms': '100',
      'clock-drift-bound-ms': '50',
    });
    expect(drift.problems.map((p) => p.field)).toEqual(['clock-drift-bound-ms']);
  });

  it('reads thrifty as a boolean (default false) and names the rule for anything else', () => {
    expect(validateConfig(base).config?.thrifty).toBe(false);
    expect(validateConfig({ ...base, thrifty: 'true' }).config?.thrifty).toBe(true);
    expect(validateConfig({ ...base, thrifty: false }).config?.thrifty).toBe(false);
    expect(validateConfig({ ...base, thrifty: 'yes' }).problems).toEqual([
      { field: 'thrifty', rule: 'must be true or false (got "yes")' },
    ]);
  });

  it('reads the test-only clock flags: rate 0.1..10, offset an integer >= 0 (defaults 1 and 0)', () => {
    expect(validateConfig(base).config).toMatchObject({ testClockRate: 1, testClockOffsetMs: 0 });
    expect(
      validateConfig({ ...base, 'test-clock-rate': '1.05', 'test-clock-offset-ms': '1000000' })
        .config,
    ).toMatchObject({ testClockRate: 1.05, testClockOffsetMs: 1_000_000 });
    for (const bad of ['0', '11', 'fast', '']) {
      expect(
        validateConfig({ ...base, 'test-clock-rate': bad }).problems.map((p) => p.field),
      ).toEqual(['test-clock-rate']);
    }
    expect(
      validateConfig({ ...base, 'test-clock-offset-ms': '-5' }).problems.map((p) => p.field),
    ).toEqual(['test-clock-offset-ms']);
  });

  it('refuses a sabotage switch unless unsafe-test-faults is true', () => {
    for (const field of ['unsafe-ack-before-fsync', 'unsafe-lease-no-drift'] as const) {
      const refused = validateConfig({ ...base, [field]: 'true' });
      expect(refused.config).toBeUndefined();
      expect(refused.problems).toEqual([
        {
          field,
          rule: 'is a test-only sabotage that breaks safety on purpose: refused unless unsafe-test-faults is true',
        },
      ]);
      const allowed = validateConfig({ ...base, [field]: 'true', 'unsafe-test-faults': 'true' });
      expect(allowed.problems).toEqual([]);
    }
    expect(validateConfig(base).config).toMatchObject({
      unsafeTestFaults: false,
      unsafeAckBeforeFsync: false,
      unsafeLeaseNoDrift: false,
    });
    expect(
      validateConfig({ ...base, 'unsafe-lease-no-drift': 'maybe' }).problems.map((p) => p.field),
    ).toEqual(['unsafe-lease-no-drift']);
  });
});

describe('gatherConfig', () => {
  it('layers file < environment < flags and flags unknown file keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flexpaxos-config-'));
    try {
      const file = join(dir, 'node.json');
      writeFileSync(file, JSON.stringify({ ...base, id: 2, httpPort: 8080, tickMs: 20, nope: 1 }));
      const { raw, problems } = gatherConfig(
        { config: file, 'tick-ms': '15' },
        { FLEXPAXOS_HTTP_PORT: '9090', FLEXPAXOS_ID: '3' },
      );
      expect(problems).toEqual([{ field: 'config.nope', rule: 'is not a known setting' }]);
      const { config } = validateConfig(raw);
      expect(config).toMatchObject({ id: 3, httpPort: 9090, tickMs: 15, cluster: 'c' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports an unreadable config file', () => {
    const { problems } = gatherConfig({ config: '/nonexistent/flexpaxos.json' }, {});
    expect(problems[0]?.field).toBe('config');
  });
});
