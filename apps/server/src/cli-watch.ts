/**
 * `flexpaxos watch KEY|PREFIX`: prints every change as it is applied, one line per event, until
 * Ctrl-C (or `--count N` events). The client resumes the watch at another node when its node
 * fails, so the lines have no gap and no repeat.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { WatchCompactedError } from '@flexpaxos/client';
import type { WatchEvent } from '@flexpaxos/client';
import type { CliIo } from './cli-context.js';
import { withoutBytes } from './cli-output.js';
import {
  CLIENT_GLOBALS,
  action,
  examples,
  globals,
  intAtLeast,
  withClient,
  withGlobals,
} from './cli-context.js';

/** One event as a line of text: `put KEY VALUE (rev R, ver V)` or `delete KEY (rev R)`. */
export function eventLine(ev: WatchEvent): string {
  const prev = ev.prev === undefined ? '' : `, prev ${JSON.stringify(ev.prev.value)}`;
  return ev.type === 'put'
    ? `put ${ev.key} ${ev.value} (rev ${ev.revision}, ver ${ev.version}${ev.lease === 0 ? '' : `, lease ${ev.lease}`}${prev})`
    : `delete ${ev.key} (rev ${ev.revision}${prev})`;
}

/** The JSON form of one event (bytes fields dropped). */
function eventJson(ev: WatchEvent): unknown {
  const { prev, ...rest } = withoutBytes(ev);
  return prev === undefined ? rest : { ...rest, prev: withoutBytes(prev) };
}

/** Adds `flexpaxos watch`. */
export function addWatchCommand(program: Command, io: CliIo, group: string): void {
  const watch = withGlobals(
    program
      .command('watch')
      .helpGroup(group)
      .summary('print the changes of a key or prefix as they happen')
      .description(
        'Print every put and delete of KEY (with --prefix: of every key starting with it; "" with --prefix: every key) as it is applied, one line per event, in revision order, each once, until Ctrl-C. With --from-revision R it starts at revision R (history permitting). Exit 0 on Ctrl-C or after --count events, 1 when the start is older than every node keeps (compacted).',
      )
      .argument('<key>', 'the key, or the prefix with --prefix')
      .addOption(new Option('--prefix', 'watch every key that starts with KEY'))
      .addOption(
        new Option(
          '--from-revision <r>',
          'first revision to print (default: from now on)',
        ).argParser(intAtLeast(1)),
      )
      .addOption(new Option('--prev-kv', 'show the value before each change'))
      .addOption(new Option('--count <n>', 'exit after this many events').argParser(intAtLeast(1)))
      .addOption(
        new Option('--node <id>', 'the node to watch at first (any node serves watches)').argParser(
          intAtLeast(1),
        ),
      ),
    CLIENT_GLOBALS,
  );
  examples(watch, [
    'flexpaxos watch --prefix app/             # until Ctrl-C',
    'flexpaxos watch greeting --from-revision 1 --prev-kv',
    'flexpaxos watch --prefix "" -w json       # every key, one JSON object per line',
    'flexpaxos watch --prefix jobs/ --count 1  # wait for the next job',
  ]);
  action(watch, ([key], cmd) =>
    withClient(cmd, io, async (ctx) => {
      const o = cmd.opts<{
        prefix?: boolean;
        fromRevision?: number;
        prevKv?: boolean;
        count?: number;
        node?: number;
      }>();
      const json = globals(cmd).format === 'json';
      const abort = new AbortController();
      const onSignal = (): void => abort.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let seen = 0;
      try {
        const w = ctx.client.watch(key as string, {
          prefix: o.prefix === true,
          prevKv: o.prevKv === true,
          signal: abort.signal,
          ...(o.fromRevision === undefined ? {} : { fromRevision: o.fromRevision }),
          ...(o.node === undefined ? {} : { node: o.node }),
        });
        for await (const ev of w) {
          io.out(json ? `${JSON.stringify(eventJson(ev))}\n` : `${eventLine(ev)}\n`);
          seen++;
          if (o.count !== undefined && seen >= o.count) break;
        }
        return 0;
      } catch (err) {
        if (abort.signal.aborted) return 0;
        if (err instanceof WatchCompactedError) {
          io.err(
            `flexpaxos watch: revision ${o.fromRevision ?? '?'} is no longer kept; the oldest available is ${err.compactRevision} (use --from-revision ${err.compactRevision} or later)\n`,
          );
          return 1;
        }
        throw err;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    }),
  );
}
