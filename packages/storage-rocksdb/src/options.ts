/**
 * The options of `openStorage` and their validation. Problems have the shape of every config
 * problem in FlexPaxos (`ConfigProblem` of `@flexpaxos/paxos`: the field and the rule), and
 * `openStorage` throws one `StorageConfigError` listing all of them.
 */
import type { ConfigProblem } from './contract-types.js';
import type { SnapshotDecodeFn } from './snapshots.js';

/** Options of `openStorage`. */
export interface StorageOptions {
  /** The node's data directory (created if missing). */
  readonly dir: string;
  /** The cluster this node belongs to; recorded in the directory on first open. */
  readonly clusterId: string;
  /** This node's id; recorded in the directory on first open. */
  readonly nodeId: number;
  /**
   * Decodes a `Snapshot.data` that is not this package's snapshot stream (for example the KV
   * state machine's own snapshot bytes) into its index and records, so `persist` can install
   * it. Without it, `persist` accepts only snapshot streams from `createSnapshot`.
   */
  readonly decodeSnapshot?: SnapshotDecodeFn;
}

/** Collects every problem with `options`, each naming the field and the rule. */
export function validateStorageOptions(options: StorageOptions): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (field: string, rule: string): void => {
    problems.push({ field, rule });
  };
  if (typeof options.dir !== 'string' || options.dir.length === 0)
    add('dir', 'must be a non-empty path');
  if (typeof options.clusterId !== 'string' || options.clusterId.length === 0)
    add('clusterId', 'must be a non-empty string');
  if (!Number.isSafeInteger(options.nodeId) || options.nodeId < 1)
    add('nodeId', `must be a positive safe integer, got ${String(options.nodeId)}`);
  return problems;
}
