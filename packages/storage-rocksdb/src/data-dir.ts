/**
 * The data directory's identity: which cluster and node it belongs to, and which storage
 * format wrote it. Kept in `<dir>/IDENTITY.json` (written once, fsynced, atomically renamed)
 * and mirrored in the database under the meta key, so a directory can be checked before
 * RocksDB even opens it.
 *
 * ```
 * <dir>/IDENTITY.json   {"formatVersion":1,"clusterId":"a","nodeId":2}
 * <dir>/rocksdb/        the RocksDB instance (see key-layout.ts)
 * <dir>/WAL_WATERMARK   the last acknowledged RocksDB sequence (see wal-watermark.ts)
 * ```
 */
import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  classifyIoError,
  DataDirInvalidError,
  DataDirMismatchError,
  DataDirNewerFormatError,
  DataDirOlderFormatError,
} from './errors.js';

/** The storage format this build writes and understands. */
export const FORMAT_VERSION = 2;

/** Name of the identity file inside the data directory. */
export const IDENTITY_FILE = 'IDENTITY.json';

/** Name of the RocksDB directory inside the data directory. */
export const ROCKSDB_DIR = 'rocksdb';

/** The identity recorded in a data directory. */
export interface DataDirIdentity {
  readonly formatVersion: number;
  readonly clusterId: string;
  readonly nodeId: number;
}

function isEnoent(err: unknown): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === 'ENOENT';
}

/** Serializes an identity the way it is stored. */
export function encodeIdentity(identity: DataDirIdentity): string {
  return JSON.stringify({
    formatVersion: identity.formatVersion,
    clusterId: identity.clusterId,
    nodeId: identity.nodeId,
  });
}

/** Parses a stored identity, or returns a description of what is wrong with it. */
export function parseIdentity(text: string): DataDirIdentity | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return `not JSON (${(err as Error).message})`;
  }
  if (typeof parsed !== 'object' || parsed === null) return 'not a JSON object';
  const { formatVersion, clusterId, nodeId } = parsed as Record<string, unknown>;
  if (
    typeof formatVersion !== 'number' ||
    !Number.isSafeInteger(formatVersion) ||
    formatVersion < 1
  ) {
    return 'formatVersion is missing or not a positive integer';
  }
  if (typeof clusterId !== 'string' || clusterId.length === 0)
    return 'clusterId is missing or empty';
  if (typeof nodeId !== 'number' || !Number.isSafeInteger(nodeId) || nodeId < 1) {
    return 'nodeId is missing or not a positive integer';
  }
  return { formatVersion, clusterId, nodeId };
}

/**
 * Checks `found` against what the caller expects; throws `DataDirNewerFormatError` or
 * `DataDirMismatchError` with a message saying which and what to do.
 */
export function checkIdentity(
  dir: string,
  found: DataDirIdentity,
  expected: DataDirIdentity,
): void {
  if (found.formatVersion > FORMAT_VERSION) {
    throw new DataDirNewerFormatError(
      `data directory ${dir} has storage format version ${found.formatVersion}, newer than version ${FORMAT_VERSION} ` +
        `that this build understands: run a flexpaxos release that supports format ${found.formatVersion}, ` +
        `or point --data-dir at another directory`,
    );
  }
  if (found.formatVersion < FORMAT_VERSION) {
    throw new DataDirOlderFormatError(
      `data directory ${dir} has storage format version ${found.formatVersion}, older than version ${FORMAT_VERSION} ` +
        `that this build writes (configurations in the log, new KV records): it cannot be upgraded in place; ` +
        `remove the node from the cluster, start it on an empty directory under a new node id and add it back`,
    );
  }
  if (found.clusterId !== expected.clusterId || found.nodeId !== expected.nodeId) {
    throw new DataDirMismatchError(
      `data directory ${dir} belongs to cluster '${found.clusterId}' node ${found.nodeId}, ` +
        `not cluster '${expected.clusterId}' node ${expected.nodeId}: ` +
        `point --data-dir at this node's own directory or remove it`,
    );
  }
}

function writeFileDurably(dir: string, name: string, contents: string): void {
  const tmp = join(dir, `${name}.tmp`);
  writeFileSync(tmp, contents);
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, name));
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/**
 * Creates `dir` with `expected` as its identity if it is new, or checks the identity it
 * already has. Returns the identity in force.
 */
export async function claimDataDir(
  dir: string,
  expected: DataDirIdentity,
): Promise<DataDirIdentity> {
  let text: string | undefined;
  try {
    await mkdir(dir, { recursive: true });
    text = await readFile(join(dir, IDENTITY_FILE), 'utf8');
  } catch (err) {
    if (!isEnoent(err)) throw classifyIoError(err, `reading ${join(dir, IDENTITY_FILE)}`);
  }
  if (text === undefined) {
    let hasDatabase = false;
    try {
      await stat(join(dir, ROCKSDB_DIR));
      hasDatabase = true;
    } catch (err) {
      if (!isEnoent(err)) throw classifyIoError(err, `checking ${join(dir, ROCKSDB_DIR)}`);
    }
    if (hasDatabase) {
      throw new DataDirInvalidError(
        `data directory ${dir} holds a database but no ${IDENTITY_FILE}: it is damaged or was not made by flexpaxos; ` +
          `restore the file from a backup or remove the directory`,
      );
    }
    try {
      writeFileDurably(dir, IDENTITY_FILE, encodeIdentity(expected));
    } catch (err) {
      throw classifyIoError(err, `writing ${join(dir, IDENTITY_FILE)}`);
    }
    return expected;
  }
  const found = parseIdentity(text);
  if (typeof found === 'string') {
    throw new DataDirInvalidError(
      `data directory ${dir} has an unreadable ${IDENTITY_FILE} (${found}): restore it from a backup or remove the directory`,
    );
  }
  checkIdentity(dir, found, expected);
  return found;
}
