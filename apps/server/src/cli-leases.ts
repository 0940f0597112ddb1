/**
 * `flexpaxos lease grant|keepalive|revoke|timetolive|list`: key leases (etcd's model; keys put
 * with `--lease ID` are deleted when the lease is revoked or expires).
 */
import type { Command } from 'commander';
import { Argument, Option } from 'commander';
import type { ReadMode } from '@flexpaxos/client';
import type { CliIo } from './cli-context.js';
import {
  CLIENT_GLOBALS,
  action,
  examples,
  intAtLeast,
  readOption,
  usage,
  withClient,
  withGlobals,
} from './cli-context.js';

/** A TTL: bare seconds (etcdctl's form) or with a unit: `500ms`, `10s`, `2m`. */
export function parseTtlMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (m === null)
    throw new Error(
      `TTL must be seconds or have a unit (500ms, 10s, 2m), got ${JSON.stringify(text)}`,
    );
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  if (!Number.isSafeInteger(ms) || ms < 1)
    throw new Error(`TTL must be a whole number of ms of at least 1, got ${JSON.stringify(text)}`);
  return ms;
}

const leaseArg = (): Argument =>
  new Argument('<id>', 'the lease id (from lease grant)').argParser(intAtLeast(1));

/** A duration for people: `10s`, `1500ms`. */
function ttlText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.round(ms)}ms`;
}

/** Adds the `lease` command and its subcommands. */
export function addLeaseCommands(program: Command, io: CliIo, group: string): void {
  const lease = program
    .command('lease')
    .helpGroup(group)
    .summary('key leases: grant, keepalive, revoke, timetolive, list')
    .description(
      'Key leases (etcd v3 model): a lease has a TTL; keys put with --lease ID are deleted when it is revoked or expires. Expiry is decided by the leader and goes through the log; a new leader extends every lease by its election time.',
    );
  examples(lease, [
    'flexpaxos lease grant 10                  # TTL 10 s; prints the lease id',
    'flexpaxos put service/a 10.0.0.1 --lease 7',
    'flexpaxos lease keepalive 7               # until Ctrl-C',
    'flexpaxos lease timetolive 7 --keys',
  ]);

  const grant = withGlobals(
    lease
      .command('grant')
      .summary('create a lease')
      .description('Create a lease with TTL (seconds, or with a unit: 500ms, 10s, 2m).')
      .argument('<ttl>', 'time to live: seconds, or 500ms, 10s, 2m'),
    CLIENT_GLOBALS,
  );
  examples(grant, ['flexpaxos lease grant 10', 'flexpaxos lease grant 1500ms -w json']);
  action(grant, ([ttl], cmd) => {
    let ttlMs: number;
    try {
      ttlMs = parseTtlMs(ttl as string);
    } catch (err) {
      usage(cmd, (err as Error).message);
    }
    return withClient(cmd, io, async (ctx) => {
      const r = await ctx.client.leaseGrant(ttlMs);
      ctx.print(r, { lines: [`lease ${r.lease} granted with TTL ${ttlText(r.ttlMs)}`] });
      return 0;
    });
  });

  const keepalive = withGlobals(
    lease
      .command('keepalive')
      .summary('keep a lease alive')
      .description(
        'Renew the lease at the leader every TTL/3 until Ctrl-C (or once with --once). Exit 1 when the lease is gone.',
      )
      .addArgument(leaseArg())
      .addOption(new Option('--once', 'renew once and exit')),
    CLIENT_GLOBALS,
  );
  examples(keepalive, ['flexpaxos lease keepalive 7', 'flexpaxos lease keepalive 7 --once']);
  action(keepalive, ([id], cmd) =>
    withClient(cmd, io, async (ctx) => {
      const leaseId = id as number;
      const once = cmd.opts<{ once?: boolean }>().once === true;
      const first = await ctx.client.leaseKeepalive(leaseId);
      ctx.print(first, { lines: [`lease ${leaseId} kept alive with TTL ${ttlText(first.ttlMs)}`] });
      if (once) return 0;
      const every = Math.max(100, Math.floor(first.ttlMs / 3));
      let stop: () => void = () => undefined;
      const stopped = new Promise<void>((resolve) => (stop = resolve));
      const onSignal = (): void => stop();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        for (;;) {
          const tick = await Promise.race([
            new Promise<'tick'>((r) => setTimeout(() => r('tick'), every).unref()),
            stopped.then(() => 'stop' as const),
          ]);
          if (tick === 'stop') return 0;
          const r = await ctx.client.leaseKeepalive(leaseId);
          ctx.print(r, { lines: [`lease ${leaseId} kept alive with TTL ${ttlText(r.ttlMs)}`] });
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    }),
  );

  const revoke = withGlobals(
    lease.command('revoke').summary('revoke a lease and delete its keys').addArgument(leaseArg()),
    CLIENT_GLOBALS,
  );
  examples(revoke, ['flexpaxos lease revoke 7']);
  action(revoke, ([id], cmd) =>
    withClient(cmd, io, async (ctx) => {
      const r = await ctx.client.leaseRevoke(id as number);
      ctx.print(
        { lease: id, ...r },
        {
          lines: [
            `lease ${String(id)} revoked: ${r.deleted} keys deleted at revision ${r.revision}`,
          ],
        },
      );
      return 0;
    }),
  );

  const ttl = withGlobals(
    lease
      .command('timetolive')
      .alias('ttl')
      .summary("a lease's TTL, time remaining and keys")
      .addArgument(leaseArg())
      .addOption(new Option('--keys', 'list the keys attached to the lease'))
      .addOption(readOption()),
    CLIENT_GLOBALS,
  );
  examples(ttl, ['flexpaxos lease timetolive 7', 'flexpaxos lease ttl 7 --keys -w json']);
  action(ttl, ([id], cmd) =>
    withClient(cmd, io, async (ctx) => {
      const o = cmd.opts<{ keys?: boolean; read?: ReadMode }>();
      const r = await ctx.client.leaseTtl(id as number, {
        keys: o.keys === true,
        readMode: o.read ?? 'lease',
      });
      ctx.print(r, {
        lines: [
          `lease ${r.lease}: TTL ${ttlText(r.ttlMs)}, remaining ${r.remainingMs === undefined ? 'unknown (ask the leader: --read lease)' : ttlText(r.remainingMs)}, granted at revision ${r.grantedRevision}`,
          ...(o.keys === true
            ? [`keys: ${r.keys.length === 0 ? '(none)' : r.keys.join(' ')}`]
            : []),
        ],
      });
      return 0;
    }),
  );

  const list = withGlobals(
    lease.command('list').summary('every lease with its TTL').addOption(readOption()),
    CLIENT_GLOBALS,
  );
  examples(list, ['flexpaxos lease list', 'flexpaxos lease list -w json']);
  action(list, (_args, cmd) =>
    withClient(cmd, io, async (ctx) => {
      const r = await ctx.client.leaseList({
        readMode: cmd.opts<{ read?: ReadMode }>().read ?? 'lease',
      });
      ctx.print(r, {
        headers: ['lease', 'ttl'],
        rows: r.leases.map((l) => [l.lease, ttlText(l.ttlMs)]),
        after: r.leases.length === 0 ? ['(no leases)'] : [],
      });
      return 0;
    }),
  );
}
