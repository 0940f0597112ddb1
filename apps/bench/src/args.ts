/**
 * Command-line options of `pnpm bench`: parsed and validated up front, every problem reported
 * at once, each naming the option and the rule it breaks (nothing is started on a problem).
 */
import { parseArgs } from 'node:util';
import { NO_DELAY, linkDelays, parseDelay, parseZoneDelay } from './delay.js';
import type { DelayVariant, ZoneDelay } from './delay.js';
import { planPoints } from './plan.js';
import { COMPARE_SYSTEMS, isCompareSystem } from './system.js';
import type { CompareSystem } from './system.js';

/** How reads are served (see the design brief, "Reads"). */
export type BenchReadMode = 'lease' | 'quorum' | 'stale';

/** Everything one benchmark run needs; durations in seconds. */
export interface BenchOptions {
  /** Cluster sizes N to sweep. */
  readonly nodes: readonly number[];
  /** Replication quorums P to sweep; undefined = every valid P for each N. */
  readonly replication: readonly number[] | undefined;
  /** Election quorums L; undefined = N - P + 1 for each point. */
  readonly election: readonly number[] | undefined;
  /** Closed-loop client counts to sweep. */
  readonly clients: readonly number[];
  readonly warmupS: number;
  readonly durationS: number;
  readonly valueSizeBytes: number;
  /** Fraction of operations that are reads, 0..1. */
  readonly readRatio: number;
  readonly readMode: BenchReadMode;
  /** Thrifty phase 2 on every node (`--thrifty true` to each node). */
  readonly thrifty: boolean;
  /** Delay variants to sweep (at least one; `none` by default). */
  readonly delays: readonly DelayVariant[];
  readonly zoneDelay: ZoneDelay | undefined;
  /** Kill -9 the leader under load after the measured window and time the next acknowledged write. */
  readonly failover: boolean;
  /**
   * Run the reconfiguration scenario instead of the sweep (`reconfig.ts`): throughput around
   * adds, removes, P changes and a transfer on one cluster (N, P and delay options do not apply).
   */
  readonly reconfig: boolean;
  /**
   * Run a fault scenario instead of the sweep: `double-fault` (`double-fault.ts`): N=5 P=2 L=4,
   * a partition that leaves no side an election quorum, then kill -9 of the leader, with and
   * without automatic subsetting; `kv` (`kv.ts`): watch fan-out, lease keep-alives and
   * transactions on one cluster (N = 3, P = 2 unless `--nodes` / `--replication` say).
   */
  readonly scenario: 'double-fault' | 'kv' | undefined;
  /** Watcher counts of the `kv` scenario's fan-out (default 1, 100, 1000). */
  readonly watchers: readonly number[];
  /**
   * Client processes per point (never more than clients). Default 1: one process, as an
   * application that uses the client; more load the servers harder than one user does.
   */
  readonly clientProcs: number;
  /** Comparison systems run in the same sweep with the same client (default none). */
  readonly compare: readonly CompareSystem[];
  /** Keys per closed-loop client (each client writes and reads its own keys). */
  readonly keysPerClient: number;
  readonly jsonFile: string | undefined;
  /** Run nothing: read the records of an earlier `--json` file and write table/chart from them. */
  readonly replotFile: string | undefined;
  readonly chartFile: string | undefined;
  /** Also write the summary table (Markdown) to this file. */
  readonly tableFile: string | undefined;
  readonly progress: boolean;
  /** `--full` preset chosen (recorded in the JSON output). */
  readonly preset: 'quick' | 'full';
}

/** Defaults of the quick run (`pnpm bench`): about two minutes. */
export const QUICK_DEFAULTS = {
  nodes: [3, 5],
  clients: [64],
  warmupS: 2,
  durationS: 8,
  failover: false,
} as const;

/** Defaults of `--full`: N 3,5,7 x every P x clients 1,16,64,256, with failover. */
export const FULL_DEFAULTS = {
  nodes: [3, 5, 7],
  clients: [1, 16, 64, 256],
  warmupS: 5,
  durationS: 15,
  failover: true,
} as const;

/** Defaults of `--scenario kv`: one N = 3, P = 2 cluster, watch fan-out to 1, 100 and 1000 watchers. */
export const KV_DEFAULTS = {
  nodes: 3,
  replication: 2,
  watchers: [1, 100, 1000],
} as const;

/** Usage text printed by `--help` and after problems. */
export const USAGE = `usage: pnpm bench [options]
  --nodes 3,5,7            cluster sizes N (quick: 3,5; full: 3,5,7)
  --replication 2,3        replication quorums P (default: every valid P, 1..N, for each N)
  --election 3             election quorums L (default: N - P + 1); need L + P > N
  --clients 1,16,64,256    closed-loop clients (quick: 64; full: 1,16,64,256)
  --warmup S               warm-up seconds before measuring (quick 2, full 5)
  --duration S             measured seconds (quick 8, full 15)
  --value-size BYTES       value size (default 100)
  --read-ratio R           fraction of reads, 0..1 (default 0)
  --read-mode MODE         lease | quorum | stale (default lease)
  --thrifty                thrifty phase 2 on every node
  --delay SPEC             emulated one-way link delay (repeat to sweep): none | MS |
                           node:ID=MS,... | zones:NAME=ID,ID;NAME=ID | zones:K
  --zone-delay SPEC        delay between zones: MS (every pair) or A-B=MS,A-C=MS,...
  --failover               kill -9 the leader under load; time to the next acknowledged write
  --scenario double-fault  instead of the sweep: N=5 P=2 L=4 under load, a partition that
                           leaves no side an election quorum, kill -9 of the leader; with and
                           without automatic subsetting (--json, --chart, --table)
  --scenario kv            instead of the sweep: one cluster (N=3 P=2 unless --nodes /
                           --replication say): watch fan-out to --watchers prefix watchers
                           under a 64-client writer, lease keep-alives, CAS transactions
  --watchers 1,100,1000    watcher counts of --scenario kv (default 1,100,1000)
  --reconfig               instead of the sweep: one N=3 P=2 cluster under load through add 4,
                           add 5, P=3, P=2, remove 5 and a leader transfer; writes/s around each
                           change, the lowest 250 ms sample, a timeline (--json, --chart, --table)
  --compare natskv,etcd    also run NATS JetStream KV and/or etcd clusters of N servers with
                           the same client, keys, values, warm-up and window (writes only)
  --client-procs K         client processes per point, each one client (default 1, as one
                           application; the same K for every system)
  --keys K                 keys per client (default 100)
  --json FILE              write one record per point (and run metadata) to FILE
  --chart FILE             write an SVG chart: throughput and p99 against P, one line per N
  --table FILE             also write the summary table (Markdown) to FILE
  --full                   the full sweep (see README for its duration)
  --no-progress            no progress bar (one line per point on stderr instead)
  --replot FILE            run nothing: print the table of an earlier --json FILE and write
                           --chart / --table from it
  --help`;

/** Result of {@link parseBenchArgs}. */
export type ParsedArgs =
  | { readonly kind: 'ok'; readonly options: BenchOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'invalid'; readonly problems: readonly string[] };

const OPTIONS = {
  nodes: { type: 'string' },
  replication: { type: 'string' },
  election: { type: 'string' },
  clients: { type: 'string' },
  warmup: { type: 'string' },
  duration: { type: 'string' },
  'value-size': { type: 'string' },
  'read-ratio': { type: 'string' },
  'read-mode': { type: 'string' },
  thrifty: { type: 'boolean' },
  delay: { type: 'string', multiple: true },
  'zone-delay': { type: 'string' },
  failover: { type: 'boolean' },
  reconfig: { type: 'boolean' },
  scenario: { type: 'string' },
  watchers: { type: 'string' },
  'client-procs': { type: 'string' },
  compare: { type: 'string' },
  keys: { type: 'string' },
  json: { type: 'string' },
  replot: { type: 'string' },
  chart: { type: 'string' },
  table: { type: 'string' },
  full: { type: 'boolean' },
  'no-progress': { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

/**
 * Parses a comma-separated list of integers in [min, max]; pushes a problem naming the option
 * (`--nodes "3,,5": "" is not an integer`) and returns undefined when anything is wrong.
 */
export function parseIntList(
  option: string,
  text: string,
  min: number,
  max: number,
  problems: string[],
): number[] | undefined {
  const out: number[] = [];
  const before = problems.length;
  for (const part of text.split(',')) {
    const s = part.trim();
    if (!/^\d+$/.test(s)) {
      problems.push(
        `--${option} "${text}": "${s}" is not a whole number (give a comma-separated list like 3,5,7)`,
      );
      continue;
    }
    const v = Number(s);
    if (v < min || v > max) {
      problems.push(`--${option} "${text}": ${v} is out of range: need ${min} <= value <= ${max}`);
    } else if (out.includes(v)) {
      problems.push(`--${option} "${text}": ${v} is listed twice`);
    } else {
      out.push(v);
    }
  }
  return problems.length === before ? out : undefined;
}

/** Parses seconds: `5`, `2.5`, `5s` or `500ms`; must lie in [min, max] seconds. */
export function parseSeconds(
  option: string,
  text: string,
  min: number,
  max: number,
  problems: string[],
): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(s|ms)?$/.exec(text.trim());
  if (m === null) {
    problems.push(`--${option} "${text}": must be seconds (5, 2.5, 5s or 500ms)`);
    return undefined;
  }
  const v = Number(m[1]) / (m[2] === 'ms' ? 1000 : 1);
  if (v < min || v > max) {
    problems.push(
      `--${option} "${text}": ${v} s is out of range: need ${min} <= seconds <= ${max}`,
    );
    return undefined;
  }
  return v;
}

function parseInt1(
  option: string,
  text: string,
  min: number,
  max: number,
  problems: string[],
): number | undefined {
  const list = parseIntList(option, text, min, max, problems);
  if (list === undefined) return undefined;
  if (list.length !== 1) {
    problems.push(`--${option} "${text}": must be one whole number`);
    return undefined;
  }
  return list[0];
}

/** Parses and validates `argv` (without the program name). */
export function parseBenchArgs(argv: readonly string[]): ParsedArgs {
  const problems: string[] = [];
  const { values, positionals, tokens } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const def = (OPTIONS as Record<string, { type: string } | undefined>)[t.name];
    if (def === undefined) problems.push(`--${t.name}: is not a known option`);
    else if (def.type === 'string' && t.value === undefined)
      problems.push(`--${t.name}: needs a value`);
    else if (def.type === 'boolean' && t.value !== undefined)
      problems.push(`--${t.name}: takes no value`);
  }
  if (positionals.length > 0) problems.push(`unexpected arguments: ${positionals.join(' ')}`);
  if (values['help'] === true) return { kind: 'help' };
  const str = (name: keyof typeof OPTIONS): string | undefined => {
    const v = values[name];
    return typeof v === 'string' ? v : undefined;
  };
  const full = values['full'] === true;
  const preset = full ? FULL_DEFAULTS : QUICK_DEFAULTS;
  const scenarioText = str('scenario');
  const kv = scenarioText === 'kv';

  const nodesText = str('nodes');
  const nodes =
    nodesText === undefined
      ? kv
        ? [KV_DEFAULTS.nodes]
        : [...preset.nodes]
      : parseIntList('nodes', nodesText, 1, 15, problems);
  const pText = str('replication');
  const replication =
    pText === undefined
      ? kv
        ? [KV_DEFAULTS.replication]
        : undefined
      : parseIntList('replication', pText, 1, 15, problems);
  const lText = str('election');
  const election =
    lText === undefined ? undefined : parseIntList('election', lText, 1, 15, problems);
  const cText = str('clients');
  const clients =
    cText === undefined ? [...preset.clients] : parseIntList('clients', cText, 1, 4096, problems);
  const wText = str('warmup');
  const warmupS =
    wText === undefined ? preset.warmupS : parseSeconds('warmup', wText, 0, 3600, problems);
  const dText = str('duration');
  const durationS =
    dText === undefined ? preset.durationS : parseSeconds('duration', dText, 0.5, 3600, problems);
  const vText = str('value-size');
  const valueSizeBytes =
    vText === undefined ? 100 : parseInt1('value-size', vText, 0, 1024 * 1024, problems);
  const rText = str('read-ratio');
  let readRatio: number | undefined = 0;
  if (rText !== undefined) {
    readRatio = /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(rText.trim()) ? Number(rText) : undefined;
    if (readRatio === undefined)
      problems.push(`--read-ratio "${rText}": must be a number with 0 <= ratio <= 1`);
  }
  const mText = str('read-mode') ?? 'lease';
  const readMode = mText === 'lease' || mText === 'quorum' || mText === 'stale' ? mText : undefined;
  if (readMode === undefined)
    problems.push(`--read-mode "${mText}": must be lease, quorum or stale`);
  if (str('read-mode') !== undefined && rText === undefined) {
    problems.push(
      '--read-mode: has no effect without --read-ratio (give the fraction of reads, e.g. 0.5)',
    );
  }
  const kText = str('client-procs');
  const clientProcs = kText === undefined ? 1 : parseInt1('client-procs', kText, 1, 64, problems);
  const compareText = str('compare');
  const compare: CompareSystem[] = [];
  for (const name of compareText === undefined ? [] : compareText.split(',')) {
    const s = name.trim();
    if (!isCompareSystem(s))
      problems.push(
        `--compare "${compareText}": "${s}" is not a comparison system (give a comma-separated list of ${COMPARE_SYSTEMS.join(', ')})`,
      );
    else if (compare.includes(s)) problems.push(`--compare "${compareText}": ${s} is listed twice`);
    else compare.push(s);
  }
  if (compare.length > 0 && readRatio !== undefined && readRatio > 0)
    problems.push(
      '--read-ratio: the comparison systems are measured on writes only; drop --read-ratio or --compare',
    );
  const watchersText = str('watchers');
  const watchers =
    watchersText === undefined
      ? [...KV_DEFAULTS.watchers]
      : parseIntList('watchers', watchersText, 1, 30_000, problems);
  if (watchersText !== undefined && !kv) problems.push('--watchers: applies to --scenario kv only');
  const keysText = str('keys');
  const keysPerClient =
    keysText === undefined ? 100 : parseInt1('keys', keysText, 1, 1_000_000, problems);

  const delays: DelayVariant[] = [];
  const rawDelays = values['delay'];
  for (const d of Array.isArray(rawDelays) ? rawDelays : []) {
    if (typeof d !== 'string') continue;
    const parsed = parseDelay(d);
    if (parsed.ok) {
      if (delays.some((x) => x.label === parsed.value.label))
        problems.push(`--delay ${d}: is given twice`);
      else delays.push(parsed.value);
    } else problems.push(...parsed.problems);
  }
  if (delays.length === 0) delays.push(NO_DELAY);
  const zText = str('zone-delay');
  let zoneDelay: ZoneDelay | undefined;
  if (zText !== undefined) {
    const parsed = parseZoneDelay(zText);
    if (parsed.ok) zoneDelay = parsed.value;
    else problems.push(...parsed.problems);
    if (!delays.some((d) => d.spec.kind === 'zones' || d.spec.kind === 'zones-round-robin')) {
      problems.push('--zone-delay: needs a --delay zones:... variant');
    }
  }

  if (
    nodes === undefined ||
    (replication === undefined && pText !== undefined) ||
    (election === undefined && lText !== undefined) ||
    clients === undefined ||
    warmupS === undefined ||
    durationS === undefined ||
    valueSizeBytes === undefined ||
    readRatio === undefined ||
    readMode === undefined ||
    clientProcs === undefined ||
    keysPerClient === undefined ||
    watchers === undefined ||
    problems.length > 0
  ) {
    return { kind: 'invalid', problems };
  }
  const options: BenchOptions = {
    nodes,
    replication,
    election,
    clients,
    warmupS,
    durationS,
    valueSizeBytes,
    readRatio,
    readMode,
    thrifty: values['thrifty'] === true,
    delays,
    zoneDelay,
    failover: values['failover'] === true || preset.failover,
    reconfig: values['reconfig'] === true,
    scenario: scenarioText === 'double-fault' || scenarioText === 'kv' ? scenarioText : undefined,
    watchers,
    clientProcs,
    compare,
    keysPerClient,
    jsonFile: str('json'),
    replotFile: str('replot'),
    chartFile: str('chart'),
    tableFile: str('table'),
    progress: values['no-progress'] !== true,
    preset: full ? 'full' : 'quick',
  };
  // Quorum and delay rules depend on N: check every combination the sweep would run.
  const plan = planPoints(options);
  for (const d of options.delays) {
    for (const n of options.nodes) {
      const m = linkDelays(d, n, options.zoneDelay);
      if (!m.ok) problems.push(...m.problems);
    }
  }
  problems.push(...plan.problems);
  if (scenarioText !== undefined && options.scenario === undefined) {
    problems.push(`--scenario: must be double-fault or kv (got ${JSON.stringify(scenarioText)})`);
  }
  if (options.reconfig && scenarioText !== undefined) {
    problems.push('--scenario: give --reconfig or --scenario, not both');
  }
  if (kv && !options.reconfig) {
    const notHere = [
      'delay',
      'zone-delay',
      'compare',
      'failover',
      'read-ratio',
      'read-mode',
      'client-procs',
      'keys',
      'full',
      'chart',
      'replot',
    ] as const;
    for (const name of notHere) {
      if (values[name] !== undefined) problems.push(`--${name}: does not apply to --scenario kv`);
    }
    for (const [name, list] of [
      ['nodes', options.nodes],
      ['replication', options.replication ?? []],
      ['election', options.election ?? []],
      ['clients', options.clients],
    ] as const) {
      if (list.length > 1) problems.push(`--${name}: --scenario kv takes one value`);
    }
  } else if (options.reconfig || options.scenario !== undefined) {
    const what = options.reconfig ? '--reconfig' : `--scenario ${scenarioText ?? ''}`;
    const own = options.reconfig ? 'N=3 P=2' : 'N=5 P=2 L=4';
    const sweepOnly = ['nodes', 'replication', 'election', 'delay', 'compare', 'failover'] as const;
    for (const name of sweepOnly) {
      if (values[name] !== undefined) {
        problems.push(`--${name}: does not apply to ${what} (it runs its own ${own} cluster)`);
      }
    }
    if (options.clients.length !== 1) problems.push(`--clients: ${what} takes one client count`);
  }
  if (problems.length > 0) return { kind: 'invalid', problems: [...new Set(problems)] };
  return { kind: 'ok', options };
}
