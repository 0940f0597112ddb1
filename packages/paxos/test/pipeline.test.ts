/** `ReplicaConfig.pipelineReadies`: several readies outstanding, advanced in order. */
import { describe, expect, it } from 'vitest';
import {
  Replica,
  validateReplicaConfig,
  type Message,
  type NodeId,
  type Ready,
} from '../src/index.js';
import { Cluster, cmd } from './harness.js';

describe('Replica with pipelineReadies', () => {
  it('rejects a non-boolean setting', () => {
    const c = new Cluster({ n: 3 });
    const config = { ...c.config(1 as NodeId), pipelineReadies: 'yes' as unknown as boolean };
    expect(validateReplicaConfig(config)).toEqual([
      { field: 'pipelineReadies', rule: 'must be a boolean when set' },
    ]);
  });

  it('hands out a second ready before the first is advanced and counts its own acceptances in order', () => {
    // Without the option a second ready() asserts.
    const plain = new Cluster({ n: 1 });
    plain.campaign(1);
    plain.replica(1).propose(cmd('a'));
    plain.replica(1).ready();
    expect(() => plain.replica(1).ready()).toThrow(/twice without advance/);

    const solo = new Cluster({ n: 1 });
    const r = new Replica({ ...solo.config(1 as NodeId), pipelineReadies: true });
    r.campaign();
    const rd0 = r.ready(); // the self-promise
    r.advance(rd0);
    expect(r.status().role).toBe('leader');
    const rdNoop = r.ready(); // the election no-op at slot 1
    r.advance(rdNoop);
    r.advance(r.ready()); // applies it
    expect(r.status()).toMatchObject({ committed: 1, applied: 1 });
    r.propose(cmd('x'));
    const rd1 = r.ready();
    r.propose(cmd('y'));
    expect(r.hasReady()).toBe(true);
    const rd2 = r.ready();
    expect(rd1.persist?.entries.map((e) => e.slot)).toEqual([2]);
    expect(rd2.persist?.entries.map((e) => e.slot)).toEqual([3]);
    expect(r.status().committed).toBe(1);
    // Advancing out of order is misuse.
    expect(() => r.advance(rd2)).toThrow(/oldest outstanding/);
    r.advance(rd1);
    expect(r.status().committed).toBe(2); // its own durable acceptance of slot 2 only
    const rd3 = r.ready(); // hands out slot 2 for applying while rd2 is still outstanding
    expect(rd3.committed.map((e) => e.slot)).toEqual([2]);
    r.advance(rd2);
    expect(r.status().committed).toBe(3);
    const rd4 = r.ready();
    expect(rd4.committed.map((e) => e.slot)).toEqual([3]); // slot 2 is not handed out twice
    r.advance(rd3);
    r.advance(rd4);
    expect(r.status()).toMatchObject({ committed: 3, applied: 3 });
    expect(r.hasReady()).toBe(false);
  });

  it('keeps Accepted replies tied to their own ready', () => {
    const c = new Cluster({ n: 3 });
    c.campaign(1);
    const r2 = new Replica({ ...c.config(2 as NodeId), pipelineReadies: true });
    const accept = (slot: number): Message => ({
      type: 'accept',
      from: 1 as NodeId,
      to: 2 as NodeId,
      ballot: c.replica(1).status().ballot,
      entries: [
        {
          slot: slot as never,
          ballot: c.replica(1).status().ballot,
          value: { kind: 'commands', commands: [cmd(`v${slot}`)] },
        },
      ],
      committed: 0 as never,
    });
    r2.step(accept(1));
    const rd1 = r2.ready();
    r2.step(accept(2));
    const rd2 = r2.ready();
    const slotsOf = (rd: Ready) =>
      rd.messagesAfterPersist.flatMap((m) => (m.type === 'accepted' ? m.slots : []));
    expect([slotsOf(rd1), slotsOf(rd2)]).toEqual([[1], [2]]);
    expect(rd1.persist?.entries.map((e) => e.slot)).toEqual([1]);
    expect(rd2.persist?.entries.map((e) => e.slot)).toEqual([2]);
  });
});
