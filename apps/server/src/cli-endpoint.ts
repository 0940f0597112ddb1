/**
 * `flexpaxos endpoint status` and `flexpaxos endpoint health` (after etcdctl's): one status
 * request to each node's own subject, timed.
 *
 * The nodes asked are the voters and learners of the configuration in force (as the nodes that
 * answer the cluster-wide status request report it) plus any other node that answers, so a
 * member that is down shows as unreachable instead of missing.
 */
import type { Command } from 'commander';
import type { FlexPaxosClient, NodeStatusReport } from '@flexpaxos/client';
import {
  CLIENT_GLOBALS,
  DEFAULT_TIMEOUT_MS,
  action,
  examples,
  withClient,
  withGlobals,
} from './cli-context.js';
import type { CliIo, ClientContext } from './cli-context.js';
import { humanBytes, humanMs } from './cli-output.js';
import { memberRows } from './cli-members.js';

/** One node's answer (or not) to a timed status request. */
export interface EndpointProbe {
  readonly id: number;
  /** Round trip of the status request in ms (the time waited when it failed). */
  readonly latencyMs: number;
  readonly status: NodeStatusReport | null;
  /** Why there is no status: `<ErrorName>: <message>`; null when it answered. */
  readonly error: string | null;
}

/** Asks every member (and every other node that answers) for its status, each on its own subject. */
export async function probeEndpoints(
  client: FlexPaxosClient,
  timeoutMs: number,
): Promise<EndpointProbe[]> {
  const { rows } = memberRows(await client.clusterStatus());
  const ids = [...new Set(rows.map((r) => r.id))].sort((a, b) => a - b);
  return await Promise.all(
    ids.map(async (id): Promise<EndpointProbe> => {
      const t0 = performance.now();
      try {
        const status = await client.status(id, { timeoutMs });
        return { id, latencyMs: performance.now() - t0, status, error: null };
      } catch (err) {
        const e = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        return { id, latencyMs: performance.now() - t0, status: null, error: e };
      }
    }),
  );
}

/** Whether a probe counts as healthy: the node answered and knows a leader. */
export function healthOf(p: EndpointProbe): { healthy: boolean; error: string | null } {
  if (p.status === null) return { healthy: false, error: p.error ?? 'no answer' };
  if (p.status.leader === null) return { healthy: false, error: 'no leader known' };
  return { healthy: true, error: null };
}

const round1 = (ms: number): number => Math.round(ms * 10) / 10;

async function endpointStatus(ctx: ClientContext): Promise<number> {
  const probes = await probeEndpoints(ctx.client, ctx.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  ctx.print(
    probes.map((p) => ({ ...p, latencyMs: round1(p.latencyMs) })),
    {
      headers: [
        'id',
        'role',
        'ballot',
        'leader',
        'committed',
        'applied',
        'lease',
        'db size',
        'latency',
      ],
      rows: probes.map((p) => {
        const s = p.status;
        return s === null
          ? [p.id, 'unreachable', null, null, null, null, null, null, humanMs(p.latencyMs)]
          : [
              p.id,
              s.role,
              s.ballot,
              s.leader,
              s.committed,
              s.applied,
              s.lease,
              humanBytes(s.dbBytes),
              humanMs(p.latencyMs),
            ];
      }),
    },
  );
  for (const p of probes) {
    if (p.status === null)
      ctx.io.err(`flexpaxos endpoint status: node ${p.id}: ${p.error ?? ''}\n`);
  }
  return probes.every((p) => p.status !== null) ? 0 : 1;
}

async function endpointHealth(ctx: ClientContext): Promise<number> {
  const probes = await probeEndpoints(ctx.client, ctx.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const health = probes.map((p) => ({ id: p.id, tookMs: round1(p.latencyMs), ...healthOf(p) }));
  ctx.print(health, {
    lines: health.map(
      (h) =>
        `node ${h.id} is ${h.healthy ? 'healthy' : 'unhealthy'}: took ${humanMs(h.tookMs)}${h.error === null ? '' : `: ${h.error}`}`,
    ),
  });
  return health.every((h) => h.healthy) ? 0 : 1;
}

/** Adds `endpoint status` and `endpoint health` to `program`. */
export function addEndpointCommands(program: Command, io: CliIo, group: string): void {
  const endpoint = withGlobals(
    program
      .command('endpoint')
      .helpGroup(group)
      .summary("every node's status or health, asked of each node directly")
      .description(
        'Ask every member (voters and learners of the configuration in force, and any other node that answers) directly: `endpoint status` or `endpoint health`.',
      ),
    CLIENT_GLOBALS,
  );
  examples(endpoint, ['flexpaxos endpoint status', 'flexpaxos endpoint health']);

  const status = withGlobals(
    endpoint
      .command('status')
      .summary('one row per node: role, ballot, indexes, lease, db size, latency')
      .description(
        'One row per node: id, role, ballot, leader, committed and applied index, lease, db size (RocksDB SST files plus memtables) and the round trip of its status request. Exit 1 when a member does not answer (within --timeout-ms).',
      ),
    CLIENT_GLOBALS,
  );
  examples(status, [
    'flexpaxos endpoint status',
    'flexpaxos endpoint status -w json',
    'flexpaxos --nats nats://127.0.0.1:4222 --cluster demo endpoint status --timeout-ms 1000',
  ]);
  action(status, (_args, cmd) => withClient(cmd, io, endpointStatus));

  const health = withGlobals(
    endpoint
      .command('health')
      .summary('one line per node: healthy or unhealthy, how long it took')
      .description(
        'One line per node: healthy (it answered and knows a leader) or unhealthy, how long its status request took, and the error. Exit 1 when any is unhealthy.',
      ),
    CLIENT_GLOBALS,
  );
  examples(health, [
    'flexpaxos endpoint health',
    'flexpaxos endpoint health --timeout-ms 1000 -w json',
  ]);
  action(health, (_args, cmd) => withClient(cmd, io, endpointHealth));
}
