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
import type {
  AdminReply,
  ConfigReport,
  FlexPaxosClient,
  NodeStatusReport,
} from '@flexpaxos/client';

/** The commands this file serves. */
export const MEMBERSHIP_COMMANDS = ['members', 'quorum', 'leader'] as const;

/** Thrown for a malformed command line (the CLI prints usage and exits 2). */
export class MembershipUsageError extends Error {
  override readonly name = 'UsageError';
}

/** What a membership command needs from the CLI. */
export interface MembershipContext {
  readonly client: FlexPaxosClient;
  readonly command: string;
  readonly positionals: readonly string[];
  readonly replication: string | undefined;
  readonly election: string | undefined;
  /** Deadline of a change; undefined: the client's admin default. */
  readonly timeoutMs: number | undefined;
  /** Prints `obj` as JSON with `--json`, else `text`. */
  readonly out: (obj: unknown, text: string) => void;
}

/** Runs one membership command; resolves with the exit code. */
export async function runMembershipCommand(ctx: MembershipContext): Promise<number> {
  const [sub, arg, extra] = ctx.positionals;
  const call = { ...(ctx.timeoutMs === undefined ? {} : { timeoutMs: ctx.timeoutMs }) };
  const usage = (line: string): never => {
    throw new MembershipUsageError(`flexpaxos ${line}`);
  };
  const nodeId = (s: string | undefined, line: string): number => {
    const n = s === undefined ? NaN : Number(s);
    if (!Number.isSafeInteger(n) || n < 1 || extra !== undefined) usage(line);
    return n;
  };
  switch (ctx.command) {
    case 'members': {
      if (sub === undefined) return await listMembers(ctx);
      if (sub === 'add')
        return printReply(ctx, await ctx.client.addMember(nodeId(arg, 'members add ID'), call));
      if (sub === 'remove')
        return printReply(
          ctx,
          await ctx.client.removeMember(nodeId(arg, 'members remove ID'), call),
        );
      return usage('members [add ID | remove ID]');
    }
    case 'quorum': {
      if (sub !== 'set' || arg !== undefined || ctx.replication === undefined) {
        return usage('quorum set --replication P [--election L]');
      }
      const size = (s: string, flag: string): number => {
        const n = Number(s);
        if (!Number.isSafeInteger(n) || n < 1)
          usage(`quorum set: ${flag} must be a positive integer`);
        return n;
      };
      const replication = size(ctx.replication, '--replication');
      const election = ctx.election === undefined ? undefined : size(ctx.election, '--election');
      return printReply(
        ctx,
        await ctx.client.setQuorum(
          { replication, ...(election === undefined ? {} : { election }) },
          call,
        ),
      );
    }
    case 'leader': {
      if (sub === 'transfer') {
        return printReply(
          ctx,
          await ctx.client.transferLeader(nodeId(arg, 'leader transfer ID'), call),
        );
      }
      if (sub === 'prefer') {
        const id = arg === 'none' ? null : nodeId(arg, 'leader prefer ID|none');
        return printReply(ctx, await ctx.client.preferLeader(id, call));
      }
      return usage('leader transfer ID | leader prefer ID|none');
    }
    default:
      return usage(`${ctx.command}: unknown command`);
  }
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

function printReply(ctx: MembershipContext, reply: AdminReply): number {
  ctx.out(
    reply,
    `${reply.detail}\n${describeConfigReport(reply.config)}\nleader ${reply.leader ?? 'unknown'}\n`,
  );
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

async function listMembers(ctx: MembershipContext): Promise<number> {
  if (ctx.positionals.length > 0) throw new MembershipUsageError('flexpaxos members');
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
  const widths = ['id', 'role', 'up', 'committed', 'behind'];
  const cells = [
    widths,
    ...rows.map((r) => [
      String(r.id),
      r.role,
      r.up ? 'yes' : 'no',
      r.committed === null ? '-' : String(r.committed),
      r.behind === null ? '-' : String(r.behind),
    ]),
  ];
  const w = widths.map((_, i) => Math.max(...cells.map((c) => (c[i] ?? '').length)));
  const table = cells.map((c) =>
    c
      .map((x, i) => x.padEnd(w[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  ctx.out({ config, leader, members: rows }, `${lines.join('\n')}\n${table.join('\n')}\n`);
  return 0;
}
