/**
 * Inputs and outputs of the FlexPaxos KV model (`flexpaxos-kv.ts`): operations as a client
 * issued them and results as it received them, with keys and values as UTF-8 strings. They
 * mirror `KvCommandOp` and `KvReply` of `@flexpaxos/kv` for the operations the model covers.
 */

/** A compare of a transaction (mirrors `TxnCompare`). */
export type FlexKvCompare =
  | {
      readonly target: 'version' | 'create-revision' | 'mod-revision' | 'lease';
      readonly key: string;
      readonly op: '=' | '!=' | '<' | '>';
      readonly operand: number;
    }
  | {
      readonly target: 'value';
      readonly key: string;
      readonly op: '=' | '!=' | '<' | '>';
      readonly value: string;
    };

/** An operation a transaction branch may hold. */
export type FlexKvTxnOpInput =
  | { readonly type: 'get'; readonly key: string }
  | { readonly type: 'put'; readonly key: string; readonly value: string; readonly lease?: number }
  | { readonly type: 'delete'; readonly key: string }
  | { readonly type: 'range'; readonly prefix: string; readonly limit: number };

/** An operation as the client issued it (keys and values as UTF-8 strings). */
export type FlexKvInput =
  | FlexKvTxnOpInput
  | {
      readonly type: 'cas';
      readonly key: string;
      readonly expectedVersion: number;
      readonly value: string;
    }
  | {
      readonly type: 'txn';
      readonly compare: readonly FlexKvCompare[];
      readonly success: readonly FlexKvTxnOpInput[];
      readonly failure: readonly FlexKvTxnOpInput[];
    }
  | { readonly type: 'lease-grant'; readonly ttlMs: number }
  /**
   * `reason: 'expired'` is the leader's revocation of a lease that ran out; record it as an
   * operation of its own (invoked when the leader proposed it) so that keys attached to a lease
   * may disappear there.
   */
  | {
      readonly type: 'lease-revoke';
      readonly lease: number;
      readonly reason: 'client' | 'expired';
    };

/** A key as a read returns it; `createRevision` and `lease` are checked when present. */
export interface FlexKvEntry {
  readonly key: string;
  readonly value: string;
  readonly version: number;
  readonly revision: number;
  readonly createRevision?: number;
  readonly lease?: number;
}

/** The result of an operation inside a transaction. */
export type FlexKvTxnOpOutput =
  | { readonly type: 'get'; readonly kv: FlexKvEntry | undefined }
  | { readonly type: 'put'; readonly version: number; readonly revision: number }
  | {
      readonly type: 'delete';
      readonly deleted: boolean;
      readonly prevVersion: number;
      readonly revision: number;
    }
  | { readonly type: 'range'; readonly kvs: readonly FlexKvEntry[]; readonly more: boolean };

/** A result as the client received it (mirrors `KvReply` of `@flexpaxos/kv`). */
export type FlexKvOutput =
  | FlexKvTxnOpOutput
  | {
      readonly type: 'cas';
      readonly succeeded: boolean;
      readonly version: number;
      readonly revision: number;
    }
  | {
      readonly type: 'txn';
      readonly succeeded: boolean;
      readonly revision: number;
      readonly results: readonly FlexKvTxnOpOutput[];
    }
  | {
      readonly type: 'lease-grant';
      readonly lease: number;
      readonly ttlMs: number;
      readonly revision: number;
    }
  | {
      readonly type: 'lease-revoke';
      readonly revoked: boolean;
      readonly deleted: number;
      readonly revision: number;
    };
