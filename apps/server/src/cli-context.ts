/**
 * What every `flexpaxos` command shares: the global options (accepted before or after the
 * command: the program and every command define them, `optsWithGlobals` merges them with the
 * nearest one winning), usage errors (exit 2), the action wrapper that carries a command's exit
 * code out of commander, and the client connection of the client commands.
 */
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { FlexPaxosClient } from '@flexpaxos/client';
import type { ReadMode } from '@flexpaxos/client';
import { ClusterTargetUsageError, resolveClusterTarget } from './cluster-file.js';
import { WRITE_OUT_FORMATS, render } from './cli-output.js';
import type { View, WriteOut } from './cli-output.js';

/** Where the CLI writes, and the environment it reads. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The global options, as flags name them. */
export const GLOBAL_OPTIONS = [
  'dir',
  'nats',
  'cluster',
  'json',
  'write-out',
  'timeout-ms',
] as const;
/** One global option. */
export type GlobalOption = (typeof GLOBAL_OPTIONS)[number];
/** The global options of the commands that talk to a cluster: all of them. */
export const CLIENT_GLOBALS: readonly GlobalOption[] = GLOBAL_OPTIONS;

/** The help heading of the global options. */
export const GLOBAL_HELP_GROUP = 'Global options:';

/** Default deadline of a client call. */
export const DEFAULT_TIMEOUT_MS = 5000;

const READ_MODES: readonly ReadMode[] = ['lease', 'quorum', 'stale'];

/** `--read lease|quorum|stale` of the read commands. */
export function readOption(): Option {
  return new Option(
    '--read <mode>',
    'lease (default: the leader answers while its lease holds), quorum (confirms leadership first) or stale (any node, may be behind)',
  ).choices(READ_MODES);
}

/** Commander argument parser: an integer >= `min`. */
export function intAtLeast(min: number): (value: string) => number {
  return (value: string): number => {
    if (
      !/^-?\d+$/.test(value.trim()) ||
      !Number.isSafeInteger(Number(value)) ||
      Number(value) < min
    )
      throw new InvalidArgumentError(`must be an integer >= ${min}.`);
    return Number(value);
  };
}

/** A new instance of global option `name` (commander options belong to one command). */
export function globalOption(name: GlobalOption): Option {
  const o = ((): Option => {
    switch (name) {
      case 'dir':
        return new Option(
          '--dir <dir>',
          "a local cluster's directory (its cluster.json, written by `flexpaxos start`; default .flexpaxos)",
        );
      case 'nats':
        return new Option(
          '--nats <urls>',
          'NATS URLs, comma-separated (or FLEXPAXOS_NATS); give --cluster too',
        );
      case 'cluster':
        return new Option('--cluster <name>', 'the cluster name (or FLEXPAXOS_CLUSTER)');
      case 'json':
        return new Option('--json', 'print one JSON line (same as -w json)');
      case 'write-out':
        return new Option(
          '-w, --write-out <format>',
          'output format (default table; simple: rows as comma-separated lines)',
        ).choices(WRITE_OUT_FORMATS);
      case 'timeout-ms':
        return new Option(
          '--timeout-ms <ms>',
          `deadline of each call (default ${DEFAULT_TIMEOUT_MS}; membership changes 60000)`,
        ).argParser(intAtLeast(1));
    }
  })();
  return o.helpGroup(GLOBAL_HELP_GROUP);
}

/** The global options each command accepts (the ones it was given with `withGlobals`). */
const accepted = new WeakMap<Command, readonly GlobalOption[]>();

/** Adds the global options `names` to `cmd` (all by default) and records them as accepted. */
export function withGlobals(
  cmd: Command,
  names: readonly GlobalOption[] = GLOBAL_OPTIONS,
): Command {
  for (const n of names) cmd.addOption(globalOption(n));
  return acceptGlobals(cmd, names);
}

/**
 * Records that `cmd` takes the global options `names` given before it (without adding them:
 * for a command that defines options of the same names itself, such as `node --nats`).
 */
export function acceptGlobals(cmd: Command, names: readonly GlobalOption[]): Command {
  accepted.set(cmd, names);
  return cmd;
}

const attribute = (flag: string): string =>
  flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** `put`, `members add`, ... (empty for the program itself). */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c !== null && c.parent !== null; c = c.parent)
    names.unshift(c.name());
  return names.join(' ');
}

/** The full name of `cmd` as a user types it: `flexpaxos members add`. */
export function fullName(cmd: Command): string {
  const path = commandPath(cmd);
  return path === '' ? 'flexpaxos' : `flexpaxos ${path}`;
}

/** Exit code used for usage errors. */
export const USAGE_EXIT = 2;

/** Prints `error: <message>` and the help hint of `cmd`, and ends the parse with exit 2. */
export function usage(cmd: Command, message: string): never {
  cmd.error(`error: ${message}`, { exitCode: USAGE_EXIT, code: 'flexpaxos.usage' });
}

/**
 * A global option given before the command that the command does not take (`flexpaxos
 * --json start`) is a usage error, as it would be after the command.
 */
function checkGlobals(cmd: Command): void {
  const mine = accepted.get(cmd) ?? [];
  for (let c = cmd.parent; c !== null; c = c.parent) {
    const opts = c.opts();
    for (const g of accepted.get(c) ?? []) {
      if (!mine.includes(g) && opts[attribute(g)] !== undefined) {
        usage(cmd, `option '--${g}' does not apply to '${fullName(cmd)}'`);
      }
    }
  }
}

/** The merged global options of a command. */
export interface Globals {
  readonly dir: string | undefined;
  readonly nats: string | undefined;
  readonly cluster: string | undefined;
  readonly format: WriteOut;
  /** `--timeout-ms`, undefined when not given. */
  readonly timeoutMs: number | undefined;
}

/** The global options in force for `cmd` (the nearest command's value wins). */
export function globals(cmd: Command): Globals {
  const o = cmd.optsWithGlobals<{
    dir?: string;
    nats?: string;
    cluster?: string;
    json?: boolean;
    writeOut?: WriteOut;
    timeoutMs?: number;
  }>();
  if (o.json === true && o.writeOut !== undefined && o.writeOut !== 'json')
    usage(cmd, `--json contradicts -w ${o.writeOut}`);
  return {
    dir: o.dir,
    nats: o.nats,
    cluster: o.cluster,
    format: o.json === true ? 'json' : (o.writeOut ?? 'table'),
    timeoutMs: o.timeoutMs,
  };
}

/** What the action wrapper records of the command that ran. */
const ran: { code: number; path: string } = { code: 0, path: '' };

/** The exit code of the last command action, and its path (`members add`); resets it. */
export function takeResult(): { code: number; path: string } {
  const r = { ...ran };
  ran.code = 0;
  ran.path = '';
  return r;
}

/** Sets `handler` (processed arguments, the command; resolves with the exit code) as the action. */
export function action(
  cmd: Command,
  handler: (args: readonly unknown[], cmd: Command) => Promise<number> | number,
): Command {
  return cmd.action(async (...xs: unknown[]) => {
    const c = xs[xs.length - 1] as Command;
    ran.path = commandPath(c);
    checkGlobals(c);
    ran.code = await handler(c.processedArgs as unknown[], c);
  });
}

/** Appends an Examples section (one `$ flexpaxos ...` line each, with an optional `# note`). */
export function examples(cmd: Command, lines: readonly string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}

/** What a client command gets: a connected client and how to print. */
export interface ClientContext {
  readonly client: FlexPaxosClient;
  readonly format: WriteOut;
  /** `--timeout-ms` when given. */
  readonly timeoutMs: number | undefined;
  readonly io: CliIo;
  /** Prints `json` (json format) or `view`. */
  print(json: unknown, view: View): void;
}

/**
 * Connects to the cluster the global options name (`--nats`/`--cluster`, the environment, or
 * `--dir`), runs `fn` and closes the client.
 */
export async function withClient(
  cmd: Command,
  io: CliIo,
  fn: (ctx: ClientContext) => Promise<number>,
): Promise<number> {
  const g = globals(cmd);
  let target: { servers: string[]; cluster: string };
  try {
    target = resolveClusterTarget({ nats: g.nats, cluster: g.cluster, dir: g.dir, env: io.env });
  } catch (err) {
    if (err instanceof ClusterTargetUsageError) usage(cmd, err.message);
    throw err;
  }
  const client = await FlexPaxosClient.connect({
    servers: target.servers,
    cluster: target.cluster,
    timeoutMs: g.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  try {
    return await fn({
      client,
      format: g.format,
      timeoutMs: g.timeoutMs,
      io,
      print: (json, view) => io.out(render(g.format, json, view)),
    });
  } finally {
    await client.close();
  }
}
