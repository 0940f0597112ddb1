import { describe, expect, it } from 'vitest';
import type { Message } from '../src/index.js';
import { Cluster } from './harness.js';

const round = (c: Cluster, id: number): number => c.replica(id).status().ballot.round;

/** A leader elected and settled, node 3 then cut off (both directions) for `ticks` ticks. */
function isolate(preVote: boolean, ticks: number): { c: Cluster; leaderRound: number } {
  const c = new Cluster({ n: 3, preVote });
  c.campaign(1);
  c.tick(5);
  expect(c.leaders()).toEqual([1]);
  const leaderRound = round(c, 1);
  c.dropIf = (m: Message) => m.from === 3 || m.to === 3;
  c.tick(ticks);
  return { c, leaderRound };
}

describe('pre-vote', () => {
  it('a node cut off for many election timeouts keeps its ballot and does not depose the leader when it returns', () => {
    const { c, leaderRound } = isolate(true, 300);
    expect(round(c, 3)).toBe(leaderRound);
    const sentBefore = c.sent.length;
    c.dropIf = () => false;
    c.tick(40);
    expect(c.leaders()).toEqual([1]);
    expect(round(c, 1)).toBe(leaderRound);
    expect(c.sent.slice(sentBefore).some((m) => m.type === 'prepare')).toBe(false);
    c.propose(1, 'after');
    c.tick(5);
    expect(c.appliedCommands(3)).toContain('after');
  });

  it('without pre-vote the same node inflates its ballot and forces an election when it returns', () => {
    const { c, leaderRound } = isolate(false, 300);
    expect(round(c, 3)).toBeGreaterThan(leaderRound + 5);
    c.dropIf = () => false;
    c.tick(40);
    expect(c.leaders()).toHaveLength(1);
    expect(round(c, c.leaders()[0] ?? 1)).toBeGreaterThan(leaderRound + 5);
  });

  it('a follower that hears from a live leader refuses; the cut-off node never campaigns', () => {
    const c = new Cluster({ n: 3 });
    c.campaign(1);
    c.tick(5);
    const leaderRound = round(c, 1);
    // Node 3 reaches node 2 only.
    c.dropIf = (m: Message) => (m.from === 1 && m.to === 3) || (m.from === 3 && m.to === 1);
    const sentBefore = c.sent.length;
    c.tick(200);
    const answers = c.sent
      .slice(sentBefore)
      .filter((m): m is Extract<Message, { type: 'pre-promise' }> => m.type === 'pre-promise');
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.every((m) => m.from === 2 && !m.granted)).toBe(true);
    expect(c.sent.slice(sentBefore).some((m) => m.type === 'prepare')).toBe(false);
    expect(c.leaders()).toEqual([1]);
    expect(round(c, 3)).toBe(leaderRound);
  });

  it('after the leader fails, one pre-vote round and one ballot elect a new leader', () => {
    const c = new Cluster({ n: 3 });
    c.campaign(1);
    c.tick(5);
    const leaderRound = round(c, 1);
    c.crash(1);
    c.tick(60);
    const leaders = c.leaders();
    expect(leaders).toHaveLength(1);
    expect([2, 3]).toContain(leaders[0]);
    expect(round(c, leaders[0] ?? 2)).toBe(leaderRound + 1);
    c.propose(leaders[0] ?? 2, 'x');
    c.tick(5);
    expect(c.appliedCommands(2)).toContain('x');
  });

  it('a single-voter cluster elects itself without asking anyone', () => {
    const c = new Cluster({ n: 1 });
    c.tick(30);
    expect(c.leaders()).toEqual([1]);
    expect(c.sent.some((m) => m.type === 'pre-prepare')).toBe(false);
  });
});
