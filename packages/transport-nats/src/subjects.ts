/**
 * NATS subjects used for peer messaging. Every subject is namespaced by the cluster name so
 * several FlexPaxos clusters can share one NATS deployment without seeing each other's
 * traffic: node 3 of cluster `prod` listens on `flexpaxos.prod.peer.3`.
 */

/** The prefix of every FlexPaxos subject. */
export const SUBJECT_ROOT = 'flexpaxos';

/** The longest cluster name accepted (keeps subjects short and readable). */
export const CLUSTER_NAME_LENGTH_MAX = 64;

const CLUSTER_NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

/**
 * Why `name` is not a usable cluster name, or `undefined` when it is. A cluster name becomes
 * one NATS subject token, so it may not contain `.` (token separator), `*` / `>` (wildcards),
 * whitespace or anything else outside `[A-Za-z0-9_-]`, and it may not be empty.
 */
export function clusterNameProblem(name: string): string | undefined {
  if (name.length === 0) {
    return 'must not be empty';
  }
  if (name.length > CLUSTER_NAME_LENGTH_MAX) {
    return `must be at most ${CLUSTER_NAME_LENGTH_MAX} characters`;
  }
  if (!CLUSTER_NAME_PATTERN.test(name)) {
    return 'may contain only letters, digits, "_" and "-" (it is one NATS subject token)';
  }
  return undefined;
}

/** Whether `name` is a valid cluster name (see {@link clusterNameProblem}). */
export function isValidClusterName(name: string): boolean {
  return clusterNameProblem(name) === undefined;
}

/**
 * The subject node `nodeId` of cluster `clusterName` receives peer messages on:
 * `flexpaxos.<cluster>.peer.<nodeId>`. Callers validate both parts first.
 */
export function peerSubject(clusterName: string, nodeId: number): string {
  return `${SUBJECT_ROOT}.${clusterName}.peer.${nodeId}`;
}
