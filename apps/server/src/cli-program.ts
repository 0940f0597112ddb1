/**
 * The `flexpaxos` program on commander: the command tree and `main`.
 *
 * ```
 * flexpaxos start  [--nodes N] [--replication P] [--dir DIR] [-- NODE FLAGS]  # local cluster
 * flexpaxos node   --id 1 --cluster demo --members 1,2,3 --nats URL --data-dir d1 [...]
 * flexpaxos put KEY VALUE | get KEY | del KEY | cas KEY EXPECTED_VERSION VALUE | range PREFIX
 * flexpaxos txn | lease grant|keepalive|revoke|timetolive|list | watch KEY [--prefix]
 * flexpaxos status | endpoint status | endpoint health
 * flexpaxos members [add ID | remove ID] | quorum set ... | leader transfer|prefer ...
 * flexpaxos config check FILE | completion bash|zsh | help [COMMAND]
 * ```
 *
 * Global options (`--dir`, `--nats`, `--cluster`, `--json`, `-w`, `--timeout-ms`) go before or
 * after the command (`cli-context.ts`). Exit codes: 0 success, 1 the operation failed (timeout,
 * unavailable, refused, a compare-and-set that did not match, an unhealthy endpoint), 2 usage
 * or configuration error (the message names what was wrong; nothing started).
 */
import { Argument, Command, CommanderError, Option } from 'commander';
import { FlexPaxosClientError } from '@flexpaxos/client';
import type { NodeStatusReport, ReadMode } from '@flexpaxos/client';
import { addCompletionCommand } from './cli-completion.js';
import { addConfigCommand, addNodeCommand } from './cli-config.js';
import {
  CLIENT_GLOBALS,
  USAGE_EXIT,
  action,
  examples,
  fullName,
  globals,
  intAtLeast,
  readOption,
  takeResult,
  withClient,
  withGlobals,
} from './cli-context.js';
import type { CliIo } from './cli-context.js';
import { addEndpointCommands } from './cli-endpoint.js';
import { withoutBytes } from './cli-output.js';
import { addLeaseCommands } from './cli-leases.js';
import { addTxnCommand } from './cli-txn.js';
import { addWatchCommand } from './cli-watch.js';
import { addMembershipCommands } from './cli-members.js';
import { runStart } from './launcher.js';
import { SERVER_VERSION } from './version.js';
import { LOG_FORMATS } from './log-view.js';
import type { LogFormat } from './log-view.js';

const GROUP_CLIENT = 'Key-value commands:';
const GROUP_CLUSTER = 'Cluster commands:';
const GROUP_SERVER = 'Server commands:';
const GROUP_TOOLS = 'Tools:';

const PROGRAM_HELP = `
Client commands find the cluster from --nats URL --cluster NAME (or FLEXPAXOS_NATS and
FLEXPAXOS_CLUSTER), else from DIR/cluster.json of a local cluster (--dir DIR, default
.flexpaxos, written by \`flexpaxos start\`). Global options go before or after the command.

Exit codes:
  0  success
  1  the operation failed: timeout, unavailable, refused, a compare-and-set that did not
     match, an unhealthy or unreachable endpoint
  2  usage or configuration error: unknown command or option, missing or bad argument,
     invalid node configuration (the message names the problem; nothing started)

Examples:
  $ flexpaxos start                              # local cluster in .flexpaxos (Ctrl-C stops it)
  $ flexpaxos put greeting hello
  $ flexpaxos get greeting --read quorum
  $ flexpaxos --dir .flexpaxos status -w table
  $ flexpaxos --nats nats://127.0.0.1:4222 --cluster demo endpoint health
  $ flexpaxos put --help
`;

function addKvCommands(program: Command, io: CliIo): void {
  const put = withGlobals(
    program
      .command('put')
      .helpGroup(GROUP_CLIENT)
      .summary('write a value')
      .description('Write VALUE at KEY; prints the key, its new version and the revision.')
      .argument('<key>', 'the key')
      .argument('<value>', 'the value (text)')
      .addOption(
        new Option(
          '--lease <id>',
          'attach the key to this lease (deleted with it); without, the key is detached from any',
        ).argParser(intAtLeast(1)),
      ),
    CLIENT_GLOBALS,
  );
  examples(put, [
    'flexpaxos put greeting hello',
    'flexpaxos put config/limit 10 --nats nats://127.0.0.1:4222 --cluster demo',
    'flexpaxos put greeting hello -w json',
    'flexpaxos put service/a 10.0.0.1 --lease 7   # deleted when lease 7 ends',
    'flexpaxos put -- -dash-key value          # a key that starts with -',
  ]);
  action(put, ([key, value], cmd) =>
    withClient(cmd, io, async (ctx) => {
      const k = key as string;
      const lease = cmd.opts<{ lease?: number }>().lease;
      const r = await ctx.client.put(k, value as string, lease === undefined ? {} : { lease });
      ctx.print(
        { key: k, ...r },
        { headers: ['key', 'version', 'revision'], rows: [[k, r.version, r.revision]] },
      );
      return 0;
    }),
  );

  const get = withGlobals(
    program
      .command('get')
      .helpGroup(GROUP_CLIENT)
      .summary('read a value')
      .description(
        'Read KEY: its value, version and revision, or `KEY: not found` (exit 0 either way).',
      )
      .argument('<key>', 'the key')
      .addOption(readOption()),
    CLIENT_GLOBALS,
  );
  examples(get, [
    'flexpaxos get greeting',
    'flexpaxos get greeting --read quorum',
    'flexpaxos get greeting --read stale -w json',
  ]);
  action(get, ([key], cmd) =>
    withClient(cmd, io, async (ctx) => {
      const k = key as string;
      const readMode = cmd.opts<{ read?: ReadMode }>().read ?? 'lease';
      const r = await ctx.client.get(k, { readMode });
      if (r === undefined) ctx.print({ key: k, found: false }, { lines: [`${k}: not found`] });
      else {
        ctx.print(
          { found: true, ...withoutBytes(r) },
          {
            headers: ['key', 'value', 'version', 'revision'],
            rows: [[r.key, r.value, r.version, r.revision]],
          },
        );
      }
      return 0;
    }),
  );

  const del = withGlobals(
    program
      .command('del')
      .helpGroup(GROUP_CLIENT)
      .summary('delete a key')
      .description('Delete KEY; prints whether it existed, its last version and the revision.')
      .argument('<key>', 'the key'),
    CLIENT_GLOBALS,
  );
  examples(del, ['flexpaxos del greeting', 'flexpaxos del greeting -w json']);
  action(del, ([key], cmd) =>
    withClient(cmd, io, async (ctx) => {
      const k = key as string;
      const r = await ctx.client.delete(k);
      ctx.print(
        { key: k, ...r },
        {
          headers: ['key', 'deleted', 'prev version', 'revision'],
          rows: [[k, r.deleted, r.prevVersion, r.revision]],
        },
      );
      return 0;
    }),
  );

  const cas = withGlobals(
    program
      .command('cas')
      .helpGroup(GROUP_CLIENT)
      .summary('compare-and-set: write only if the version matches')
      .description(
        'Write VALUE at KEY only if the key is at EXPECTED_VERSION (0: only if absent). Exit 0 when it was written, 1 when the version did not match.',
      )
      .argument('<key>', 'the key')
      .addArgument(
        new Argument('<expected-version>', 'the version the key must have (0: absent)').argParser(
          intAtLeast(0),
        ),
      )
      .argument('<value>', 'the new value'),
    CLIENT_GLOBALS,
  );
  examples(cas, [
    'flexpaxos cas greeting 1 bye             # only if greeting is at version 1',
    'flexpaxos cas lock 0 me                  # only if lock does not exist',
  ]);
  action(cas, ([key, expected, value], cmd) =>
    withClient(cmd, io, async (ctx) => {
      const k = key as string;
      const r = await ctx.client.cas(k, expected as number, value as string);
      ctx.print(
        { key: k, ...r },
        {
          headers: ['key', 'succeeded', 'version', 'revision'],
          rows: [[k, r.succeeded, r.version, r.revision]],
        },
      );
      return r.succeeded ? 0 : 1;
    }),
  );

  const range = withGlobals(
    program
      .command('range')
      .helpGroup(GROUP_CLIENT)
      .summary('list the keys under a prefix')
      .description('List the keys that start with PREFIX ("" for every key), in key order.')
      .argument('<prefix>', 'the key prefix ("" matches every key)')
      .addOption(readOption())
      .addOption(
        new Option('--limit <n>', 'most keys to return (default 1000)').argParser(intAtLeast(1)),
      ),
    CLIENT_GLOBALS,
  );
  examples(range, [
    'flexpaxos range ""                        # every key',
    'flexpaxos range config/ --limit 10',
    'flexpaxos range user/ --read stale -w simple',
  ]);
  action(range, ([prefix], cmd) =>
    withClient(cmd, io, async (ctx) => {
      const o = cmd.opts<{ read?: ReadMode; limit?: number }>();
      const r = await ctx.client.range(prefix as string, {
        readMode: o.read ?? 'lease',
        limit: o.limit ?? 1000,
      });
      ctx.print(
        { entries: r.entries.map(withoutBytes), more: r.more },
        {
          headers: ['key', 'value', 'version', 'revision'],
          rows: r.entries.map((e) => [e.key, e.value, e.version, e.revision]),
          after: r.more ? ['(more keys match: raise --limit)'] : [],
        },
      );
      return 0;
    }),
  );

  const status = withGlobals(
    program
      .command('status')
      .helpGroup(GROUP_CLUSTER)
      .summary('one row per node that answers: role, leader, ballot, indexes, lease')
      .description(
        'Ask every node at once (the nodes that answer within 500 ms): id, role, leader, ballot, committed and applied index, lease, pid, HTTP address. Exit 1 when none answers. (`endpoint status` asks each member directly and times it.)',
      ),
    CLIENT_GLOBALS,
  );
  examples(status, [
    'flexpaxos status',
    'flexpaxos --dir .flexpaxos status -w table',
    'flexpaxos status --nats nats://127.0.0.1:4222 --cluster demo --json',
  ]);
  action(status, (_args, cmd) =>
    withClient(cmd, io, async (ctx) => {
      const nodes = await ctx.client.clusterStatus();
      ctx.print(nodes, {
        headers: ['id', 'role', 'leader', 'ballot', 'committed', 'applied', 'lease', 'pid', 'http'],
        rows: nodes.map((n: NodeStatusReport) => [
          n.id,
          n.role,
          n.leader,
          n.ballot,
          n.committed,
          n.applied,
          n.lease,
          n.pid,
          n.http,
        ]),
      });
      return nodes.length > 0 ? 0 : 1;
    }),
  );
}

function addStartCommand(program: Command): void {
  const start = withGlobals(
    program
      .command('start')
      .helpGroup(GROUP_SERVER)
      .summary('run a local cluster: nats-server and N nodes, until Ctrl-C (pnpm start)')
      .description(
        'Run a local cluster: nats-server on a free port and N nodes with data in DIR (kept across restarts), until Ctrl-C or SIGTERM (nodes drain, then nats-server stops). Writes DIR/cluster.json, which client commands read (--dir). A later start on the same DIR restarts the same cluster. Flags after -- go to every node (flexpaxos node settings).',
      )
      .usage('[options] [-- node settings...]')
      .addOption(
        new Option('--nodes <N>', 'nodes of a new cluster (default 3)').argParser(intAtLeast(1)),
      )
      .addOption(
        new Option('--replication <P>', 'P of a new cluster (default a majority)').argParser(
          intAtLeast(1),
        ),
      )
      .addOption(
        new Option('--election <L>', 'L of a new cluster (default N - P + 1)').argParser(
          intAtLeast(1),
        ),
      )
      .addOption(
        new Option(
          '--nats-server <path>',
          'the nats-server binary (else $NATS_SERVER, PATH, /usr/sbin, ...)',
        ),
      )
      .addOption(
        new Option('--log-level <level>', "the nodes' log level (default info)").choices([
          'debug',
          'info',
          'warn',
          'error',
        ]),
      )
      .addOption(
        new Option(
          '--log-format <format>',
          "how the nodes' log lines are shown: pretty (default on a terminal), json (default otherwise) or none",
        ).choices(LOG_FORMATS),
      )
      .addOption(
        new Option(
          '--leader-timeout-ms <ms>',
          'how long to wait for a leader (default 30000)',
        ).argParser(intAtLeast(1)),
      )
      .addOption(
        new Option(
          '--add-node',
          'ask the launcher running on --dir for one more node (started with --join, then added)',
        ),
      )
      .argument('[node-settings...]', 'after --: flexpaxos node settings for every node'),
    ['dir'],
  );
  examples(start, [
    'flexpaxos start                                   # 3 nodes, data in .flexpaxos',
    'flexpaxos start --nodes 5 --replication 2 --dir /tmp/fp5',
    'flexpaxos start --dir /tmp/fp5 --add-node         # from another terminal',
    'flexpaxos start -- --lease-duration-ms 200        # node settings after --',
  ]);
  action(start, (args, cmd) => {
    // Only what follows `--` goes to the nodes; a stray argument before it is a mistake.
    const raw = (program as unknown as { rawArgs: readonly string[] }).rawArgs;
    const dashes = raw.indexOf('--');
    const nodeArgs = dashes < 0 ? [] : raw.slice(dashes + 1);
    const operands = (args[0] as readonly string[] | undefined) ?? [];
    if (operands.length !== nodeArgs.length) {
      cmd.error(`error: unexpected argument '${operands[0] ?? ''}' (node settings go after --)`, {
        exitCode: USAGE_EXIT,
        code: 'flexpaxos.usage',
      });
    }
    const o = cmd.opts<{
      nodes?: number;
      replication?: number;
      election?: number;
      natsServer?: string;
      logLevel?: string;
      logFormat?: LogFormat;
      leaderTimeoutMs?: number;
      addNode?: boolean;
    }>();
    return runStart({ ...o, dir: globals(cmd).dir, nodeArgs });
  });
}

/** Every command says how to get its help after a usage error. */
function hintOnErrors(cmd: Command): void {
  cmd.showHelpAfterError(`(run '${fullName(cmd)} --help' for usage)`);
  for (const c of cmd.commands) hintOnErrors(c);
}

/** The whole command tree, writing to `io`; parse errors throw `CommanderError`. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('flexpaxos');
  program
    .description(
      'FlexPaxos: a replicated, strongly consistent key-value store on Multi-Paxos with flexible quorums and a leader lease.',
    )
    .version(SERVER_VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      outputError: (s, write) => write(s),
    });
  withGlobals(program);
  program.addHelpText('after', PROGRAM_HELP);
  addKvCommands(program, io);
  addTxnCommand(program, io, GROUP_CLIENT);
  addLeaseCommands(program, io, GROUP_CLIENT);
  addWatchCommand(program, io, GROUP_CLIENT);
  addMembershipCommands(program, io, GROUP_CLUSTER);
  addEndpointCommands(program, io, GROUP_CLUSTER);
  addStartCommand(program);
  addNodeCommand(program, io, GROUP_SERVER);
  addConfigCommand(program, io, GROUP_TOOLS);
  addCompletionCommand(program, io, GROUP_TOOLS);
  program.commandsGroup(GROUP_TOOLS).helpCommand('help [command]', 'show the help of a command');
  hintOnErrors(program);
  return program;
}

const defaultIo: CliIo = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  env: process.env,
};

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const program = buildProgram(io);
  try {
    const [first, second] = argv;
    if (
      first === 'help' &&
      second !== undefined &&
      !program.commands.some((c) => c.name() === second)
    )
      program.error(`error: unknown command '${second}'`, { exitCode: USAGE_EXIT });
    await program.parseAsync([...argv], { from: 'user' });
    return takeResult().code;
  } catch (err) {
    const { path } = takeResult();
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : USAGE_EXIT;
    const where = path === '' ? 'flexpaxos' : `flexpaxos ${path}`;
    if (err instanceof FlexPaxosClientError) {
      io.err(`${where}: ${err.name} (${err.code}): ${err.message}\n`);
      return 1;
    }
    io.err(`${where}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
