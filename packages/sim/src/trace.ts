/**
 * Trace-style scenario scripts (in the spirit of etcd-io/raft's interaction tests). A script
 * drives a manual cluster: messages wait until the script delivers or drops them, disks sync
 * at once unless held, time moves only by explicit ticks. Every event (send, sync, apply,
 * crash, restart) is written to the trace, which tests compare with the expected part of a
 * `.trace` file (see `runTraceFile`). Commands:
 *
 * ```
 * cluster nodes=3 replication=2 [election=2] [seed=1] [thrifty]   (first line)
 * campaign N                 propose N [client:seq]          status
 * deliver N [drop=a,b] [from=M]   deliver-all [drop=a,b]     settle [drop=a,b]
 * drop N [type=a,b]          drop-all
 * crash N                    restart N
 * tick N [k]                 tick-election N                 tick-heartbeat N
 * hold-disk N                sync N
 * expect-role N role         expect-applied N slot           expect-leader N
 * check
 * ```
 * `expect-*` lines record a failure (and a `FAILED` trace line) when the state differs.
 */
import { SimCluster, defaultClusterConfig } from './cluster.js';
import type { ReplicaFactory, SimMessage } from './core-types.js';
import { encodeCommand } from './commands.js';
import { formatMessage, formatValue } from './format.js';
import { Prng } from './prng.js';

/** The outcome of a script. */
export interface TraceResult {
  /** The trace text (one event per line). */
  readonly output: string;
  /** `expect-*` lines that did not hold, and invariant violations. */
  readonly failures: readonly string[];
}

interface StatusLike {
  role?: unknown;
  ballot?: unknown;
  leader?: unknown;
  committed?: unknown;
  applied?: unknown;
}

function kv(args: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq > 0) m.set(a.slice(0, eq), a.slice(eq + 1));
    else m.set(a, 'true');
  }
  return m;
}

function int(s: string | undefined, what: string): number {
  const n = Number(s);
  if (s === undefined || !Number.isSafeInteger(n)) throw new Error(`trace: ${what} needs an integer, got ${s ?? 'nothing'}`);
  return n;
}

/** Runs a script (the part of a `.trace` file above `----`). */
export function runTraceScript(script: string, factory: ReplicaFactory): TraceResult {
  const out: string[] = [];
  const failures: string[] = [];
  let cluster: SimCluster | undefined;
  let proposals = 0;
  const need = (): SimCluster => {
    if (cluster === undefined) throw new Error('trace: the first command must be `cluster ...`');
    return cluster;
  };
  const fail = (msg: string): void => {
    failures.push(msg);
    out.push(`FAILED ${msg}`);
  };
  const status = (id: number): StatusLike => {
    const r = need().node(id).replica;
    return r === undefined ? { role: 'down' } : (r.status() as StatusLike);
  };
  const take = (pred: (m: SimMessage) => boolean): SimMessage[] => {
    const q = need().network.manualQueue;
    const taken: SimMessage[] = [];
    const kept: SimMessage[] = [];
    for (const m of q) (pred(m) ? taken : kept).push(m);
    q.length = 0;
    q.push(...kept);
    return taken;
  };
  const deliverAll = (msgs: readonly SimMessage[], drop: ReadonlySet<string>): void => {
    const c = need();
    for (const m of msgs) {
      if (drop.has(m.type)) {
        out.push(`  drop ${formatMessage(m)}`);
        continue;
      }
      c.deliver(m);
    }
  };
  for (const raw of script.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    out.push(`> ${line}`);
    const [cmd, ...args] = line.split(/\s+/);
    const opts = kv(args);
    const drop = new Set((opts.get('drop') ?? '').split(',').filter((s) => s !== ''));
    const n = (): number => int(args[0], cmd ?? '');
    switch (cmd ?? '') {
      case 'cluster': {
        const nodes = int(opts.get('nodes'), 'nodes');
        const replication = int(opts.get('replication') ?? String(Math.floor(nodes / 2) + 1), 'replication');
        const election = int(opts.get('election') ?? String(nodes - replication + 1), 'election');
        const config = { ...defaultClusterConfig(nodes, replication, election), manual: true, thrifty: opts.has('thrifty') };
        cluster = new SimCluster(config, factory, new Prng(int(opts.get('seed') ?? '1', 'seed')));
        cluster.trace = (l) => out.push(l);
        break;
      }
      case 'campaign':
        need().campaign(n());
        break;
      case 'propose': {
        proposals++;
        const [client, seq] = (args[1] ?? `0:${proposals}`).split(':');
        const r = need().propose(n(), encodeCommand(int(client, 'client'), int(seq, 'seq')));
        out.push(`  ${r === undefined ? 'unavailable' : r.kind === 'queued' ? 'queued' : `not-leader hint=${r.leaderHint ?? '-'}`}`);
        break;
      }
      case 'deliver': {
        const to = n();
        const from = opts.has('from') ? int(opts.get('from'), 'from') : undefined;
        deliverAll(take((m) => m.to === to && (from === undefined || m.from === from)), drop);
        break;
      }
      case 'deliver-all':
        deliverAll(take(() => true), drop);
        break;
      case 'settle': {
        let rounds = 0;
        while (need().network.manualQueue.length > 0 && rounds++ < 50) deliverAll(take(() => true), drop);
        break;
      }
      case 'drop': {
        const to = n();
        const types = new Set((opts.get('type') ?? '').split(',').filter((s) => s !== ''));
        for (const m of take((x) => x.to === to && (types.size === 0 || types.has(x.type)))) out.push(`  drop ${formatMessage(m)}`);
        break;
      }
      case 'drop-all':
        for (const m of take(() => true)) out.push(`  drop ${formatMessage(m)}`);
        break;
      case 'crash':
        need().crash(n());
        break;
      case 'restart':
        need().restart(n());
        break;
      case 'tick': {
        const k = args[1] === undefined ? 1 : int(args[1], 'tick count');
        for (let i = 0; i < k; i++) need().tickNode(n());
        break;
      }
      case 'tick-election': {
        const c = need().config;
        for (let i = 0; i < c.electionTimeoutTicks + c.electionTimeoutJitterTicks; i++) need().tickNode(n());
        break;
      }
      case 'tick-heartbeat':
        for (let i = 0; i < need().config.heartbeatIntervalTicks; i++) need().tickNode(n());
        break;
      case 'hold-disk':
        need().node(n()).disk.held = true;
        break;
      case 'sync': {
        const node = need().node(n());
        node.disk.held = false;
        need().completeDisk(node, true);
        need().pump(node);
        break;
      }
      case 'status':
        for (const node of need().nodes) {
          const s = status(node.id);
          out.push(
            `  ${node.id} role=${formatValue(s.role)} ballot=${formatValue(s.ballot)} leader=${formatValue(s.leader)} committed=${formatValue(s.committed)} applied=${node.sm.applied}`,
          );
        }
        break;
      case 'expect-role': {
        const got = status(n()).role;
        if (got !== args[1]) fail(`node ${n()} role is ${formatValue(got)}, expected ${args[1] ?? '?'}`);
        break;
      }
      case 'expect-leader': {
        const leaders = need().nodes.filter((x) => status(x.id).role === 'leader').map((x) => x.id);
        if (leaders.length !== 1 || leaders[0] !== n()) fail(`leaders are [${leaders.join(',')}], expected [${n()}]`);
        break;
      }
      case 'expect-applied': {
        const slot = int(args[1], 'slot');
        const got = need().node(n()).sm.applied;
        if (got < slot) fail(`node ${n()} applied ${got}, expected at least ${slot}`);
        break;
      }
      case 'check':
        for (const v of need().checker.violations) fail(`invariant ${v.invariant} (${v.name}): ${v.detail}`);
        break;
      default:
        throw new Error(`trace: unknown command ${cmd ?? ''}`);
    }
  }
  if (cluster !== undefined) {
    for (const v of cluster.checker.violations) {
      const msg = `invariant ${v.invariant} (${v.name}): ${v.detail}`;
      if (!failures.includes(msg)) failures.push(msg);
    }
  }
  return { output: out.join('\n') + '\n', failures };
}

/** The separator between a `.trace` file's script and its expected trace. */
export const TRACE_SEPARATOR = '----';

/** Splits a `.trace` file, runs its script, and returns the actual and expected trace. */
export function runTraceFile(text: string, factory: ReplicaFactory): TraceResult & { expected: string; script: string; rewritten: string } {
  const idx = text.indexOf(`\n${TRACE_SEPARATOR}\n`);
  const script = idx < 0 ? text : text.slice(0, idx + 1);
  const expected = idx < 0 ? '' : text.slice(idx + TRACE_SEPARATOR.length + 2);
  const result = runTraceScript(script, factory);
  return { ...result, expected, script, rewritten: `${script}${TRACE_SEPARATOR}\n${result.output}` };
}
