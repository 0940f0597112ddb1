/**
 * The systems a benchmark point can run: FlexPaxos itself, and the comparison systems of
 * `--compare` (NATS JetStream KV, etcd), each driven by the same closed-loop client code
 * through its own adapter (`adapters.ts`).
 */

/** A system a point measures. */
export type BenchSystem = 'flexpaxos' | 'natskv' | 'etcd';

/** A system `--compare` can add. */
export type CompareSystem = Exclude<BenchSystem, 'flexpaxos'>;

/** Every name `--compare` accepts, in the order their points run. */
export const COMPARE_SYSTEMS: readonly CompareSystem[] = ['natskv', 'etcd'];

/** Most servers a NATS JetStream stream (hence a KV bucket) can be replicated on. */
export const NATS_KV_MAX_REPLICAS = 5;

/** A short human name of a system (table, chart, progress). */
export function systemName(system: BenchSystem): string {
  switch (system) {
    case 'flexpaxos':
      return 'FlexPaxos';
    case 'natskv':
      return 'NATS KV';
    case 'etcd':
      return 'etcd';
    default: {
      const never: never = system;
      throw new Error(`unknown system ${String(never)}`);
    }
  }
}

/** Whether `name` is a `--compare` system. */
export function isCompareSystem(name: string): name is CompareSystem {
  return (COMPARE_SYSTEMS as readonly string[]).includes(name);
}

/** A Raft majority of `n` servers: the quorum NATS JetStream and etcd use for both phases. */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}
