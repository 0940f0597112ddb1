export { openStorage, RocksStore } from './store.js';
export type { PersistBundle, PersistOptions, StoredRecord } from './store.js';
export { validateStorageOptions } from './options.js';
export type { StorageOptions } from './options.js';
export type { StorageStats } from './group-commit.js';
export type { SnapshotDecodeFn, SnapshotStream } from './snapshots.js';
export {
  classifyIoError,
  DataDirInvalidError,
  DataDirMismatchError,
  DataDirNewerFormatError,
  DataDirOlderFormatError,
  DiskFullError,
  SnapshotInvalidError,
  StorageClosedError,
  StorageConfigError,
  StorageCorruptionError,
  StorageError,
  StorageErrorCode,
  StorageIoError,
  StorageLockedError,
  StoragePermissionError,
} from './errors.js';
export type { StorageFatalError } from './errors.js';
export { FORMAT_VERSION, IDENTITY_FILE, ROCKSDB_DIR } from './data-dir.js';
export { WAL_WATERMARK_FILE } from './wal-watermark.js';
export type { DataDirIdentity } from './data-dir.js';
export { KeyPrefix } from './key-layout.js';
export {
  decodeSnapshotStream,
  encodeSnapshotStream,
  isSnapshotStream,
  SnapshotDecoder,
} from './snapshot-stream.js';
export type { SnapshotRecord } from './snapshot-stream.js';
export { toSlot } from './contract-types.js';
export type {
  AcceptedEntry,
  Ballot,
  ConfigProblem,
  HardState,
  PersistRequest,
  RecoveredState,
  Slot,
  Snapshot,
  SnapshotMeta,
  StateSpace,
  StateWrite,
} from './contract-types.js';
