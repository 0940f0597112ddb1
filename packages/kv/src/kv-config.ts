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

/** Every problem with a config, each naming the field and the rule (empty when valid). */
export function validateKvConfig(config: KvConfig): string[] {
  const problems: string[] = [];
  for (const field of [
    'sessionsMax',
    'sessionExpirySlots',
    'leasesMax',
    'keysPerLeaseMax',
  ] as const) {
    const v = config[field];
    if (!Number.isSafeInteger(v) || v < 1)
      problems.push(`${field}: must be a positive safe integer`);
  }
  if (typeof config.legacySessions !== 'boolean')
    problems.push('legacySessions: must be a boolean');
  return problems;
}

/** `config` over the defaults; throws listing every problem. */
export function resolveKvConfig(config: Partial<KvConfig>): KvConfig {
  const full: KvConfig = { ...DEFAULT_KV_CONFIG, ...config };
  const problems = validateKvConfig(full);
  if (problems.length > 0) throw new Error(`invalid KvConfig: ${problems.join('; ')}`);
  return full;
}
