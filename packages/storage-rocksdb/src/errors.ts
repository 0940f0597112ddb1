/**
 * Typed errors of the RocksDB storage adapter: one class per condition, each with a stable
 * `code`, a `name`, and the underlying error as `cause`.
 *
 * I/O errors (`DiskFullError`, `StoragePermissionError`, `StorageCorruptionError`,
 * `StorageIoError`) are fatal for the store: after the first one it is fail-stopped and every
 * later write rejects with that same error (see `RocksStore.failure`).
 */
import type { ConfigProblem } from './contract-types.js';

/** Stable codes of every storage error. */
export const StorageErrorCode = {
  diskFull: 'STORAGE_DISK_FULL',
  permission: 'STORAGE_PERMISSION_DENIED',
  corruption: 'STORAGE_CORRUPTION',
  io: 'STORAGE_IO',
  locked: 'STORAGE_LOCKED',
  closed: 'STORAGE_CLOSED',
  config: 'STORAGE_CONFIG',
  dataDirMismatch: 'DATA_DIR_MISMATCH',
  dataDirNewerFormat: 'DATA_DIR_NEWER_FORMAT',
  dataDirOlderFormat: 'DATA_DIR_OLDER_FORMAT',
  dataDirInvalid: 'DATA_DIR_INVALID',
  snapshotInvalid: 'SNAPSHOT_INVALID',
} as const;

/** One of the stable codes in `StorageErrorCode`. */
export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

/** Base class of every error this package throws on purpose. */
export abstract class StorageError extends Error {
  /** The stable machine-readable code. */
  abstract readonly code: StorageErrorCode;
}

/** The disk (or the file-size limit) is full: no more writes can be made durable. */
export class DiskFullError extends StorageError {
  override readonly name = 'DiskFullError';
  readonly code = StorageErrorCode.diskFull;
}

/** The process may not read or write the data directory. */
export class StoragePermissionError extends StorageError {
  override readonly name = 'StoragePermissionError';
  readonly code = StorageErrorCode.permission;
}

/** RocksDB found corrupted data (checksum mismatch, corrupted WAL record in the middle, ...). */
export class StorageCorruptionError extends StorageError {
  override readonly name = 'StorageCorruptionError';
  readonly code = StorageErrorCode.corruption;
}

/** Any other I/O failure reported by RocksDB or the file system. */
export class StorageIoError extends StorageError {
  override readonly name = 'StorageIoError';
  readonly code = StorageErrorCode.io;
}

/** Another process (or another open store) holds the data directory's lock. */
export class StorageLockedError extends StorageError {
  override readonly name = 'StorageLockedError';
  readonly code = StorageErrorCode.locked;
}

/** The store was closed; nothing more can be read or written. */
export class StorageClosedError extends StorageError {
  override readonly name = 'StorageClosedError';
  readonly code = StorageErrorCode.closed;
}

/**
 * `openStorage` options are invalid; `problems` lists every one (field and rule, the shape of
 * `@flexpaxos/paxos`'s `ConfigProblem`) and the message names them all.
 */
export class StorageConfigError extends StorageError {
  override readonly name = 'StorageConfigError';
  readonly code = StorageErrorCode.config;
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(`invalid storage options: ${problems.map((p) => `${p.field}: ${p.rule}`).join('; ')}`);
    this.problems = problems;
  }
}

/** The data directory belongs to another cluster or another node. */
export class DataDirMismatchError extends StorageError {
  override readonly name = 'DataDirMismatchError';
  readonly code = StorageErrorCode.dataDirMismatch;
}

/** The data directory was written by a newer storage format than this build understands. */
export class DataDirNewerFormatError extends StorageError {
  override readonly name = 'DataDirNewerFormatError';
  readonly code = StorageErrorCode.dataDirNewerFormat;
}

/** The data directory was written by an older storage format that this build cannot read. */
export class DataDirOlderFormatError extends StorageError {
  override readonly name = 'DataDirOlderFormatError';
  readonly code = StorageErrorCode.dataDirOlderFormat;
}

/** The data directory exists but its identity record is missing or unreadable. */
export class DataDirInvalidError extends StorageError {
  override readonly name = 'DataDirInvalidError';
  readonly code = StorageErrorCode.dataDirInvalid;
}

/** A snapshot stream is malformed or does not match its metadata. */
export class SnapshotInvalidError extends StorageError {
  override readonly name = 'SnapshotInvalidError';
  readonly code = StorageErrorCode.snapshotInvalid;
}

/** The fatal I/O error classes, one of which fail-stops a store. */
export type StorageFatalError =
  DiskFullError | StoragePermissionError | StorageCorruptionError | StorageIoError;

/** True for the I/O error classes that fail-stop a store (see {@link StorageFatalError}). */
export function isFatalStorageError(err: unknown): err is StorageFatalError {
  return (
    err instanceof DiskFullError ||
    err instanceof StoragePermissionError ||
    err instanceof StorageCorruptionError ||
    err instanceof StorageIoError
  );
}

function describe(err: unknown): { code: string; message: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : '', message: err.message };
  }
  return { code: '', message: String(err) };
}

/**
 * Maps an error thrown by RocksDB or `node:fs` to the matching fatal storage error class.
 * `action` says what was being done ("synced write of 12 bundles"), for the message.
 */
export function classifyIoError(
  err: unknown,
  action: string,
): StorageFatalError | StorageLockedError {
  if (err instanceof StorageError) {
    return err as StorageFatalError;
  }
  const { code, message } = describe(err);
  const text = `${action} failed: ${message}`;
  const options = { cause: err };
  if (
    code === 'ENOSPC' ||
    code === 'EDQUOT' ||
    code === 'EFBIG' ||
    /no space left|file too large|quota/i.test(message)
  ) {
    return new DiskFullError(
      `${text} (disk or file-size limit full: free space, then restart the node)`,
      options,
    );
  }
  if (
    code === 'EACCES' ||
    code === 'EPERM' ||
    code === 'EROFS' ||
    /permission denied|read-only file system/i.test(message)
  ) {
    return new StoragePermissionError(
      `${text} (fix the data directory's permissions, then restart the node)`,
      options,
    );
  }
  if (code === 'LEVEL_CORRUPTION' || /corruption/i.test(message)) {
    return new StorageCorruptionError(
      `${text} (data is corrupted: restore this node from a peer's snapshot)`,
      options,
    );
  }
  if (
    code === 'LEVEL_LOCKED' ||
    /lock hold by current process|while lock file|no locks available/i.test(message)
  ) {
    return new StorageLockedError(
      `${text} (another flexpaxos process, or another open store in this one, is using this data directory: stop it first)`,
      options,
    );
  }
  return new StorageIoError(text, options);
}
