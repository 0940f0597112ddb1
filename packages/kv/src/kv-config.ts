/**
 * Configuration of the key-value state machine. Every field shapes the replicated state, so
 * every replica of a cluster must run with the same values (like the log itself).
 */

/** Capacity limits of the replicated state; slot counts are log time, never wall time. */
export interface KvConfig {
  /** Most client sessions kept; the least recently used one is evicted beyond it. */
  readonly sessionsMax: number;
  /**
   * A session unused for this many slots expires (the "log time" of the design brief). A
   * client that stays silent longer loses its session and gets `session-expired`.
   */
  readonly sessionExpirySlots: number;
  /** Most live leases; `lease-grant` beyond it gets `limit-exceeded`. */
  readonly leasesMax: number;
  /** Most keys attached to one lease; a put beyond it gets `limit-exceeded`. */
  readonly keysPerLeaseMax: number;
  /**
   * Whether commands may still carry a client-chosen session id (`KvCommand.session`, the
   * scheme with the `seq` 1 hole). When false they get `invalid`; registered sessions
   * (`open-session`) are always accepted.
   */
  readonly legacySessions: boolean;
}

/**
 * Defaults: 10,000 sessions expiring after 1,000,000 slots without use, 10,000 leases of at
 * most 10,000 keys each, client-chosen session ids still accepted.
 */
export const DEFAULT_KV_CONFIG: KvConfig = {
  sessionsMax: 10_000,
  sessionExpirySlots: 1_000_000,
  leasesMax: 10_000,
  keysPerLeaseMax: 10_000,
  legacySessions: true,
};

/**
 * One problem with a config of this package (`KvConfig`, `LessorConfig`, `WatchHubConfig`),
 * in the shape every FlexPaxos package uses.
 */
export interface KvConfigProblem {
  /** The offending field. */
  readonly field: string;
  /** A short stable name of the rule that failed: `positive-integer` or `boolean`. */
  readonly rule: 'positive-integer' | 'boolean';
  /** A human sentence naming the field, the rule and the value. */
  readonly message: string;
}

/** The problem of `field` unless `value` is a positive safe integer. */
export function positiveIntegerProblem(field: string, value: unknown): KvConfigProblem | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1) return undefined;
  return {
    field,
    rule: 'positive-integer',
    message: `${field} must be a positive safe integer (got ${String(value)})`,
  };
}

/** Throws one error listing every problem, or returns when there is none. */
export function throwIfKvConfigProblems(what: string, problems: readonly KvConfigProblem[]): void {
  if (problems.length > 0)
    throw new Error(`invalid ${what}: ${problems.map((p) => p.message).join('; ')}`);
}

/** Every problem with a config, each naming the field and the rule (empty when valid). */
export function validateKvConfig(config: KvConfig): KvConfigProblem[] {
  const problems: KvConfigProblem[] = [];
  for (const field of [
    'sessionsMax',
    'sessionExpirySlots',
    'leasesMax',
    'keysPerLeaseMax',
  ] as const) {
    const problem = positiveIntegerProblem(field, config[field]);
    if (problem !== undefined) problems.push(problem);
  }
  if (typeof config.legacySessions !== 'boolean')
    problems.push({
      field: 'legacySessions',
      rule: 'boolean',
      message: `legacySessions must be a boolean (got ${String(config.legacySessions)})`,
    });
  return problems;
}

/** `config` over the defaults; throws listing every problem. */
export function resolveKvConfig(config: Partial<KvConfig>): KvConfig {
  const full: KvConfig = { ...DEFAULT_KV_CONFIG, ...config };
  throwIfKvConfigProblems('KvConfig', validateKvConfig(full));
  return full;
}
