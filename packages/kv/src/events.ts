/**
 * What applying a command reports besides its reply: the change events a watch hub feeds to
 * watchers, and the lease-table changes the leader's lessor follows.
 */
import type { LeaseId } from './ids.js';
import type { KeyValue } from './results.js';

/**
 * One change of one key (etcd's `mvccpb.Event`). For a put, `kv` is the key as written; for a
 * delete, `kv` has the key, an empty value, version, create revision and lease 0, and the
 * revision of the delete. `prev` is the key as it was before, when it existed.
 *
 * The byte arrays are views of the machine's immutable records: read them, never write them.
 */
export interface KvEvent {
  readonly type: 'put' | 'delete';
  readonly kv: KeyValue;
  readonly prev: KeyValue | undefined;
}

/**
 * A change to the lease table or the lessor epoch, in apply order. The leader's lessor follows
 * them (`Lessor.observe`); followers may ignore them.
 */
export type LeaseChange =
  | { readonly kind: 'granted'; readonly lease: LeaseId; readonly ttlMs: number }
  | { readonly kind: 'revoked'; readonly lease: LeaseId }
  | { readonly kind: 'epoch'; readonly epoch: number; readonly holder: Uint8Array };
