/**
 * Command-line options of `pnpm nemesis`: parsed and validated up front, every problem reported
 * at once, each naming the option and the rule it breaks; nothing starts on a problem. The same
 * options rebuild the exact replay command of a run ({@link replayCommand}).
 */
import { parseArgs } from 'node:util';

/** The fault kinds `--faults` can enable. */
export const FAULT_KINDS = [
  'kill',
  'power',
  'pause',
  'partition',
  'nats',
  'skew',
  'lease',
] as const;
/** One fault kind. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Test-only node sabotage (see apps/server `test-faults.ts`): a deliberately broken node. */
export const SABOTAGES = ['ack-before-fsync', 'lease-no-drift'] as const;
/** One sabotage. */
export type Sabotage = (typeof SABOTAGES)[number];

/** Everything one run needs; durations in milliseconds unless named otherwise. */
export interface NemesisOptions {
  /** N: node count (ids 1..N). */
  readonly nodes: number;
  /** P: replication quorum. */
  readonly replication: number;
  /** L: election quorum (N - P + 1 unless given). */
  readonly election: number;
  /** Whether `--election` was given (for the replay command). */
  readonly electionGiven: boolean;
  /** Seconds of faults and workload. */
  readonly durationS: number;
  /** The seed of the one PRNG that drives the schedule (and the workload's draws). */
  readonly seed: number;
  /** Enabled fault kinds. */
  readonly faults: readonly FaultKind[];
  /** Output directory (history, logs, summary). */
  readonly outDir: string | undefined;
  /** Concurrent clients (each its own NATS connection); default 2 x N. */
  readonly clients: number;
  /** Keys in use at once (each retired after `opsPerKey` operations for a fresh one). */
  readonly keys: number;
  readonly opsPerKey: number;
  /** Longest pause of a client between two operations (uniform 0..think). */
  readonly thinkMs: number;
  /** Deadline of one client operation; past it the outcome is unknown. */
  readonly opTimeoutMs: number;
  /** Mean gap between two faults (drawn uniformly in 0.5x..1.5x). */
  readonly faultGapMs: number;
  /** Most faults active at once. */
  readonly concurrentFaults: number;
  /** Node timing: lease duration, drift bound, election timeout (ms; ticks of 10 ms). */
  readonly leaseMs: number;
  readonly driftMs: number;
  readonly electionTimeoutMs: number;
  /** Random extra election timeout, uniform in [0, jitter) (ms, a multiple of 10). */
  readonly electionJitterMs: number;
  /** Thrifty phase 2 on every node (Accepts only to a phase-2 quorum of the fastest). */
  readonly thrifty: boolean;
  /** Nodes run this sabotage (with `--unsafe-test-faults true`). */
  readonly sabotage: Sabotage | undefined;
  /** Time budget of the linearizability checker. */
  readonly checkBudgetMs: number;
  /** Print one line per fault and a progress line every few seconds. */
  readonly verbose: boolean;
}

/** The defaults of every option that has one (N and P depend on each other). */
export const DEFAULTS = {
  nodes: 3,
  durationS: 60,
  faults: ['kill', 'power', 'pause', 'partition', 'nats', 'skew'] as readonly FaultKind[],
  keys: 4,
  opsPerKey: 60,
  thinkMs: 10,
  opTimeoutMs: 3000,
  faultGapMs: 3000,
  concurrentFaults: 2,
  leaseMs: 300,
  driftMs: 50,
  electionTimeoutMs: 500,
  electionJitterMs: 500,
  checkBudgetMs: 120_000,
} as const;

/** Usage text. */
export const USAGE = `usage: pnpm nemesis [options]
  --nodes N              cluster size (default 3)
  --replication P        phase-2 quorum (default N/2 + 1)
  --election L           phase-1 quorum (default N - P + 1); need L + P > N
  --duration S           seconds of workload under faults (default 60)
  --seed K               seed of the fault schedule (default: random, printed)
  --faults LIST          comma-separated: kill,power,pause,partition,nats,skew,lease
                         (default kill,power,pause,partition,nats,skew; "none" for no faults)
  --out DIR              history, logs and summary (default .nemesis/seed-K)
  --clients C            concurrent clients, each its own NATS connection (default 2 x N)
  --keys K               keys in use at once (default 4)
  --ops-per-key M        operations per key before it is retired for a fresh one (default 60)
  --think-ms MS          longest pause between two operations of a client (default 10)
  --op-timeout-ms MS     deadline of one operation; past it the outcome is unknown (default 3000)
  --fault-gap-ms MS      mean gap between faults (default 3000)
  --concurrent-faults F  most faults active at once (default 2)
  --lease-ms MS          node lease duration (default 300)
  --drift-ms MS          node clock-drift bound (default 50)
  --election-timeout-ms MS  node election timeout, a multiple of 10 (default 500)
  --election-jitter-ms MS   random extra election timeout, uniform below MS (default 500)
  --thrifty              thrifty phase 2 on every node (Accepts only to the fastest P)
  --sabotage NAME        run deliberately broken nodes: ack-before-fsync | lease-no-drift
  --check-budget-s S     time budget of the linearizability checker (default 120)
  --quiet                only the summary line
  --help`;

/** What {@link parseNemesisArgs} returns. */
export type ParsedNemesisArgs =
  | { readonly kind: 'run'; readonly options: NemesisOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'invalid'; readonly problems: readonly string[] };

const INT_OPTIONS = [
  'nodes',
  'replication',
  'election',
  'duration',
  'seed',
  'clients',
  'keys',
  'ops-per-key',
  'think-ms',
  'op-timeout-ms',
  'fault-gap-ms',
  'concurrent-faults',
  'lease-ms',
  'drift-ms',
  'election-timeout-ms',
  'election-jitter-ms',
  'check-budget-s',
] as const;

/** Parses `argv` (without node and script). */
export function parseNemesisArgs(argv: readonly string[]): ParsedNemesisArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(INT_OPTIONS.map((o) => [o, { type: 'string' as const }])),
        faults: { type: 'string' },
        out: { type: 'string' },
        sabotage: { type: 'string' },
        thrifty: { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    return { kind: 'invalid', problems: [err instanceof Error ? err.message : String(err)] };
  }
  if (values['help'] === true) return { kind: 'help' };
  const problems: string[] = [];
  const int = (name: (typeof INT_OPTIONS)[number], min: number, fallback?: number): number => {
    const raw = values[name];
    if (raw === undefined || typeof raw !== 'string') {
      if (fallback === undefined) problems.push(`--${name}: is required`);
      return fallback ?? NaN;
    }
    const n = /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    if (!Number.isSafeInteger(n) || n < min) {
      problems.push(`--${name}: must be an integer >= ${min} (got ${JSON.stringify(raw)})`);
      return NaN;
    }
    return n;
  };

  const nodes = int('nodes', 1, DEFAULTS.nodes);
  const replication = int('replication', 1, Math.floor(nodes / 2) + 1);
  const electionGiven = values['election'] !== undefined;
  const election = int('election', 1, nodes - replication + 1);
  if (Number.isSafeInteger(nodes)) {
    if (replication > nodes) problems.push(`--replication: must be at most N=${nodes}`);
    if (election > nodes) problems.push(`--election: must be at most N=${nodes}`);
    if (election + replication <= nodes) {
      problems.push(
        `--election: P=${replication} and L=${election} do not intersect for N=${nodes}: need L + P > N`,
      );
    }
  }
  const durationS = int('duration', 1, DEFAULTS.durationS);
  const seed = int('seed', 0, Math.floor(Math.random() * 2 ** 31));
  const clients = int('clients', 1, Number.isSafeInteger(nodes) ? 2 * nodes : 6);
  const keys = int('keys', 1, DEFAULTS.keys);
  const opsPerKey = int('ops-per-key', 1, DEFAULTS.opsPerKey);
  const thinkMs = int('think-ms', 0, DEFAULTS.thinkMs);
  const opTimeoutMs = int('op-timeout-ms', 100, DEFAULTS.opTimeoutMs);
  const faultGapMs = int('fault-gap-ms', 100, DEFAULTS.faultGapMs);
  const concurrentFaults = int('concurrent-faults', 1, DEFAULTS.concurrentFaults);
  const leaseMs = int('lease-ms', 1, DEFAULTS.leaseMs);
  const driftMs = int('drift-ms', 0, DEFAULTS.driftMs);
  const electionTimeoutMs = int('election-timeout-ms', 10, DEFAULTS.electionTimeoutMs);
  if (electionTimeoutMs % 10 !== 0) {
    problems.push(
      `--election-timeout-ms: must be a multiple of the 10 ms tick (got ${electionTimeoutMs})`,
    );
  }
  const electionJitterMs = int('election-jitter-ms', 0, DEFAULTS.electionJitterMs);
  if (electionJitterMs % 10 !== 0) {
    problems.push(
      `--election-jitter-ms: must be a multiple of the 10 ms tick (got ${electionJitterMs})`,
    );
  }
  if (2 * driftMs >= leaseMs) {
    problems.push(
      `--drift-ms: must be less than half of --lease-ms (2 x ${driftMs} >= ${leaseMs})`,
    );
  }
  if (leaseMs + driftMs >= electionTimeoutMs) {
    problems.push(
      `--lease-ms: lease + drift must be less than --election-timeout-ms (${leaseMs} + ${driftMs} >= ${electionTimeoutMs})`,
    );
  }
  const checkBudgetS = int('check-budget-s', 1, DEFAULTS.checkBudgetMs / 1000);

  let faults: FaultKind[] = [...DEFAULTS.faults];
  const rawFaults = values['faults'];
  if (typeof rawFaults === 'string') {
    const list = rawFaults
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '');
    if (list.length === 1 && list[0] === 'none') faults = [];
    else {
      const bad = list.filter((f) => !(FAULT_KINDS as readonly string[]).includes(f));
      if (bad.length > 0 || list.length === 0) {
        problems.push(
          `--faults: must list some of ${FAULT_KINDS.join(',')} or be "none" (got ${JSON.stringify(rawFaults)})`,
        );
      }
      faults = FAULT_KINDS.filter((k) => list.includes(k));
    }
  }
  let sabotage: Sabotage | undefined;
  const rawSabotage = values['sabotage'];
  if (typeof rawSabotage === 'string') {
    if ((SABOTAGES as readonly string[]).includes(rawSabotage)) sabotage = rawSabotage as Sabotage;
    else
      problems.push(
        `--sabotage: must be one of ${SABOTAGES.join(', ')} (got ${JSON.stringify(rawSabotage)})`,
      );
  }
  if (problems.length > 0) return { kind: 'invalid', problems };
  const out = values['out'];
  return {
    kind: 'run',
    options: {
      nodes,
      replication,
      election,
      electionGiven,
      durationS,
      seed,
      faults,
      outDir: typeof out === 'string' ? out : undefined,
      clients,
      keys,
      opsPerKey,
      thinkMs,
      opTimeoutMs,
      faultGapMs,
      concurrentFaults,
      leaseMs,
      driftMs,
      electionTimeoutMs,
      electionJitterMs,
      thrifty: values['thrifty'] === true,
      sabotage,
      checkBudgetMs: checkBudgetS * 1000,
      verbose: values['quiet'] !== true,
    },
  };
}

/**
 * The command that replays a run: the same seed and every option that differs from its
 * default (the output directory left out, so a replay does not overwrite the original).
 */
export function replayCommand(o: NemesisOptions): string {
  const args = [
    `--nodes ${o.nodes}`,
    `--replication ${o.replication}`,
    ...(o.electionGiven || o.election !== o.nodes - o.replication + 1
      ? [`--election ${o.election}`]
      : []),
    `--duration ${o.durationS}`,
    `--seed ${o.seed}`,
    `--faults ${o.faults.length === 0 ? 'none' : o.faults.join(',')}`,
  ];
  const extra: [string, number, number][] = [
    ['clients', o.clients, 2 * o.nodes],
    ['keys', o.keys, DEFAULTS.keys],
    ['ops-per-key', o.opsPerKey, DEFAULTS.opsPerKey],
    ['think-ms', o.thinkMs, DEFAULTS.thinkMs],
    ['op-timeout-ms', o.opTimeoutMs, DEFAULTS.opTimeoutMs],
    ['fault-gap-ms', o.faultGapMs, DEFAULTS.faultGapMs],
    ['concurrent-faults', o.concurrentFaults, DEFAULTS.concurrentFaults],
    ['lease-ms', o.leaseMs, DEFAULTS.leaseMs],
    ['drift-ms', o.driftMs, DEFAULTS.driftMs],
    ['election-timeout-ms', o.electionTimeoutMs, DEFAULTS.electionTimeoutMs],
    ['election-jitter-ms', o.electionJitterMs, DEFAULTS.electionJitterMs],
    ['check-budget-s', o.checkBudgetMs / 1000, DEFAULTS.checkBudgetMs / 1000],
  ];
  for (const [name, value, def] of extra) if (value !== def) args.push(`--${name} ${value}`);
  if (o.thrifty) args.push('--thrifty');
  if (o.sabotage !== undefined) args.push(`--sabotage ${o.sabotage}`);
  return `pnpm nemesis ${args.join(' ')}`;
}
