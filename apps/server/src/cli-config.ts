/**
 * The commands built on the node configuration (`config.ts`): `flexpaxos node` (run one node)
 * and `flexpaxos config check FILE` (validate a JSON config file as `node --config FILE` would,
 * starting nothing).
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { action, acceptGlobals, examples, globals, withGlobals } from './cli-context.js';
import type { CliIo } from './cli-context.js';
import { render } from './cli-output.js';
import type { Cell } from './cli-output.js';
import {
  CONFIG_DEFAULTS,
  CONFIG_FIELDS,
  formatProblems,
  gatherConfig,
  validateConfig,
} from './config.js';
import type { ConfigField, ConfigProblem, NodeConfig } from './config.js';
import { STOP_WITH_STDIN_ENV } from './launcher.js';
import { jsonLogger } from './logger.js';
import { FlexPaxosNode, NodeStartError } from './node.js';

const camel = (f: string): string => f.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The settings for tests and fault injection only (`test-faults.ts`). */
export function isTestOnlySetting(field: string): boolean {
  return field.startsWith('test-') || field.startsWith('unsafe-');
}

/** Placeholder and one-line help of every setting (README.md, "Configure", has the rules). */
export const SETTING_HELP: Readonly<Record<ConfigField, readonly [string, string]>> = {
  id: ['<n>', "this node's id: an integer >= 1, one of --members"],
  cluster: ['<name>', 'the cluster name: 1..64 of [A-Za-z0-9_-]'],
  members: ['<ids>', 'comma-separated voter ids of a new cluster (N = their count)'],
  replication: ['<P>', 'P, the phase-2 quorum of a new cluster (default: a majority)'],
  election: ['<L>', 'L, the phase-1 quorum of a new cluster (default: N - P + 1)'],
  nats: ['<urls>', 'comma-separated NATS URLs (nats://host:port)'],
  'data-dir': ['<dir>', "this node's data directory (created if missing)"],
  'http-port': ['<port>', 'HTTP port: 0 picks a free one, -1 turns HTTP off'],
  'http-host': ['<host>', 'address the HTTP endpoint listens on'],
  'tick-ms': ['<ms>', 'length of one protocol tick'],
  'election-timeout-ticks': ['<ticks>', 'ticks without a leader before campaigning'],
  'election-jitter-ticks': ['<ticks>', 'random extra election ticks, in [0, jitter)'],
  'heartbeat-interval-ticks': ['<ticks>', 'leader heartbeat interval (< election timeout)'],
  'lease-duration-ms': ['<ms>', 'leader lease duration'],
  'clock-drift-bound-ms': ['<ms>', 'assumed clock drift between nodes over one lease'],
  'max-batch-commands': ['<n>', 'most client commands in one log slot'],
  'max-batch-bytes': ['<bytes>', 'most command bytes in one log slot (>= 1024)'],
  'max-inflight-slots': ['<n>', 'slots proposed but not yet committed (pipelining)'],
  'snapshot-interval-slots': ['<n>', 'snapshot and compact every this many slots; 0: never'],
  'log-level': ['<level>', 'debug, info, warn or error'],
  'link-delay-ms': ['<ms>', 'emulated one-way delay of every peer message sent'],
  'link-delay-to': ['<peer:ms,...>', 'per-peer override of --link-delay-ms'],
  thrifty: ['<bool>', 'send Accepts only to a phase-2 quorum of the fastest'],
  'pre-vote': ['<bool>', 'ask a phase-1 quorum before campaigning'],
  join: ['[bool]', 'join a running cluster (then: flexpaxos members add ID)'],
  'auto-subset': ['<bool>', 'automatic subsetting after a double fault'],
  'auto-subset-hold-down-ms': ['<ms>', 'how long before subsetting (>= one election timeout)'],
  'auto-subset-voters-min': ['<n>', 'the fewest voters a subset may have'],
  'auto-subset-fault-tolerance-min': ['<n>', 'voter failures a subset must survive'],
  'watch-history-events-max': ['<n>', 'change events kept for watches that start in the past'],
  'watch-watchers-max': ['<n>', 'most watchers this node serves'],
  'watch-queue-events-max': [
    '<n>',
    'most undelivered events a watcher queues before it is cancelled as slow',
  ],
  'sessions-max': ['<n>', 'most client sessions kept (same on every node)'],
  'legacy-sessions': [
    '<bool>',
    'accept client-chosen session ids (same on every node; off: invalid)',
  ],
  'test-clock-rate': ['<rate>', "rate of the node's clock, 0.1..10"],
  'test-clock-offset-ms': ['<ms>', "where the node's clock starts"],
  'test-partition-control': ['<bool>', 'take partition requests over NATS'],
  'unsafe-test-faults': ['<bool>', 'allow the unsafe-* sabotage switches'],
  'unsafe-ack-before-fsync': ['<bool>', 'SABOTAGE: acknowledge before the synced write'],
  'unsafe-lease-no-drift': ['<bool>', 'SABOTAGE: lease without drift margin or restart wait'],
};

/** `CONFIG_DEFAULTS` by flag name. */
function defaultOf(field: ConfigField): string | number | boolean | undefined {
  return (CONFIG_DEFAULTS as Readonly<Record<string, string | number | boolean>>)[camel(field)];
}

/** Node settings that are also global options: `flexpaxos --nats URL node ...` works. */
const NODE_GLOBALS = ['nats', 'cluster'] as const;

async function runNode(cmd: Command, io: CliIo): Promise<number> {
  const o = cmd.optsWithGlobals<Record<string, unknown>>();
  const flags: Record<string, unknown> = {};
  for (const f of [...CONFIG_FIELDS, 'config']) {
    const v = o[camel(f)];
    if (v !== undefined) flags[f] = v;
  }
  const problems: ConfigProblem[] = [];
  const stray: string[] = [];
  for (const a of cmd.args) {
    if (a.startsWith('-'))
      problems.push({
        field: a.replace(/^-+/, '').split('=')[0] ?? a,
        rule: 'is not a known setting',
      });
    else stray.push(a);
  }
  if (stray.length > 0)
    problems.push({ field: 'arguments', rule: `unexpected: ${stray.join(' ')}` });
  const gathered = gatherConfig(flags, io.env);
  problems.push(...gathered.problems);
  const { config, problems: invalid } = validateConfig(gathered.raw);
  problems.push(...invalid);
  if (config === undefined || problems.length > 0) {
    io.err(
      `${formatProblems(problems)}\nflexpaxos node: invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}); nothing started\n`,
    );
    return 2;
  }
  return await serveNode(config, io);
}

/** Starts the node and resolves once it stopped on a signal (or stdin closing, under `start`). */
async function serveNode(config: NodeConfig, io: CliIo): Promise<number> {
  const log = jsonLogger(config.logLevel, { node: config.id, cluster: config.cluster });
  let node: FlexPaxosNode;
  try {
    node = await FlexPaxosNode.start(config, log, (reason) => {
      process.exit(reason === 'shutdown' ? 0 : 1);
    });
  } catch (err) {
    log.log('error', 'node failed to start', {
      error: err,
      code: (err as { code?: unknown }).code,
    });
    return err instanceof NodeStartError ? 2 : 1;
  }
  // One line on stdout for scripts and tests: where to reach the node.
  io.out(
    `${JSON.stringify({ event: 'started', id: config.id, pid: process.pid, http: node.httpAddress })}\n`,
  );
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string): void => {
      log.log('info', 'signal received: draining', { signal });
      void node.stop().then(resolve);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    if (io.env[STOP_WITH_STDIN_ENV] === '1') {
      // Started by `flexpaxos start`: its stdin pipe closes when the launcher dies (even by
      // kill -9), and the node then drains instead of running on as an orphan.
      process.stdin.on('data', () => undefined);
      process.stdin.once('close', () => onSignal('stdin closed'));
      process.stdin.once('end', () => onSignal('stdin closed'));
    }
  });
  return 0;
}

/** Adds `flexpaxos node` to `program`. */
export function addNodeCommand(program: Command, io: CliIo, group: string): void {
  const node = program
    .command('node')
    .helpGroup(group)
    .summary('run one node of a cluster (settings from flags, FLEXPAXOS_* or --config FILE)')
    .description(
      'Run one FlexPaxos node. Every setting comes from a flag, a FLEXPAXOS_<NAME> environment variable or a JSON --config file (precedence: defaults < file < environment < flags). The whole configuration is checked first: every problem is printed as `config: <field>: <rule>` and nothing starts (exit 2). Prints one `{"event":"started",...}` line on stdout once serving; logs are JSON on stderr; SIGTERM or SIGINT drains and exits 0.',
    )
    .allowUnknownOption()
    .allowExcessArguments();
  acceptGlobals(node, NODE_GLOBALS);
  for (const f of CONFIG_FIELDS) {
    const [arg, help] = SETTING_HELP[f];
    const def = defaultOf(f);
    node.addOption(
      new Option(
        `--${f} ${arg}`,
        def === undefined ? help : `${help} (default ${String(def)})`,
      ).helpGroup(
        isTestOnlySetting(f) ? 'Test-only settings (never in a deployment):' : 'Settings:',
      ),
    );
  }
  node.addOption(
    new Option(
      '--config <file>',
      'a JSON file of settings (or FLEXPAXOS_CONFIG); see `config check`',
    ).helpGroup('Settings:'),
  );
  examples(node, [
    'flexpaxos node --id 1 --cluster demo --members 1,2,3 --nats nats://127.0.0.1:4222 --data-dir data/n1',
    'flexpaxos node --config apps/server/flexpaxos.example.json --id 2 --data-dir data/n2',
    'flexpaxos node --id 4 --cluster demo --nats nats://127.0.0.1:4222 --data-dir data/n4 --join',
    'FLEXPAXOS_TICK_MS=5 flexpaxos node ...   # any setting from the environment',
  ]);
  action(node, (_args, cmd) => runNode(cmd, io));
}

/** A resolved setting as text for the table: lists comma-joined, an empty one `none`. */
function settingText(v: unknown): Cell {
  if (v instanceof Map)
    return v.size === 0 ? 'none' : [...v].map(([k, ms]) => `${String(k)}:${String(ms)}`).join(',');
  if (Array.isArray(v)) return v.length === 0 ? 'none' : v.join(',');
  return v as Cell;
}

/** A resolved setting as JSON: a Map as an object. */
function settingJson(v: unknown): unknown {
  return v instanceof Map ? Object.fromEntries(v) : v;
}

/**
 * `config check FILE`: `{ ok, problems }` and the resolved settings (flag name -> value and
 * where it came from: `file`, `env FLEXPAXOS_...` or `default`).
 */
export function checkConfigFile(
  file: string,
  env: Readonly<Record<string, string | undefined>>,
): {
  problems: ConfigProblem[];
  settings: { field: ConfigField; value: unknown; source: string }[];
} {
  const gathered = gatherConfig({ config: file }, env);
  const { config, problems } = validateConfig(gathered.raw);
  const all = [...gathered.problems, ...problems];
  if (config === undefined || all.length > 0) return { problems: all, settings: [] };
  const byName = config as unknown as Readonly<Record<string, unknown>>;
  return {
    problems: [],
    settings: CONFIG_FIELDS.map((field) => {
      const envName = `FLEXPAXOS_${field.replace(/-/g, '_').toUpperCase()}`;
      const fromEnv = env[envName] !== undefined && env[envName] !== '';
      return {
        field,
        value: byName[camel(field)],
        source: fromEnv ? `env ${envName}` : gathered.raw[field] !== undefined ? 'file' : 'default',
      };
    }),
  };
}

/** Adds `flexpaxos config check FILE` to `program`. */
export function addConfigCommand(program: Command, io: CliIo, group: string): void {
  const config = withGlobals(
    program
      .command('config')
      .helpGroup(group)
      .summary('check a node configuration file without starting anything')
      .description('Node configuration files: `config check FILE`.'),
    ['json', 'write-out'],
  );
  examples(config, ['flexpaxos config check apps/server/flexpaxos.example.json']);
  const check = withGlobals(
    config
      .command('check')
      .summary('validate a JSON node config file; start nothing')
      .description(
        'Validate a JSON config file exactly as `flexpaxos node --config FILE` would (FLEXPAXOS_* environment variables included) and start nothing. Valid: prints `ok` and every resolved setting with its source (file, env, default), exit 0. Invalid: prints every problem as `config: <field>: <rule>` on stderr, exit 2.',
      )
      .argument('<file>', 'the JSON config file'),
    ['json', 'write-out'],
  );
  examples(check, [
    'flexpaxos config check apps/server/flexpaxos.example.json',
    'flexpaxos config check node1.json -w json',
  ]);
  action(check, ([file], cmd) => {
    const path = file as string;
    const { format } = globals(cmd);
    const { problems, settings } = checkConfigFile(path, io.env);
    if (problems.length > 0) {
      if (format === 'json') io.out(render('json', { ok: false, file: path, problems }, {}));
      io.err(
        `${formatProblems(problems)}\nflexpaxos config check: ${path}: invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'})\n`,
      );
      return 2;
    }
    io.out(
      render(
        format,
        {
          ok: true,
          file: path,
          settings: Object.fromEntries(settings.map((s) => [s.field, settingJson(s.value)])),
          sources: Object.fromEntries(settings.map((s) => [s.field, s.source])),
        },
        {
          lines: [`ok: ${path} is a valid node configuration`],
          headers: ['setting', 'value', 'source'],
          rows: settings.map((s) => [s.field, settingText(s.value), s.source]),
        },
      ),
    );
    return 0;
  });
}
