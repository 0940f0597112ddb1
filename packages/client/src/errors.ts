/**
 * Errors the client throws. One class per condition, each with a stable `code` and `name`, the
 * underlying `cause` passed through (conventions, "Errors" rule 3). A failed compare-and-set is
 * not an error: `cas` returns `{ succeeded: false, ... }`.
 */

/** Stable codes of client errors. */
export type ClientErrorCode =
  | 'TIMEOUT'
  | 'UNAVAILABLE'
  | 'VALUE_TOO_LARGE'
  | 'INVALID_KEY'
  | 'INVALID_ARGUMENT'
  | 'REJECTED'
  | 'CLOSED'
  | 'COMPACTED'
  | 'INDETERMINATE';

/** Base class of every client error. */
export class FlexPaxosClientError extends Error {
  override readonly name: string = 'FlexPaxosClientError';
  readonly code: ClientErrorCode;
  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * The call did not complete within its timeout. For a write the outcome is unknown: it may
 * still be applied (once). Retrying with the same client is safe.
 */
export class TimeoutError extends FlexPaxosClientError {
  override readonly name = 'TimeoutError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TIMEOUT', message, options);
  }
}

/** The cluster cannot serve the request now (no leader reachable, NATS down, node failed). */
export class UnavailableError extends FlexPaxosClientError {
  override readonly name = 'UnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options);
  }
}

/** A value is larger than `VALUE_BYTES_MAX` (checked before anything is sent). */
export class ValueTooLargeError extends FlexPaxosClientError {
  override readonly name = 'ValueTooLargeError';
  constructor(message: string) {
    super('VALUE_TOO_LARGE', message);
  }
}

/** A key or prefix is empty (keys only) or longer than `KEY_BYTES_MAX`. */
export class InvalidKeyError extends FlexPaxosClientError {
  override readonly name = 'InvalidKeyError';
  constructor(message: string) {
    super('INVALID_KEY', message);
  }
}

/** Any other argument is out of range (a range limit, an expected version, a timeout). */
export class InvalidArgumentError extends FlexPaxosClientError {
  override readonly name = 'InvalidArgumentError';
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/**
 * The cluster refused the command (the state machine's `invalid`, `stale-sequence` or
 * `bad-command`, or a protocol error); `reason` says which. A write whose session the cluster
 * forgot is resent under a new session or reported as `IndeterminateError`, never as this.
 */
export class RejectedError extends FlexPaxosClientError {
  override readonly name: string = 'RejectedError';
  readonly reason: string;
  constructor(reason: string, message: string) {
    super('REJECTED', `${reason}: ${message}`);
    this.reason = reason;
  }
}

/**
 * The outcome of a write is unknown and can no longer be learned: the cluster forgot the
 * write's session (expired, evicted from the bounded session table) while the client was
 * retrying it, so the write may have been applied (once) before, or not at all. Nothing was
 * applied twice. The client has moved on to a new session; read the state to find out, or
 * repeat the write if doing it again is harmless. `cause`: the `RejectedError` with reason
 * `session-expired`.
 */
export class IndeterminateError extends FlexPaxosClientError {
  override readonly name = 'IndeterminateError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('INDETERMINATE', message, options);
  }
}

/**
 * The key lease does not exist (never granted, revoked or expired): from `leaseKeepalive`,
 * `leaseRevoke`, `leaseTtl`, or a `put` or `txn` that attaches a key to it. A `RejectedError`
 * with reason `lease-not-found`. Grant a new lease; the old one's keys are gone.
 */
export class LeaseNotFoundError extends RejectedError {
  override readonly name = 'LeaseNotFoundError';
  constructor(message: string) {
    super('lease-not-found', message);
  }
}

/** The client was closed. */
export class ClientClosedError extends FlexPaxosClientError {
  override readonly name = 'ClientClosedError';
  constructor() {
    super('CLOSED', 'the client is closed');
  }
}

/**
 * A watch asked for revisions no node keeps any more (each node keeps a bounded history of
 * recent changes). `compactRevision` is the oldest revision a watch can start from now: read
 * the current state (`range`) and watch from its revision + 1 instead.
 */
export class WatchCompactedError extends FlexPaxosClientError {
  override readonly name = 'WatchCompactedError';
  readonly compactRevision: number;
  constructor(compactRevision: number, message: string) {
    super('COMPACTED', message);
    this.compactRevision = compactRevision;
  }
}
