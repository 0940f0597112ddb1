/**
 * The membership commands of the `flexpaxos` program:
 *
 * ```
 * flexpaxos members                           # id, role (leader / voter / learner), up, behind
 * flexpaxos members add ID                    # ID runs with --join; learner first, then voter
 * flexpaxos members remove ID
 * flexpaxos quorum set --replication P [--election L]
 * flexpaxos leader transfer ID
 * flexpaxos leader prefer ID|none
 * ```
 *
 * A change waits until it is in force and prints the new configuration (exit 0); a refused
 * change exits 1 with the rule it breaks (the client's `RejectedError`, reason `refused`).
 */
import type { Command } from 'commander';
import { Argument, InvalidArgumentError, Option } from 'commander';
import type { AdminReply, ConfigReport, NodeStatusReport } from '@flexpaxos/client';
import {
  CLIENT_GLOBALS,
  action,
  examples,
  intAtLeast,
  withClient,
  withGlobals,
} from './cli-context.js';
import type { CliIo, ClientContext } from './cli-context.js';

/** A node id argument: an integer >= 1. */
const nodeIdArg = (name = 'id', what = 'the node id'): Argument =>
  new Argument(`<${name}>`, what).argParser(intAtLeast(1));

/** The call options of a change: `--timeout-ms` when given, else the client's admin default. */
const call = (ctx: ClientContext): { timeoutMs?: number } =>
  ctx.timeoutMs === undefined ? {} : { timeoutMs: ctx.timeoutMs };

/** Adds `members`, `quorum` and `leader` (with their subcommands) to `program`. */
export function addMembershipCommands(program: Command, io: CliIo, group: string): void {
  const members = withGlobals(
    program
      .command('members')
      .helpGroup(group)
      .summary('the configuration in force and one row per member; add or remove members')
      .description(
        'Print the configuration in force (N, P, L, voters, learners, a pending change) and one row per member: id, role (leader, voter, learner, not a member), up, committed, behind (slots behind the leader).',
      ),
    CLIENT_GLOBALS,
  );
  examples(members, [
    'flexpaxos members',
    'flexpaxos members --nats nats://127.0.0.1:4222 --cluster demo -w json',
    'flexpaxos members add 4        # node 4 runs with --join',
    'flexpaxos members remove 2',
  ]);
  action(members, (_args, cmd) => withClient(cmd, io, listMembers));

  const add = withGlobals(
    members
      .command('add')
      .summary('add a node started with --join (learner first, then voter)')
      .description(
        'Add a node (started with --join) to the configuration: a learner first, a voter once caught up; waits until the change is in force.',
      )
      .addArgument(nodeIdArg('id', 'the id of the node to add')),
    CLIENT_GLOBALS,
  );
  examples(add, ['flexpaxos members add 4', 'flexpaxos members add 4 --timeout-ms 120000']);
  action(add, ([id], cmd) =>
    withClient(cmd, io, async (ctx) =>
      printReply(ctx, await ctx.client.addMember(id as number, call(ctx))),
    ),
  );

  const remove = withGlobals(
    members
      .command('remove')
      .summary('remove a member')
      .description('Remove a member from the configuration; waits until the change is in force.')
      .addArgument(nodeIdArg('id', 'the id of the member to remove')),
    CLIENT_GLOBALS,
  );
  examples(remove, ['flexpaxos members remove 2', 'flexpaxos members remove 2 -w json']);
  action(remove, ([id], cmd) =>
    withClient(cmd, io, async (ctx) =>
      printReply(ctx, await ctx.client.removeMember(id as number, call(ctx))),
    ),
  );

  const quorum = withGlobals(
    program
      .command('quorum')
      .helpGroup(group)
      .summary('change the quorum sizes P and L of the running cluster')
      .description('Change the quorum sizes of the running cluster (`quorum set`).'),
    CLIENT_GLOBALS,
  );
  examples(quorum, ['flexpaxos quorum set --replication 3']);
  const set = withGlobals(
    quorum
      .command('set')
      .summary('set P (and L) through a joint configuration')
      .description(
        'Set P (phase-2, replication) and L (phase-1, election; default N - P + 1) through a joint configuration; waits until in force. L + P must exceed N.',
      )
      .addOption(
        new Option('--replication <P>', 'P: the phase-2 (replication) quorum size')
          .argParser(intAtLeast(1))
          .makeOptionMandatory(),
      )
      .addOption(
        new Option(
          '--election <L>',
          'L: the phase-1 (election) quorum size (default N - P + 1)',
        ).argParser(intAtLeast(1)),
      ),
    CLIENT_GLOBALS,
  );
  examples(set, [
    'flexpaxos quorum set --replication 3',
    'flexpaxos quorum set --replication 2 --election 4   # N=5: fast writes, elections need 4',
  ]);
  action(set, (_args, cmd) =>
    withClient(cmd, io, async (ctx) => {
      const o = cmd.opts<{ replication: number; election?: number }>();
      return printReply(
        ctx,
        await ctx.client.setQuorum(
          {
            replication: o.replication,
            ...(o.election === undefined ? {} : { election: o.election }),
          },
          call(ctx),
        ),
      );
    }),
  );

  const leader = withGlobals(
    program
      .command('leader')
      .helpGroup(group)
      .summary('move leadership to a node, or set the preferred leader')
      .description(
        'Move leadership (`leader transfer`) or set the preferred leader (`leader prefer`).',
      ),
    CLIENT_GLOBALS,
  );
  examples(leader, ['flexpaxos leader transfer 2', 'flexpaxos leader prefer none']);
  const transfer = withGlobals(
    leader
      .command('transfer')
      .summary('move leadership to a caught-up voter')
      .description('Move leadership to a caught-up voter now.')
      .addArgument(nodeIdArg('id', 'the voter to lead')),
    CLIENT_GLOBALS,
  );
  examples(transfer, ['flexpaxos leader transfer 2']);
  action(transfer, ([id], cmd) =>
    withClient(cmd, io, async (ctx) =>
      printReply(ctx, await ctx.client.transferLeader(id as number, call(ctx))),
    ),
  );
  const prefer = withGlobals(
    leader
      .command('prefer')
      .summary('set or clear (none) the preferred leader')
      .description(
        'Set the preferred leader: the cluster moves leadership to it whenever it is healthy and caught up; `none` clears it.',
      )
      .addArgument(
        new Argument('<id|none>', 'the preferred voter, or none').argParser((v) => {
          if (v === 'none') return null;
          try {
            return intAtLeast(1)(v);
          } catch {
            throw new InvalidArgumentError('must be a node id (an integer >= 1) or none.');
          }
        }),
      ),
    CLIENT_GLOBALS,
  );
  examples(prefer, ['flexpaxos leader prefer 2', 'flexpaxos leader prefer none']);
  action(prefer, ([id], cmd) =>
    withClient(cmd, io, async (ctx) =>
      printReply(ctx, await ctx.client.preferLeader(id as number | null, call(ctx))),
    ),
  );
}

/** One line: `N=5 P=2 L=4 [1,2,3,4,5] learners [6] preferred 2 index 41`. */
export function describeConfigReport(c: ConfigReport): string {
  const parts = [c.quorum.text];
  if (c.joint !== null) parts.push(`(joint with ${c.joint.text})`);
  if (c.learners.length > 0) parts.push(`learners [${c.learners.join(',')}]`);
  if (c.preferredLeader !== null) parts.push(`preferred leader ${c.preferredLeader}`);
  if (c.restore !== null) parts.push(`subset of ${c.restore}`);
  parts.push(`index ${c.index}`);
  return parts.join(' ');
}

function printReply(ctx: ClientContext, reply: AdminReply): number {
  ctx.print(reply, {
    lines: [
      reply.detail,
      describeConfigReport(reply.config),
      `leader ${reply.leader ?? 'unknown'}`,
    ],
  });
  return 0;
}

/** One row of `flexpaxos members`. */
export interface MemberRow {
  readonly id: number;
  readonly role: 'leader' | 'voter' | 'learner' | 'not a member';
  readonly up: boolean;
  readonly committed: number | null;
  /** Slots behind the leader's committed index, as the leader last heard (null: unknown). */
  readonly behind: number | null;
}

/** The rows of `flexpaxos members` from every node's status (members first, then joiners). */
export function memberRows(nodes: readonly NodeStatusReport[]): {
  config: ConfigReport | null;
  leader: number | null;
  rows: MemberRow[];
} {
  const leaderStatus = nodes.find((n) => n.role === 'leader');
  const withConfig = [...nodes]
    .filter((n) => n.config !== undefined && n.config !== null)
    .sort((a, b) => (b.config?.index ?? 0) - (a.config?.index ?? 0));
  const config = leaderStatus?.config ?? withConfig[0]?.config ?? null;
  const leader = leaderStatus?.id ?? null;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const peers = new Map((leaderStatus?.peers ?? []).map((p) => [p.id, p]));
  const rows: MemberRow[] = [];
  const row = (id: number, role: MemberRow['role']): MemberRow => {
    const own = byId.get(id);
    const peer = peers.get(id);
    const committed =
      id === leader
        ? (leaderStatus?.committed ?? null)
        : (peer?.committed ?? own?.committed ?? null);
    const top = leaderStatus?.committed;
    return {
      id,
      role,
      up: own !== undefined,
      committed,
      behind: top === undefined || committed === null ? null : Math.max(0, top - committed),
    };
  };
  const voters = config?.quorum.voters ?? [];
  const learners = config?.learners ?? [];
  for (const v of voters) rows.push(row(v, v === leader ? 'leader' : 'voter'));
  for (const l of learners) rows.push(row(l, 'learner'));
  for (const n of nodes) {
    if (!voters.includes(n.id) && !learners.includes(n.id)) rows.push(row(n.id, 'not a member'));
  }
  return { config, leader, rows };
}

async function listMembers(ctx: ClientContext): Promise<number> {
  const nodes = await ctx.client.clusterStatus();
  const { config, leader, rows } = memberRows(nodes);
  if (config === null) throw new Error('no node that answered knows the configuration');
  const lines = [describeConfigReport(config)];
  if (config.pending !== null) {
    lines.push(
      `pending: ${config.pending.step} to ${config.pending.target} (reason: ${config.pending.reason})`,
    );
  }
  if (config.lastChange !== null) {
    lines.push(
      `last change: ${config.lastChange.result} ${config.lastChange.target} (reason: ${config.lastChange.reason})${config.lastChange.detail === null ? '' : `: ${config.lastChange.detail}`}`,
    );
  }
  ctx.print(
    { config, leader, members: rows },
    {
      lines,
      headers: ['id', 'role', 'up', 'committed', 'behind'],
      rows: rows.map((r) => [r.id, r.role, r.up ? 'yes' : 'no', r.committed, r.behind]),
    },
  );
  return 0;
}
