import { describe, expect, it } from 'vitest';
import {
  AcceptorLease,
  LeaderLease,
  LeaseConfigError,
  requiredClockDriftBoundMs,
  validateLeaseConfig,
  type LeaseConfig,
} from '../src/index.js';
import { counting } from './support/test-quorum.js';

const good: LeaseConfig = {
  leaseDurationMs: 1000,
  clockDriftBoundMs: 100,
  electionTimeoutMs: 1500,
};

describe('validateLeaseConfig', () => {
  it('accepts a valid config', () => {
    expect(validateLeaseConfig(good)).toEqual([]);
    expect(validateLeaseConfig({ ...good, clockDriftBoundMs: 0, unsafeLease: false })).toEqual([]);
  });

  it('names field and rule for every non-integer or out-of-range value at once', () => {
    const problems = validateLeaseConfig({
      leaseDurationMs: 0,
      clockDriftBoundMs: -1,
      electionTimeoutMs: 1.5,
    });
    expect(problems.map((p) => [p.field, p.rule])).toEqual([
      ['leaseDurationMs', 'positive-integer'],
      ['clockDriftBoundMs', 'non-negative-integer'],
      ['electionTimeoutMs', 'positive-integer'],
    ]);
    expect(problems[0]!.message).toContain(
      'leaseDurationMs must be a positive safe integer (got 0)',
    );
  });

  it('rejects a drift bound of half the lease or more', () => {
    expect(validateLeaseConfig({ ...good, clockDriftBoundMs: 499 })).toEqual([]);
    const problems = validateLeaseConfig({
      ...good,
      clockDriftBoundMs: 500,
      electionTimeoutMs: 5000,
    });
    expect(problems.map((p) => [p.field, p.rule])).toEqual([
      ['clockDriftBoundMs', 'drift-below-half-lease'],
    ]);
    expect(problems[0]!.message).toContain('less than half of leaseDurationMs');
  });

  it('requires leaseDurationMs + clockDriftBoundMs < electionTimeoutMs', () => {
    expect(validateLeaseConfig({ ...good, electionTimeoutMs: 1101 })).toEqual([]);
    const problems = validateLeaseConfig({ ...good, electionTimeoutMs: 1100 });
    expect(problems.map((p) => [p.field, p.rule])).toEqual([
      ['leaseDurationMs', 'lease-plus-drift-below-election-timeout'],
    ]);
    expect(problems[0]!.message).toBe(
      'leaseDurationMs + clockDriftBoundMs must be less than electionTimeoutMs (1000 + 100 >= 1100)',
    );
    // A lease longer than the election timeout is refused as well.
    expect(
      validateLeaseConfig({ ...good, leaseDurationMs: 2000, electionTimeoutMs: 1500 }),
    ).toHaveLength(1);
  });

  it('rejects a non-boolean unsafeLease', () => {
    const bad = { ...good, unsafeLease: 'yes' } as unknown as LeaseConfig;
    expect(validateLeaseConfig(bad).map((p) => p.rule)).toEqual(['boolean']);
  });
});

describe('LeaseConfigError', () => {
  it('is thrown by both constructors, listing every problem', () => {
    const bad: LeaseConfig = {
      leaseDurationMs: 1000,
      clockDriftBoundMs: 600,
      electionTimeoutMs: 1000,
    };
    const quorum = counting(3, 2, 2);
    for (const make of [
      () => new AcceptorLease(bad, 0),
      () => new LeaderLease(bad, quorum, { round: 1, nodeId: 1 }, 0),
    ]) {
      let caught: unknown;
      try {
        make();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(LeaseConfigError);
      const err = caught as LeaseConfigError;
      expect(err.code).toBe('LEASE_CONFIG_INVALID');
      expect(err.problems.map((p) => p.rule)).toEqual([
        'drift-below-half-lease',
        'lease-plus-drift-below-election-timeout',
      ]);
      expect(err.message).toContain('clockDriftBoundMs must be less than half');
      expect(err.message).toContain('must be less than electionTimeoutMs');
    }
  });
});

describe('requiredClockDriftBoundMs', () => {
  it('is zero for perfect clocks and grows with rate error, steps and jitter', () => {
    expect(
      requiredClockDriftBoundMs({
        leaseDurationMs: 1000,
        rateErrorPpm: 0,
        stepMsMax: 0,
        jitterMsMax: 0,
      }),
    ).toBe(0);
    // 2 * 0.05 / 0.95 * 1000 = 105.26...
    expect(
      requiredClockDriftBoundMs({
        leaseDurationMs: 1000,
        rateErrorPpm: 50_000,
        stepMsMax: 0,
        jitterMsMax: 0,
      }),
    ).toBe(106);
    expect(
      requiredClockDriftBoundMs({
        leaseDurationMs: 1000,
        rateErrorPpm: 0,
        stepMsMax: 7,
        jitterMsMax: 2,
      }),
    ).toBe(15);
  });
});
