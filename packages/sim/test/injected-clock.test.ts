import { afterEach, describe, expect, it, vi } from 'vitest';
import { paxosReplicaFactory } from '../src/paxos-factory.js';
import { runSeed } from '../src/simulation.js';

describe('runSeed (injected clock)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('reads no real clock: without `now` the check has no budget and takes 0 ms', () => {
    const perf = vi.spyOn(performance, 'now');
    const date = vi.spyOn(Date, 'now');
    const r = runSeed({ seed: 16, factory: paxosReplicaFactory });
    expect(r.linearizability).toBe('linearizable');
    expect(r.checkMs).toBe(0);
    expect(perf).not.toHaveBeenCalled();
    expect(date).not.toHaveBeenCalled();
  });

  it('times the check and enforces the budget with the clock it is given', () => {
    let t = 0;
    const now = vi.fn(() => (t += 1000));
    const r = runSeed({ seed: 16, factory: paxosReplicaFactory, checkBudgetMs: 1, now });
    expect(now).toHaveBeenCalled();
    expect(r.linearizability).toBe('unknown');
    expect(r.checkMs).toBeGreaterThan(0);
  });

  it('refuses a budget without a clock', () => {
    expect(() => runSeed({ seed: 1, factory: paxosReplicaFactory, checkBudgetMs: 1000 })).toThrow(
      /checkBudgetMs needs an injected clock/,
    );
  });
});
