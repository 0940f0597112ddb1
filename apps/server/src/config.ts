/**
 * Node configuration: one plain object assembled from (lowest to highest precedence) defaults,
 * a JSON config file, `FLEXPAXOS_*` environment variables and command-line flags, then checked
 * by `validateConfig`, which returns every problem (field and rule) instead of stopping at
 * the first. Nothing starts until the config is valid.
 */
import { readFileSync } from 'node:fs';
import type { ConfigProblem as CoreConfigProblem } from '@flexpaxos/paxos';
import { validateCountingQuorum } from '@flexpaxos/quorum';

/** A validated node configuration. Durations are in milliseconds or ticks, as named. */
export interface NodeConfig {
  /** This node's id: one of `members` when they are given. */
  readonly id: number;
  /** The cluster name: one NATS subject token, `[A-Za-z0-9_-]{1,64}`. */
  readonly cluster: string;
  /**
   * The voters a new cluster starts with (N = their count). Empty: the configuration comes
   * from the data directory (a restart) or from the cluster (`join`). Once the first
   * configuration is stored, the stored one (changed through the log) is what counts.
   */
  readonly members: readonly number[];
  /** P: phase-2 (replication) quorum size of a new cluster (0 when `members` is empty). */
  readonly replication: number;
  /** L: phase-1 (election) quorum size of a new cluster; default N - P + 1 (0 when `members` is empty). */
  readonly election: number;
  /**
   * Join a running cluster: start with no configuration, vote for nobody, and wait until the
   * leader adds this node (`flexpaxos members add ID`) and sends it the log.
   */
  readonly join: boolean;
  /** Automatic subsetting after a double fault (core `autoSubset`); default on. */
  readonly autoSubset: boolean;
  /** How long the leader must reach a phase-2 but no phase-1 quorum before subsetting. */
  readonly autoSubsetHoldDownMs: number;
  /** The fewest voters automatic subsetting may leave. */
  readonly autoSubsetVotersMin: number;
  /** Voter failures the subset must still survive with both quorums available. */
  readonly autoSubsetFaultToleranceMin: number;
  /** NATS URLs. */
  readonly nats: readonly string[];
  /** This node's data directory (RocksDB and its identity file). */
  readonly dataDir: string;
  /** HTTP port for /health, /ready, /status, /metrics; 0 picks a free port; -1 disables HTTP. */
  readonly httpPort: number;
  /** HTTP listen address. */
  readonly httpHost: string;
  /** Length of one core tick. */
  readonly tickMs: number;
  /** Ticks without a leader before campaigning (lower bound). */
  readonly electionTimeoutTicks: number;
  /** Random extra ticks added to the election timeout: uniform in [0, jitter). */
  readonly electionJitterTicks: number;
  /** Leader heartbeat interval. */
  readonly heartbeatIntervalTicks: number;
  /** Lease duration: how long an acceptor's grant runs after it acknowledges the leader. */
  readonly leaseDurationMs: number;
  /** Assumed bound on clock drift between nodes over one lease. */
  readonly clockDriftBoundMs: number;
  /** Most client commands in one slot. */
  readonly maxBatchCommands: number;
  /** Most command bytes in one slot. */
  readonly maxBatchBytes: number;
  /** Pipelining window: proposed, not yet committed slots. */
  readonly maxInflightSlots: number;
  /** Take a snapshot and compact the log every this many applied slots; 0 disables. */
  readonly snapshotIntervalSlots: number;
  /** Log level of the structured logs on stderr. */
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Emulated one-way delay (ms) added to every peer message this node sends; 0 = none. */
  readonly linkDelayMs: number;
  /** Per-destination override of `linkDelayMs`: peer id -> ms (`--link-delay-to "2:5,3:20"`). */
  readonly linkDelayTo: ReadonlyMap<number, number>;
  /** Thrifty phase 2: Accepts go only to a phase-2 quorum of the fastest responders. */
  readonly thrifty: boolean;
  /** Pre-vote before phase 1: a node campaigns only once a phase-1 quorum would promise it. */
  readonly preVote: boolean;
  /** Watch history: most change events kept for watches that start in the past. */
  readonly watchHistoryEventsMax: number;
  /** Most watchers this node serves; more get `limit-exceeded`. */
  readonly watchWatchersMax: number;
  /** Most undelivered events a caught-up watcher may queue before it is cancelled as slow. */
  readonly watchQueueEventsMax: number;
  /**
   * Most client sessions the KV state machine keeps (`KvConfig.sessionsMax`; the least
   * recently used is evicted beyond it). Shapes the replicated state: every node of a cluster
   * must use the same value.
   */
  readonly sessionsMax: number;
  /**
   * Accept commands with client-chosen session ids (`KvConfig.legacySessions`), the scheme
   * whose retry of a first command after eviction is applied again; off, they get `invalid`.
   * Shapes the replicated state: every node of a cluster must use the same value.
   */
  readonly legacySessions: boolean;
  /** TEST ONLY (fault injection, `test-faults.ts`): rate of the node's clock against real time. */
  readonly testClockRate: number;
  /** TEST ONLY (fault injection, `test-faults.ts`): where the node's clock starts (ms). */
  readonly testClockOffsetMs: number;
  /** TEST ONLY (benchmarks, `test-faults.ts`): take partition requests over NATS. */
  readonly testPartitionControl: boolean;
  /** TEST ONLY: allows the `unsafe*` sabotage switches below; refused otherwise. */
  readonly unsafeTestFaults: boolean;
  /** SABOTAGE, TEST ONLY: replies and acknowledges before the synced write completes. */
  readonly unsafeAckBeforeFsync: boolean;
  /** SABOTAGE, TEST ONLY: the core's `unsafeLease` (no drift margin, no restart wait). */
  readonly unsafeLeaseNoDrift: boolean;
}

/**
 * One problem: the field (as the flag names it) and the rule it breaks; the one shape of a
 * config problem in FlexPaxos (`ConfigProblem` of `@flexpaxos/paxos`, also used by storage).
 */
export type ConfigProblem = CoreConfigProblem;

/** Defaults for every field that has one. */
export const CONFIG_DEFAULTS = {
  httpPort: 0,
  httpHost: '127.0.0.1',
  tickMs: 10,
  electionTimeoutTicks: 50,
  electionJitterTicks: 50,
  heartbeatIntervalTicks: 10,
  leaseDurationMs: 300,
  clockDriftBoundMs: 50,
  maxBatchCommands: 512,
  maxBatchBytes: 512 * 1024,
  maxInflightSlots: 32,
  snapshotIntervalSlots: 10_000,
  logLevel: 'info',
  linkDelayMs: 0,
  thrifty: false,
  preVote: true,
  autoSubset: true,
  autoSubsetHoldDownMs: 1500,
  autoSubsetVotersMin: 3,
  autoSubsetFaultToleranceMin: 1,
  watchHistoryEventsMax: 100_000,
  watchWatchersMax: 10_000,
  watchQueueEventsMax: 10_000,
  sessionsMax: 10_000,
  legacySessions: false,
  testClockRate: 1,
  testClockOffsetMs: 0,
} as const;

/** Every field, in the kebab-case used by flags; env is `FLEXPAXOS_` + upper snake case. */
export const CONFIG_FIELDS = [
  'id',
  'cluster',
  'members',
  'replication',
  'election',
  'nats',
  'data-dir',
  'http-port',
  'http-host',
  'tick-ms',
  'election-timeout-ticks',
  'election-jitter-ticks',
  'heartbeat-interval-ticks',
  'lease-duration-ms',
  'clock-drift-bound-ms',
  'max-batch-commands',
  'max-batch-bytes',
  'max-inflight-slots',
  'snapshot-interval-slots',
  'log-level',
  'link-delay-ms',
  'link-delay-to',
  'thrifty',
  'pre-vote',
  'join',
  'auto-subset',
  'auto-subset-hold-down-ms',
  'auto-subset-voters-min',
  'auto-subset-fault-tolerance-min',
  'watch-history-events-max',
  'watch-watchers-max',
  'watch-queue-events-max',
  'sessions-max',
  'legacy-sessions',
  // Test-only fault injection (see test-faults.ts); never set them in a deployment.
  'test-clock-rate',
  'test-clock-offset-ms',
  'test-partition-control',
  'unsafe-test-faults',
  'unsafe-ack-before-fsync',
  'unsafe-lease-no-drift',
] as const;

/** A field name as flags spell it. */
export type ConfigField = (typeof CONFIG_FIELDS)[number];

/** Raw values before validation: strings from flags/env, anything from the JSON file. */
export type RawConfig = Partial<Record<ConfigField, unknown>>;

const camel = (f: string): string => f.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const envName = (f: string): string => `FLEXPAXOS_${f.replace(/-/g, '_').toUpperCase()}`;

/**
 * Merges the sources: defaults < config file (`config` flag or `FLEXPAXOS_CONFIG`; keys in
 * kebab-case or camelCase) < environment < flags. Problems reading the file are returned too.
 */
export function gatherConfig(
  flags: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
): { raw: RawConfig; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const raw: Record<string, unknown> = {};
  const envFile = env['FLEXPAXOS_CONFIG'];
  const file = flags['config'] ?? (envFile === '' ? undefined : envFile);
  if (file !== undefined) {
    try {
      const parsed = JSON.parse(readFileSync(str(file), 'utf8')) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        problems.push({ field: 'config', rule: `${str(file)} must hold a JSON object` });
      } else {
        const obj = parsed as Record<string, unknown>;
        const known = new Set<string>(CONFIG_FIELDS.flatMap((f) => [f, camel(f)]));
        for (const k of Object.keys(obj)) {
          if (!known.has(k))
            problems.push({ field: `config.${k}`, rule: 'is not a known setting' });
        }
        for (const f of CONFIG_FIELDS) {
          const v = obj[f] ?? obj[camel(f)];
          if (v !== undefined) raw[f] = v;
        }
      }
    } catch (err) {
      problems.push({
        field: 'config',
        rule: `cannot read ${str(file)} as JSON: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  }
  for (const f of CONFIG_FIELDS) {
    const v = env[envName(f)];
    if (v !== undefined && v !== '') raw[f] = v;
  }
  for (const f of CONFIG_FIELDS) {
    const v = flags[f];
    if (v !== undefined) raw[f] = v;
  }
  return { raw, problems };
}

/** A raw value as text: strings, numbers and booleans as they are, anything else as JSON. */
function str(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
    ? String(v)
    : JSON.stringify(v);
}

function toInt(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : undefined;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) {
    const n = Number(v.trim());
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

function toList(v: unknown): string[] | undefined {
  if (Array.isArray(v)) return v.map((x) => str(x).trim()).filter((x) => x !== '');
  if (typeof v === 'string')
    return v
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
  if (typeof v === 'number') return [String(v)];
  return undefined;
}

/**
 * Checks raw values and builds a `NodeConfig`. Returns every problem, each naming the field
 * and the rule (for example `election: P=2 and L=3 do not intersect for N=5: need L + P > N`);
 * `config` is set only when there is none.
 */
export function validateConfig(raw: RawConfig): {
  config: NodeConfig | undefined;
  problems: ConfigProblem[];
} {
  const problems: ConfigProblem[] = [];
  const add = (field: string, rule: string): void => {
    problems.push({ field, rule });
  };
  const int = (field: ConfigField, min: number, fallback?: number): number => {
    const v = raw[field];
    if (v === undefined) {
      if (fallback !== undefined) return fallback;
      add(field, 'is required');
      return NaN;
    }
    const n = toInt(v);
    if (n === undefined || n < min) {
      add(field, `must be an integer >= ${min} (got ${JSON.stringify(v)})`);
      return NaN;
    }
    return n;
  };

  const id = int('id', 1);
  const cluster = raw.cluster === undefined ? undefined : str(raw.cluster);
  if (cluster === undefined) add('cluster', 'is required');
  else if (!/^[A-Za-z0-9_-]{1,64}$/.test(cluster)) {
    add('cluster', `must be 1..64 characters of [A-Za-z0-9_-] (got ${JSON.stringify(cluster)})`);
  }

  const flag = (field: ConfigField, fallback: boolean): boolean => {
    const v = raw[field];
    if (v === undefined) return fallback;
    const t = typeof v === 'boolean' ? String(v) : str(v).trim();
    if (t === 'true') return true;
    if (t !== 'false') add(field, `must be true or false (got ${JSON.stringify(v)})`);
    return t === 'true' ? true : t === 'false' ? false : fallback;
  };
  const join = flag('join', false);
  const memberStrings = raw.members === undefined ? undefined : toList(raw.members);
  let members: number[] = [];
  if (memberStrings !== undefined && join) {
    add(
      'members',
      'must not be given with join (a joining node learns the configuration from the cluster)',
    );
  } else if (memberStrings !== undefined) {
    members = memberStrings.map((s) => toInt(s) ?? NaN);
    if (members.some((m) => !Number.isSafeInteger(m) || m < 1)) {
      add('members', `every member must be a positive integer (got ${memberStrings.join(',')})`);
      members = [];
    } else if (new Set(members).size !== members.length) {
      add('members', `must not repeat an id (got ${memberStrings.join(',')})`);
      members = [];
    } else if (members.length === 0) add('members', 'must list at least one node');
  }
  if (Number.isSafeInteger(id) && members.length > 0 && !members.includes(id)) {
    add('id', `must be one of members [${members.join(',')}] (got ${id})`);
  }

  const n = members.length;
  if (n === 0) {
    for (const f of ['replication', 'election'] as const) {
      if (raw[f] !== undefined) {
        add(
          f,
          'needs members (quorum sizes of a running cluster change with `flexpaxos quorum set`)',
        );
      }
    }
  }
  const replication = n === 0 ? 0 : int('replication', 1, Math.floor(n / 2) + 1);
  const electionRaw = n === 0 || raw.election === undefined ? undefined : int('election', 1);
  if (
    n > 0 &&
    Number.isSafeInteger(replication) &&
    (electionRaw === undefined || Number.isSafeInteger(electionRaw))
  ) {
    for (const p of validateCountingQuorum({
      members,
      replication,
      election: electionRaw,
    })) {
      add(p.field, p.message);
    }
  }
  const election =
    n === 0 ? 0 : (electionRaw ?? (Number.isSafeInteger(replication) ? n - replication + 1 : NaN));

  const nats = raw.nats === undefined ? undefined : toList(raw.nats);
  if (nats === undefined || nats.length === 0)
    add('nats', 'is required (comma-separated NATS URLs)');
  else {
    for (const u of nats) {
      if (!/^(nats|tls|ws|wss):\/\/[^\s/]+$|^[^\s/:]+:\d+$/.test(u)) {
        add('nats', `${JSON.stringify(u)} is not a NATS URL (nats://host:port)`);
      }
    }
  }
  const dataDir = raw['data-dir'] === undefined ? undefined : str(raw['data-dir']);
  if (dataDir === undefined || dataDir === '') add('data-dir', 'is required');

  const httpPort = int('http-port', -1, CONFIG_DEFAULTS.httpPort);
  if (httpPort > 65535) add('http-port', `must be at most 65535 (got ${httpPort})`);
  const httpHost =
    raw['http-host'] === undefined ? CONFIG_DEFAULTS.httpHost : str(raw['http-host']);
  const tickMs = int('tick-ms', 1, CONFIG_DEFAULTS.tickMs);
  const electionTimeoutTicks = int(
    'election-timeout-ticks',
    1,
    CONFIG_DEFAULTS.electionTimeoutTicks,
  );
  const electionJitterTicks = int('election-jitter-ticks', 0, CONFIG_DEFAULTS.electionJitterTicks);
  const heartbeatIntervalTicks = int(
    'heartbeat-interval-ticks',
    1,
    CONFIG_DEFAULTS.heartbeatIntervalTicks,
  );
  if (heartbeatIntervalTicks >= electionTimeoutTicks) {
    add(
      'heartbeat-interval-ticks',
      `must be less than election-timeout-ticks (${heartbeatIntervalTicks} >= ${electionTimeoutTicks})`,
    );
  }
  const leaseDurationMs = int('lease-duration-ms', 1, CONFIG_DEFAULTS.leaseDurationMs);
  const clockDriftBoundMs = int('clock-drift-bound-ms', 0, CONFIG_DEFAULTS.clockDriftBoundMs);
  // The rules of @flexpaxos/lease (validateLeaseConfig), checked here to name the flags.
  if (2 * clockDriftBoundMs >= leaseDurationMs) {
    add(
      'clock-drift-bound-ms',
      `must be less than half of lease-duration-ms (2 x ${clockDriftBoundMs} >= ${leaseDurationMs})`,
    );
  }
  const electionMs = electionTimeoutTicks * tickMs;
  if (leaseDurationMs + clockDriftBoundMs >= electionMs) {
    add(
      'lease-duration-ms',
      `lease-duration-ms + clock-drift-bound-ms must be less than the election timeout (election-timeout-ticks x tick-ms = ${electionMs} ms; got ${leaseDurationMs} + ${clockDriftBoundMs})`,
    );
  }
  const maxBatchCommands = int('max-batch-commands', 1, CONFIG_DEFAULTS.maxBatchCommands);
  const maxBatchBytes = int('max-batch-bytes', 1024, CONFIG_DEFAULTS.maxBatchBytes);
  const maxInflightSlots = int('max-inflight-slots', 1, CONFIG_DEFAULTS.maxInflightSlots);
  const snapshotIntervalSlots = int(
    'snapshot-interval-slots',
    0,
    CONFIG_DEFAULTS.snapshotIntervalSlots,
  );
  const logLevel =
    raw['log-level'] === undefined ? CONFIG_DEFAULTS.logLevel : str(raw['log-level']);
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    add('log-level', `must be one of debug, info, warn, error (got ${JSON.stringify(logLevel)})`);
  }

  const linkDelayMs = int('link-delay-ms', 0, CONFIG_DEFAULTS.linkDelayMs);
  const linkDelayTo = new Map<number, number>();
  const delayTo = raw['link-delay-to'];
  if (delayTo !== undefined) {
    // "peer:ms,peer:ms" (flag, env, file) or a JSON object { "peer": ms } (file).
    const pairs =
      typeof delayTo === 'object' && delayTo !== null && !Array.isArray(delayTo)
        ? Object.entries(delayTo).map(([k, v]) => `${k}:${str(v)}`)
        : (toList(delayTo) ?? []);
    for (const pair of pairs) {
      const m = /^(\d+):(\d+)$/.exec(pair.replace(/\s/g, ''));
      const peer = m === null ? undefined : toInt(m[1]);
      const ms = m === null ? undefined : toInt(m[2]);
      if (peer === undefined || ms === undefined) {
        add(
          'link-delay-to',
          `must be "peerId:ms,peerId:ms" with integers (got ${JSON.stringify(pair)})`,
        );
      } else if (members.length > 0 && (!members.includes(peer) || peer === id)) {
        add('link-delay-to', `${peer} must be another member of [${members.join(',')}]`);
      } else if (linkDelayTo.has(peer)) {
        add('link-delay-to', `must not repeat peer ${peer}`);
      } else linkDelayTo.set(peer, ms);
    }
  }

  const rawThrifty = raw['thrifty'];
  let thrifty: boolean = CONFIG_DEFAULTS.thrifty;
  if (rawThrifty !== undefined) {
    const t = typeof rawThrifty === 'boolean' ? String(rawThrifty) : str(rawThrifty).trim();
    if (t === 'true') thrifty = true;
    else if (t === 'false') thrifty = false;
    else add('thrifty', `must be true or false (got ${JSON.stringify(rawThrifty)})`);
  }

  const preVote = flag('pre-vote', CONFIG_DEFAULTS.preVote);
  const autoSubset = flag('auto-subset', CONFIG_DEFAULTS.autoSubset);
  // Unset, the hold-down is the default or one election timeout, whichever is longer, so a
  // longer election timeout alone never makes the defaults invalid.
  const holdDownGiven = raw['auto-subset-hold-down-ms'] !== undefined;
  const autoSubsetHoldDownMs = holdDownGiven
    ? int('auto-subset-hold-down-ms', 1, CONFIG_DEFAULTS.autoSubsetHoldDownMs)
    : Math.max(
        CONFIG_DEFAULTS.autoSubsetHoldDownMs,
        Number.isSafeInteger(electionMs) ? electionMs : 0,
      );
  if (
    holdDownGiven &&
    Number.isSafeInteger(autoSubsetHoldDownMs) &&
    autoSubsetHoldDownMs < electionMs
  ) {
    add(
      'auto-subset-hold-down-ms',
      `must be at least one election timeout (${electionMs} ms; got ${autoSubsetHoldDownMs})`,
    );
  }
  const autoSubsetVotersMin = int('auto-subset-voters-min', 1, CONFIG_DEFAULTS.autoSubsetVotersMin);
  const autoSubsetFaultToleranceMin = int(
    'auto-subset-fault-tolerance-min',
    0,
    CONFIG_DEFAULTS.autoSubsetFaultToleranceMin,
  );

  const watchHistoryEventsMax = int(
    'watch-history-events-max',
    1,
    CONFIG_DEFAULTS.watchHistoryEventsMax,
  );
  const watchWatchersMax = int('watch-watchers-max', 1, CONFIG_DEFAULTS.watchWatchersMax);
  const watchQueueEventsMax = int('watch-queue-events-max', 1, CONFIG_DEFAULTS.watchQueueEventsMax);
  const sessionsMax = int('sessions-max', 1, CONFIG_DEFAULTS.sessionsMax);
  const legacySessions = flag('legacy-sessions', CONFIG_DEFAULTS.legacySessions);

  // Test-only fault injection (test-faults.ts).
  const bool = (field: ConfigField): boolean => {
    const v = raw[field];
    if (v === undefined) return false;
    const t = typeof v === 'boolean' ? String(v) : str(v).trim();
    if (t === 'true') return true;
    if (t !== 'false') add(field, `must be true or false (got ${JSON.stringify(v)})`);
    return false;
  };
  const rawRate = raw['test-clock-rate'];
  let testClockRate: number = CONFIG_DEFAULTS.testClockRate;
  if (rawRate !== undefined) {
    const r = typeof rawRate === 'number' ? rawRate : Number(str(rawRate).trim());
    if (!Number.isFinite(r) || r < 0.1 || r > 10 || str(rawRate).trim() === '') {
      add('test-clock-rate', `must be a number from 0.1 to 10 (got ${JSON.stringify(rawRate)})`);
    } else testClockRate = r;
  }
  const testClockOffsetMs = int('test-clock-offset-ms', 0, CONFIG_DEFAULTS.testClockOffsetMs);
  const testPartitionControl = bool('test-partition-control');
  const unsafeTestFaults = bool('unsafe-test-faults');
  const unsafeAckBeforeFsync = bool('unsafe-ack-before-fsync');
  const unsafeLeaseNoDrift = bool('unsafe-lease-no-drift');
  for (const [field, on] of [
    ['unsafe-ack-before-fsync', unsafeAckBeforeFsync],
    ['unsafe-lease-no-drift', unsafeLeaseNoDrift],
  ] as const) {
    if (on && !unsafeTestFaults) {
      add(
        field,
        'is a test-only sabotage that breaks safety on purpose: refused unless unsafe-test-faults is true',
      );
    }
  }

  if (problems.length > 0 || cluster === undefined || nats === undefined || dataDir === undefined) {
    return { config: undefined, problems };
  }
  return {
    config: {
      id,
      cluster,
      members,
      replication,
      election,
      nats,
      dataDir,
      httpPort,
      httpHost,
      tickMs,
      electionTimeoutTicks,
      electionJitterTicks,
      heartbeatIntervalTicks,
      leaseDurationMs,
      clockDriftBoundMs,
      maxBatchCommands,
      maxBatchBytes,
      maxInflightSlots,
      snapshotIntervalSlots,
      logLevel: logLevel as NodeConfig['logLevel'],
      linkDelayMs,
      linkDelayTo,
      thrifty,
      preVote,
      join,
      autoSubset,
      autoSubsetHoldDownMs,
      autoSubsetVotersMin,
      autoSubsetFaultToleranceMin,
      watchHistoryEventsMax,
      watchWatchersMax,
      watchQueueEventsMax,
      sessionsMax,
      legacySessions,
      testClockRate,
      testClockOffsetMs,
      testPartitionControl,
      unsafeTestFaults,
      unsafeAckBeforeFsync,
      unsafeLeaseNoDrift,
    },
    problems,
  };
}

/** One line per problem: `config: <field>: <rule>`. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems.map((p) => `config: ${p.field}: ${p.rule}`).join('\n');
}
