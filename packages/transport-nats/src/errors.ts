/**
 * Errors of the NATS transport (conventions, "Errors" rules 3 and 4): one class per
 * condition, each with a stable `code` and the `cause` passed through.
 */

/** One problem with transport options: the field, the rule it breaks and a message. */
export interface TransportConfigProblem {
  /** The option at fault, e.g. `clusterName`, `servers[1]`. */
  readonly field: string;
  /** The rule broken, e.g. `subject-token`, `positive-safe-integer`, `non-empty`. */
  readonly rule: string;
  /** A human sentence naming the field and the rule. */
  readonly message: string;
}

/** Thrown by {@link NatsPeerTransport.connect} given invalid options; lists every problem. */
export class TransportConfigError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'TRANSPORT_CONFIG_INVALID' as const;
  override readonly name = 'TransportConfigError' as const;
  /** Every problem found; never empty. */
  readonly problems: readonly TransportConfigProblem[];

  constructor(problems: readonly TransportConfigProblem[]) {
    super(`invalid NATS transport options: ${problems.map((p) => p.message).join('; ')}`);
    this.problems = problems;
  }
}

/** The first connection to NATS failed (servers unreachable, handshake timeout, ...). */
export class TransportConnectError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'TRANSPORT_CONNECT_FAILED' as const;
  override readonly name = 'TransportConnectError' as const;

  constructor(servers: readonly string[], cause: unknown) {
    super(
      `could not connect to NATS at ${servers.join(', ')}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}
