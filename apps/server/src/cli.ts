#!/usr/bin/env node
/**
 * The `flexpaxos` program.
 *
 * ```
 * flexpaxos start  [--nodes N] [--replication P] [--dir DIR]   # local cluster (pnpm start)
 * flexpaxos node   --id 1 --cluster demo --members 1,2,3 --nats nats://127.0.0.1:4222 --data-dir d1 [...]
 * flexpaxos put    KEY VALUE              [--dir DIR | --nats URL --cluster NAME] [--json] [--timeout-ms N]
 * flexpaxos get    KEY [--read lease|quorum|stale]
 * flexpaxos del    KEY
 * flexpaxos cas    KEY EXPECTED_VERSION VALUE
 * flexpaxos range  PREFIX [--limit N]
 * flexpaxos status
 * flexpaxos members [add ID | remove ID]       # cli-members.ts
 * flexpaxos quorum set --replication P [--election L]
 * flexpaxos leader transfer ID | leader prefer ID|none
 * ```
 *
 * Exit codes: 0 success, 1 operational failure (timeout, unavailable, refused), 2 usage or
 * config error (every problem printed, nothing started).
 *
 * Client commands find the cluster from `--nats URL --cluster NAME` (or `FLEXPAXOS_NATS` /
 * `FLEXPAXOS_CLUSTER`), else from `DIR/cluster.json` written by `flexpaxos start` (`--dir`,
 * default `.flexpaxos`).
 */
import { parseArgs } from 'node:util';
import { FlexPaxosClient, FlexPaxosClientError } from '@flexpaxos/client';
import type { NodeStatusReport, ReadMode } from '@flexpaxos/client';
import { MEMBERSHIP_COMMANDS, MembershipUsageError, runMembershipCommand } from './cli-members.js';
import { resolveClusterTarget } from './cluster-file.js';
import { CONFIG_FIELDS, formatProblems, gatherConfig, validateConfig } from './config.js';
import { START_USAGE, STOP_WITH_STDIN_ENV, runStart } from './launcher.js';
import { jsonLogger } from './logger.js';
import { FlexPaxosNode, NodeStartError } from './node.js';

const USAGE = `usage:
  ${START_USAGE}
  flexpaxos node --id N --cluster NAME --members 1,2,3 --nats URL --data-dir DIR
                 [--replication P] [--election L] [--http-port N] [--config FILE] [...]
  flexpaxos node --id N --cluster NAME --nats URL --data-dir DIR --join   (then: members add N)
  flexpaxos put KEY VALUE | get KEY | del KEY | cas KEY EXPECTED_VERSION VALUE | range PREFIX
  flexpaxos status
  flexpaxos members [add ID | remove ID]
  flexpaxos quorum set --replication P [--election L]
  flexpaxos leader transfer ID | leader prefer ID|none
client options: --dir DIR (a local cluster's DIR/cluster.json; default .flexpaxos)
                or --nats URL[,URL] --cluster NAME (or FLEXPAXOS_NATS / FLEXPAXOS_CLUSTER)
                --json --timeout-ms N (changes: default 60000) --read lease|quorum|stale --limit N
node settings (flags, FLEXPAXOS_<NAME> env, or a JSON --config file):
  ${CONFIG_FIELDS.join(' ')}`;

/** Node settings that may be given as a bare flag (`--join` means `--join true`). */
const BARE_FLAGS = new Set<string>(['join']);

class UsageError extends Error {
  override readonly name = 'UsageError';
}

async function runNode(args: string[]): Promise<number> {
  const options = Object.fromEntries(
    [...CONFIG_FIELDS, 'config'].map((f) => [
      f,
      { type: BARE_FLAGS.has(f) ? ('boolean' as const) : ('string' as const) },
    ]),
  );
  const { values, positionals, tokens } = parseArgs({ args, options, strict: false, tokens: true });
  const problems = [];
  for (const t of tokens) {
    if (t.kind === 'option' && !(t.name in options)) {
      problems.push({ field: t.name, rule: 'is not a known setting' });
    } else if (t.kind === 'option' && t.value === undefined && !BARE_FLAGS.has(t.name)) {
      problems.push({ field: t.name, rule: 'needs a value' });
    }
  }
  if (positionals.length > 0)
    problems.push({ field: 'arguments', rule: `unexpected: ${positionals.join(' ')}` });
  const gathered = gatherConfig(values, process.env);
  problems.push(...gathered.problems);
  const { config, problems: invalid } = validateConfig(gathered.raw);
  problems.push(...invalid);
  if (config === undefined || problems.length > 0) {
    process.stderr.write(
      `${formatProblems(problems)}\nflexpaxos node: invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}); nothing started\n`,
    );
    return 2;
  }
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
  process.stdout.write(
    `${JSON.stringify({ event: 'started', id: config.id, pid: process.pid, http: node.httpAddress })}\n`,
  );
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string): void => {
      log.log('info', 'signal received: draining', { signal });
      void node.stop().then(resolve);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    if (process.env[STOP_WITH_STDIN_ENV] === '1') {
      // Started by `flexpaxos start`: its stdin pipe closes when the launcher dies (even by
      // kill -9), and the node then drains instead of running on as an orphan.
      process.stdin.on('data', () => undefined);
      process.stdin.once('close', () => onSignal('stdin closed'));
      process.stdin.once('end', () => onSignal('stdin closed'));
    }
  });
  return 0;
}

function table(
  headers: readonly string[],
  rows: readonly (readonly (string | number | null | boolean)[])[],
): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return `${cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

const CLIENT_COMMANDS: readonly string[] = [
  'put',
  'get',
  'del',
  'cas',
  'range',
  'status',
  ...MEMBERSHIP_COMMANDS,
];

async function runClient(command: string, args: string[]): Promise<number> {
  if (!CLIENT_COMMANDS.includes(command)) throw new UsageError(`unknown command ${command}`);
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      nats: { type: 'string' },
      cluster: { type: 'string' },
      dir: { type: 'string' },
      json: { type: 'boolean' },
      'timeout-ms': { type: 'string' },
      read: { type: 'string' },
      limit: { type: 'string' },
      replication: { type: 'string' },
      election: { type: 'string' },
    },
  });
  const target = resolveClusterTarget({
    nats: values.nats,
    cluster: values.cluster,
    dir: values.dir,
    env: process.env,
  });
  const timeoutMs = values['timeout-ms'] === undefined ? 5000 : Number(values['timeout-ms']);
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1)
    throw new UsageError('--timeout-ms must be a positive integer');
  const readMode = (values.read ?? 'lease') as ReadMode;
  if (!['lease', 'quorum', 'stale'].includes(readMode))
    throw new UsageError('--read must be lease, quorum or stale');
  const json = values.json === true;
  const need = (n: number, names: string): void => {
    if (positionals.length !== n) throw new UsageError(`flexpaxos ${command} ${names}`);
  };
  const out = (obj: unknown, text: string): void => {
    process.stdout.write(json ? `${JSON.stringify(obj)}\n` : text);
  };
  const client = await FlexPaxosClient.connect({
    servers: target.servers,
    cluster: target.cluster,
    timeoutMs,
  });
  try {
    if ((MEMBERSHIP_COMMANDS as readonly string[]).includes(command)) {
      return await runMembershipCommand({
        client,
        command,
        positionals,
        replication: values.replication,
        election: values.election,
        timeoutMs: values['timeout-ms'] === undefined ? undefined : timeoutMs,
        out,
      });
    }
    const [a, b, c] = positionals as [string, string, string];
    switch (command) {
      case 'put': {
        need(2, 'KEY VALUE');
        const r = await client.put(a, b);
        out({ key: a, ...r }, table(['key', 'version', 'revision'], [[a, r.version, r.revision]]));
        return 0;
      }
      case 'get': {
        need(1, 'KEY');
        const r = await client.get(a, { readMode });
        if (r === undefined) out({ key: a, found: false }, `${a}: not found\n`);
        else {
          const { valueBytes: _v, ...rest } = r;
          out(
            { found: true, ...rest },
            table(
              ['key', 'value', 'version', 'revision'],
              [[r.key, r.value, r.version, r.revision]],
            ),
          );
        }
        return 0;
      }
      case 'del': {
        need(1, 'KEY');
        const r = await client.delete(a);
        out(
          { key: a, ...r },
          table(
            ['key', 'deleted', 'prev version', 'revision'],
            [[a, r.deleted, r.prevVersion, r.revision]],
          ),
        );
        return 0;
      }
      case 'cas': {
        need(3, 'KEY EXPECTED_VERSION VALUE');
        const expected = Number(b);
        if (!Number.isSafeInteger(expected) || expected < 0)
          throw new UsageError('EXPECTED_VERSION must be an integer >= 0');
        const r = await client.cas(a, expected, c);
        out(
          { key: a, ...r },
          table(
            ['key', 'succeeded', 'version', 'revision'],
            [[a, r.succeeded, r.version, r.revision]],
          ),
        );
        return r.succeeded ? 0 : 1;
      }
      case 'range': {
        need(1, 'PREFIX');
        const limit = values.limit === undefined ? 1000 : Number(values.limit);
        const r = await client.range(a, { readMode, limit });
        out(
          { entries: r.entries.map(({ valueBytes: _v, ...e }) => e), more: r.more },
          table(
            ['key', 'value', 'version', 'revision'],
            r.entries.map((e) => [e.key, e.value, e.version, e.revision]),
          ) + (r.more ? '(more keys match: raise --limit)\n' : ''),
        );
        return 0;
      }
      case 'status': {
        need(0, '');
        const nodes = await client.clusterStatus();
        out(
          nodes,
          table(
            ['id', 'role', 'leader', 'ballot', 'committed', 'applied', 'lease', 'pid', 'http'],
            nodes.map((n: NodeStatusReport) => [
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
          ),
        );
        return nodes.length > 0 ? 0 : 1;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } finally {
    await client.close();
  }
}

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    }
    if (command === 'node') return await runNode(rest);
    if (command === 'start') return await runStart(rest);
    return await runClient(command, rest);
  } catch (err) {
    if (
      err instanceof UsageError ||
      err instanceof MembershipUsageError ||
      (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true
    ) {
      process.stderr.write(`flexpaxos: ${(err as Error).message}\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof FlexPaxosClientError) {
      process.stderr.write(`flexpaxos ${command}: ${err.name} (${err.code}): ${err.message}\n`);
      return 1;
    }
    process.stderr.write(
      `flexpaxos ${command}: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`flexpaxos: ${String(err)}\n`);
    process.exit(1);
  },
);
