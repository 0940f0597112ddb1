/**
 * `pnpm sim --seeds K --first-seed S [--nodes N --replication P --election L]
 * [--unsafe-quorum] [--unsafe-lease] [--no-leases] [--reconfig | --no-reconfig] [--unsafe-reconfig]
 * [--scenario double-fault] [--no-auto-subset] [--pre-vote | --no-pre-vote] [--basic-workload] [--check-budget-ms MS] [--verbose]`:
 * simulates K seeds and exits 0 only when no invariant broke and no linearizability check
 * ended `unknown` (exit 1 on violations, 2 on unknowns only).
 */
import { paxosReplicaFactory } from './paxos-factory.js';
import { runSeeds } from './run.js';

const USAGE =
  'usage: pnpm sim --seeds K --first-seed S [--nodes N --replication P --election L] [--unsafe-quorum] [--unsafe-lease] [--no-leases] [--reconfig | --no-reconfig] [--unsafe-reconfig] [--scenario double-fault] [--no-auto-subset] [--pre-vote | --no-pre-vote] [--basic-workload] [--check-budget-ms MS] [--verbose]';

/** Parsed command line. */
interface Args {
  seeds: number;
  firstSeed: number;
  nodes: number | undefined;
  replication: number | undefined;
  election: number | undefined;
  unsafeQuorum: boolean;
  unsafeLease: boolean;
  leases: boolean;
  /** Reconfiguration faults: forced on, off, or the default mix (undefined). */
  reconfig: boolean | undefined;
  unsafeReconfig: boolean;
  scenario: 'double-fault' | undefined;
  autoSubset: boolean;
  /** Pre-vote forced on, off, or the default mix (undefined). */
  preVote: boolean | undefined;
  /** `basic`: get, put, delete, cas and range only (no transactions, key leases, watchers). */
  workload: 'basic' | 'full';
  checkBudgetMs: number | undefined;
  verbose: boolean;
}

function parseArgs(argv: readonly string[]): Args | string {
  const args: Args = {
    seeds: 100,
    firstSeed: 1,
    nodes: undefined,
    replication: undefined,
    election: undefined,
    unsafeQuorum: false,
    unsafeLease: false,
    leases: true,
    reconfig: undefined,
    unsafeReconfig: false,
    scenario: undefined,
    autoSubset: true,
    preVote: undefined,
    workload: 'full',
    checkBudgetMs: undefined,
    verbose: false,
  };
  const intFlags = { '--seeds': 'seeds', '--first-seed': 'firstSeed', '--nodes': 'nodes', '--replication': 'replication', '--election': 'election', '--check-budget-ms': 'checkBudgetMs' } as const;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') continue;
    if (a === '--unsafe-quorum') args.unsafeQuorum = true;
    else if (a === '--unsafe-lease') args.unsafeLease = true;
    else if (a === '--no-leases') args.leases = false;
    else if (a === '--reconfig') args.reconfig = true;
    else if (a === '--no-reconfig') args.reconfig = false;
    else if (a === '--unsafe-reconfig') args.unsafeReconfig = true;
    else if (a === '--no-auto-subset') args.autoSubset = false;
    else if (a === '--no-pre-vote') args.preVote = false;
    else if (a === '--pre-vote') args.preVote = true;
    else if (a === '--basic-workload') args.workload = 'basic';
    else if (a === '--scenario') {
      const v = argv[++i];
      if (v !== 'double-fault') return `--scenario needs a scenario name: double-fault (got ${v ?? 'nothing'})\n${USAGE}`;
      args.scenario = v;
    }
    else if (a === '--verbose' || a === '-v') args.verbose = true;
    else if (a === '--help' || a === '-h') return USAGE;
    else if (a in intFlags) {
      const raw = argv[++i];
      const n = Number(raw);
      if (raw === undefined || !Number.isSafeInteger(n) || n < (a === '--first-seed' ? 0 : 1)) {
        return `${a} needs a ${a === '--first-seed' ? 'non-negative' : 'positive'} integer (got ${raw ?? 'nothing'})\n${USAGE}`;
      }
      args[intFlags[a as keyof typeof intFlags]] = n;
    } else return `unknown argument ${a}\n${USAGE}`;
  }
  if (args.unsafeLease && !args.leases) return `--unsafe-lease needs leases (drop --no-leases)\n${USAGE}`;
  if ((args.replication !== undefined || args.election !== undefined) && args.nodes === undefined) {
    return `--replication and --election need --nodes\n${USAGE}`;
  }
  if (args.nodes !== undefined) {
    const n = args.nodes;
    if (args.unsafeQuorum && n < 2) return '--unsafe-quorum needs --nodes >= 2';
    args.replication ??= args.unsafeQuorum ? Math.max(1, Math.floor(n / 2)) : Math.floor(n / 2) + 1;
    const p = args.replication;
    if (p > n) return `--replication ${p} exceeds --nodes ${n}`;
    args.election ??= args.unsafeQuorum ? n - p : n - p + 1;
    const l = args.election;
    if (l < 1 || l > n) return `--election ${l} must be within 1..${n}`;
    if (!args.unsafeQuorum && l + p <= n) return `P=${p} and L=${l} do not intersect for N=${n}: need L + P > N (or pass --unsafe-quorum)`;
    if (args.unsafeQuorum && l + p > n) return `--unsafe-quorum needs L + P <= N (got N=${n} P=${p} L=${l})`;
  }
  return args;
}

function main(): number {
  const parsed = parseArgs(process.argv.slice(2));
  if (typeof parsed === 'string') {
    console.error(parsed);
    return parsed === USAGE ? 0 : 2;
  }
  const summary = runSeeds(
    { ...parsed, factory: paxosReplicaFactory },
    (line) => console.log(line),
    () => performance.now(),
  );
  return summary.violations > 0 ? 1 : summary.unknownSeeds.length > 0 ? 2 : 0;
}

process.exitCode = main();
