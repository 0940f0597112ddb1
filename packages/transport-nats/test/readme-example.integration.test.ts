// The README example, run as it stands: it starts its own nats-server (a real one, on a free
// loopback port), sends one message from node 1 to node 2, and stops everything.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';

const example = readFileSync(new URL('../examples/quick-start.ts', import.meta.url), 'utf8');
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README example', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('is examples/quick-start.ts verbatim', () => {
    expect(readme).toContain('```ts\n' + example + '```');
  });

  it('delivers the heartbeat and prints what its comments say', async () => {
    const calls: unknown[][] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      calls.push(args);
    });
    await import('../examples/quick-start.js');
    expect(calls).toHaveLength(3);
    expect(calls[0]).toEqual([
      'node 2 received',
      [{ type: 'heartbeat', from: 1, to: 2, ballot: { round: 1, nodeId: 1 }, committed: 0 }],
    ]);
    expect(calls[1]).toEqual(['subject of node 2:', 'flexpaxos.demo.peer.2']);
    expect(calls[2]?.[0]).toBe('node 1 metrics:');
    expect(calls[2]?.[1]).toMatchObject({ messagesOut: 1, batchesOut: 1, decodeErrors: 0 });
    expect((calls[2]?.[1] as { bytesOut: number }).bytesOut).toBeGreaterThan(0);
  });
});
