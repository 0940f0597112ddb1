/**
 * Test-only faults of a node, for fault-injection harnesses (`apps/nemesis`); never set them in
 * a deployment.
 *
 * - A skewed clock (`--test-clock-rate R --test-clock-offset-ms N`): the node's monotonic clock,
 *   which drives both its tick timer and its lease, reads `N + R x (real time since the node
 *   started)`. A rate of 1.05 runs 5 % fast; within the configured drift bound the lease stays
 *   safe, beyond it lease reads lose their guarantee (by design). The offset moves the clock's
 *   origin, which nothing may depend on (a restarted node's clock has a new origin).
 * - A partition emulated in the node (`--test-partition-control true`, benchmarks): the node
 *   answers requests on {@link testPartitionSubject} naming the peers it must not hear from or
 *   send to (`{"blocked":[4,5]}`; `[]` heals); peer messages to and from them are dropped. Each
 *   node of a partition is told its own side. Client traffic is not affected.
 * - Sabotage, refused unless `--unsafe-test-faults true` is also given (config.ts):
 *   `--unsafe-ack-before-fsync true` lets the host loop go on as soon as a synced write is
 *   handed to the store: Promise and Accepted replies leave, and the leader counts its own
 *   vote and answers clients, before the write is durable; `--unsafe-lease-no-drift true`
 *   passes `unsafeLease` to the core's lease (no drift margin, no wait after a restart). Both
 *   break safety on purpose, to show that the checks catch a broken node.
 */
import type { Message } from '@flexpaxos/paxos';
import type { NodeConfig } from './config.js';
import type { HostPeers, HostStore } from './host-loop.js';

/** The subject node `id` takes partition requests on (with `--test-partition-control true`). */
export function testPartitionSubject(cluster: string, id: number): string {
  return `flexpaxos.${cluster}.test.partition.${id}`;
}

/** The peers a node does not hear from or send to while a test partition holds. */
export class TestPartition {
  #blocked = new Set<number>();
  /** Peer messages dropped so far (both directions). */
  dropped = 0;

  get blocked(): readonly number[] {
    return [...this.#blocked].sort((a, b) => a - b);
  }

  /** Applies a request body (`{"blocked":[ids]}`); returns the reply body. */
  onRequest(body: string): { ok: boolean; blocked: readonly number[]; error?: string } {
    try {
      const r = JSON.parse(body) as { blocked?: unknown };
      if (!Array.isArray(r.blocked) || !r.blocked.every((x) => Number.isSafeInteger(x))) {
        return { ok: false, blocked: this.blocked, error: 'blocked must be a list of node ids' };
      }
      this.#blocked = new Set(r.blocked as number[]);
      return { ok: true, blocked: this.blocked };
    } catch (err) {
      return { ok: false, blocked: this.blocked, error: `not JSON: ${String(err)}` };
    }
  }

  /** Whether a message from or to `peer` passes. */
  passes(peer: number): boolean {
    if (!this.#blocked.has(peer)) return true;
    this.dropped++;
    return false;
  }

  /** `peers` with messages to blocked peers dropped. */
  wrap(peers: HostPeers): HostPeers {
    return {
      send: (messages: readonly Message[]) => {
        if (this.#blocked.size === 0) {
          peers.send(messages);
          return;
        }
        const kept = messages.filter((m) => this.passes(m.to));
        if (kept.length > 0) peers.send(kept);
      },
    };
  }
}

/** The node's monotonic clock in milliseconds: `performance.now()` unless skewed by config. */
export function nodeClock(
  config: Pick<NodeConfig, 'testClockRate' | 'testClockOffsetMs'>,
): () => number {
  const rate = config.testClockRate;
  const offset = config.testClockOffsetMs;
  if (rate === 1 && offset === 0) return () => performance.now();
  const start = performance.now();
  return () => offset + rate * (performance.now() - start);
}

/**
 * SABOTAGE (`--unsafe-ack-before-fsync`): a store whose synced writes resolve at once, with the
 * held messages, while the real write runs on (a failure of it still fail-stops the node through
 * `fail`). Lazy writes and snapshot installs (the loop reads the installed records right after)
 * pass through unchanged.
 */
export function ackBeforeFsync(store: HostStore, fail: (err: unknown) => void): HostStore {
  return {
    persist(bundle, held, options) {
      const written = store.persist(bundle, held, options);
      if (options?.sync === false || bundle.request?.snapshot !== undefined) return written;
      written.then(undefined, fail);
      return Promise.resolve(held);
    },
    records: () => store.records(),
  };
}
