/** How the client hands out a key with its value and metadata. */
import { bytesToUtf8 } from '@flexpaxos/kv';
import type { KeyValue } from '@flexpaxos/kv';

/** A key with its value (UTF-8 decoded and raw) and metadata. */
export interface Entry {
  readonly key: string;
  /** The value decoded as UTF-8 (invalid sequences replaced). */
  readonly value: string;
  readonly valueBytes: Uint8Array;
  /** Writes since the key was created (>= 1). */
  readonly version: number;
  /** The log slot of the key's last change (etcd's mod revision). */
  readonly revision: number;
  /** The log slot of the put that created the key. */
  readonly createRevision: number;
  /** The key lease the key is attached to; 0 for none. */
  readonly lease: number;
}

/** A state-machine entry as the client returns it. */
export function toEntry(kv: KeyValue): Entry {
  return {
    key: bytesToUtf8(kv.key),
    value: bytesToUtf8(kv.value),
    valueBytes: kv.value,
    version: kv.version,
    revision: kv.revision,
    createRevision: kv.createRevision,
    lease: kv.lease,
  };
}
