/**
 * Simulated clients. Each has at most one command outstanding; it proposes to the node it
 * believes leads, follows `leaderHint` on a not-leader answer and, when no acknowledgement
 * arrives within its retry timeout, re-proposes the *same bytes* elsewhere. A command is
 * acknowledged when one of the nodes it was proposed to applies it (the host answers once the
 * command is applied, as the server does; a retry of an applied command is answered from the
 * state machine, like a session table).
 */
import type { SimCluster } from './cluster.js';
import { commandId, encodeCommand } from './commands.js';
import type { Prng, Ratio } from './prng.js';

/** A command in flight. */
interface Outstanding {
  readonly bytes: Uint8Array;
  readonly id: string;
  readonly invokedAt: number;
  readonly triedAt: Set<number>;
  nextTryAt: number;
  deadline: number;
}

/** Client behaviour settings. */
export interface ClientConfig {
  /** Probability per tick that an idle client issues a new command. */
  readonly issue: Ratio;
  /** Ticks to wait for an acknowledgement before retrying. */
  readonly retryTimeoutTicks: number;
  readonly padBytes: number;
}

/** One simulated client. */
export class SimClient {
  readonly id: number;
  private seq = 0;
  outstanding: Outstanding | undefined;
  private leaderGuess: number | undefined;
  completed = 0;
  retries = 0;
  /** Sum of ack latencies in ticks. */
  latencyTicks = 0;

  constructor(id: number) {
    this.id = id;
  }

  /** Starts a new command (must be idle). */
  invoke(now: number, config: ClientConfig): string {
    this.seq++;
    const bytes = encodeCommand(this.id, this.seq, config.padBytes);
    const id = commandId(bytes) as string;
    this.outstanding = { bytes, id, invokedAt: now, triedAt: new Set(), nextTryAt: now, deadline: 0 };
    return id;
  }

  /** Called when node `node` applied command `id`. */
  onApplied(node: number, id: string, now: number, cluster: SimCluster): void {
    const o = this.outstanding;
    if (o === undefined || o.id !== id || !o.triedAt.has(node)) return;
    this.complete(now, cluster, node);
  }

  private complete(now: number, cluster: SimCluster, node: number): void {
    const o = this.outstanding;
    if (o === undefined) return;
    cluster.checker.onAck(o.id);
    this.latencyTicks += now - o.invokedAt;
    this.completed++;
    this.leaderGuess = node;
    this.outstanding = undefined;
  }

  /** Does whatever is due at tick `now`. */
  act(now: number, cluster: SimCluster, random: Prng, config: ClientConfig): void {
    const o = this.outstanding;
    if (o === undefined) return;
    if (now >= o.deadline && o.deadline > 0) {
      // No answer in time: try someone else.
      this.retries++;
      this.leaderGuess = random.pick(cluster.members);
      o.deadline = 0;
      o.nextTryAt = now;
    }
    if (o.deadline > 0 || now < o.nextTryAt) return;
    const target = this.leaderGuess ?? random.pick(cluster.members);
    o.triedAt.add(target);
    if (cluster.node(target).up && cluster.hasApplied(target, o.id)) {
      this.complete(now, cluster, target);
      return;
    }
    const r = cluster.propose(target, o.bytes);
    if (r === undefined) {
      // Node down or paused: the request times out.
      o.deadline = now + config.retryTimeoutTicks;
    } else if (r.kind === 'queued') {
      o.deadline = now + config.retryTimeoutTicks;
    } else {
      this.leaderGuess = r.leaderHint !== undefined && r.leaderHint !== target ? r.leaderHint : random.pick(cluster.members);
      o.nextTryAt = now + 1 + random.nextInt(3);
    }
  }
}
