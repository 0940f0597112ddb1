import type { QuorumSystem, VoterId } from '@flexpaxos/quorum';
import { AcceptorLease, LeaderLease, type LeaseBallot, type LeaseConfig } from '../../src/index.js';
import { DriftingClock, type DriftingClockSpec } from './drifting-clock.js';

/**
 * A small discrete-event model of Multi-Paxos elections and heartbeats over leases, in true
 * time, for exclusivity tests. Each node is an acceptor and a proposer with one drifting
 * monotonic clock. Messages have per-recipient delays (or are dropped). After every event the
 * model asks every node that believes it leads whether it holds its lease, at that node's clock
 * reading of the current true time, and records a violation when two do.
 *
 * Checking at event instants suffices: a leader's lease only starts to hold at an event (an
 * acknowledgement) and then holds over an interval, so if two held intervals overlap, both
 * hold at the later of their two starting events.
 */

/** Per-recipient delay in ms, or `null` when the message (or its reply) is lost. */
export type Delay = number | null;

/** One step of a model script, applied at the current true time. */
export type ModelAction =
  | { readonly kind: 'wait'; readonly ms: number }
  /**
   * `node` starts phase 1 with a fresh ballot above every ballot so far (unless `ifNotLeader`
   * and it already leads). Once elected it sends a heartbeat at once, over the same delays.
   */
  | {
      readonly kind: 'campaign';
      readonly node: number;
      readonly ifNotLeader?: boolean;
      readonly delays: readonly Delay[];
      readonly replyDelays: readonly Delay[];
    }
  /** `node` (every node when 0), if it leads, sends a heartbeat soliciting grants. */
  | {
      readonly kind: 'heartbeat';
      readonly node: number;
      readonly delays: readonly Delay[];
      readonly replyDelays: readonly Delay[];
    }
  /**
   * `node` (every node that leads, when 0) crashes and restarts at once: proposer state lost,
   * promise kept, clock restarts from `newOriginMs`.
   */
  | { readonly kind: 'restart'; readonly node: number; readonly newOriginMs: number };

/** A detected overlap: at `trueMs`, the listed ballots all held a lease. */
export interface Violation {
  readonly trueMs: number;
  readonly holders: readonly string[];
}

/** What a run produced. */
export interface ModelResult {
  readonly violations: readonly Violation[];
  /** Distinct ballots that held a lease at some checked instant. */
  readonly leaseHolders: readonly string[];
  /** Per ballot: first and last checked instants (true time) at which it held a lease. */
  readonly holdSpans: ReadonlyMap<string, readonly [number, number]>;
  /** Leaders elected (phase 1 completed). */
  readonly elections: number;
  /** Prepares refused because of a lease (grant or restart wait). */
  readonly leaseRefusals: number;
}

interface Node {
  id: VoterId;
  incarnation: number;
  clock: DriftingClock;
  clockSpec: DriftingClockSpec;
  promised: LeaseBallot;
  acceptorLease: AcceptorLease;
  campaign: { ballot: LeaseBallot; promises: Set<VoterId> } | undefined;
  leader: LeaderLease | undefined;
}

const key = (b: LeaseBallot): string => `${b.round}.${b.nodeId}`;
const greater = (a: LeaseBallot, b: LeaseBallot): boolean =>
  a.round > b.round || (a.round === b.round && a.nodeId > b.nodeId);
const atLeast = (a: LeaseBallot, b: LeaseBallot): boolean => !greater(b, a);

/** Runs `actions` over `quorum.voters` with the given clocks; see the module comment. */
export function runLeaseModel(
  config: LeaseConfig,
  quorum: QuorumSystem,
  clocks: readonly DriftingClockSpec[],
  actions: readonly ModelAction[],
): ModelResult {
  let now = 0;
  let seq = 0;
  let round = 0;
  const queue: { at: number; seq: number; run: () => void }[] = [];
  const schedule = (at: number, run: () => void): void => {
    queue.push({ at, seq: seq++, run });
    queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
  };
  const nodes = new Map<VoterId, Node>();
  quorum.voters.forEach((id, i) => {
    const spec = clocks[i % clocks.length]!;
    const clock = new DriftingClock(spec);
    nodes.set(id, {
      id,
      incarnation: 0,
      clock,
      clockSpec: spec,
      promised: { round: 0, nodeId: 0 },
      acceptorLease: new AcceptorLease(config, clock.readAt(0)),
      campaign: undefined,
      leader: undefined,
    });
  });
  const node = (id: number): Node => {
    const n = nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  };
  const violations: Violation[] = [];
  const holders = new Set<string>();
  const spans = new Map<string, [number, number]>();
  let elections = 0;
  let leaseRefusals = 0;

  const check = (): void => {
    const holding: string[] = [];
    for (const n of nodes.values()) {
      if (n.leader?.holds(n.clock.readAt(now)) === true) holding.push(key(n.leader.ballot));
    }
    for (const h of holding) {
      holders.add(h);
      spans.set(h, [spans.get(h)?.[0] ?? now, now]);
    }
    if (holding.length > 1) violations.push({ trueMs: now, holders: holding });
  };
  const runUntil = (t: number): void => {
    while (queue.length > 0 && queue[0]!.at <= t) {
      const ev = queue.shift()!;
      now = ev.at;
      ev.run();
      check();
    }
    now = t;
  };
  const send = (delay: Delay, run: () => void): void => {
    if (delay !== null) schedule(now + delay, run);
  };

  const heartbeat = (p: Node, delays: readonly Delay[], replyDelays: readonly Delay[]): void => {
    const leader = p.leader;
    if (leader === undefined) return;
    const ballot = leader.ballot;
    const leaseRound = leader.beginRound(p.clock.readAt(now));
    quorum.voters.forEach((aid, i) => {
      send(delays[i] ?? null, () => {
        const a = node(aid);
        if (!atLeast(ballot, a.promised)) return;
        a.promised = ballot;
        a.acceptorLease.onAcknowledged(ballot, a.clock.readAt(now));
        send(replyDelays[i] ?? null, () => {
          if (p.leader !== leader) return;
          leader.onAck(aid, leaseRound, p.clock.readAt(now));
        });
      });
    });
  };

  for (const action of actions) {
    switch (action.kind) {
      case 'wait':
        runUntil(now + action.ms);
        break;
      case 'campaign': {
        const p = node(action.node);
        if (action.ifNotLeader === true && p.leader !== undefined) break;
        round += 1;
        const ballot: LeaseBallot = { round, nodeId: p.id };
        const inc = p.incarnation;
        p.leader = undefined; // a node that campaigns again gives up its old term
        p.campaign = { ballot, promises: new Set() };
        quorum.voters.forEach((aid, i) => {
          send(action.delays[i] ?? null, () => {
            const a = node(aid);
            if (!greater(ballot, a.promised)) return;
            const decision = a.acceptorLease.mayPromise(ballot, a.clock.readAt(now));
            if (!decision.ok) {
              leaseRefusals += 1;
              return;
            }
            a.promised = ballot;
            send(action.replyDelays[i] ?? null, () => {
              if (
                p.incarnation !== inc ||
                p.campaign === undefined ||
                key(p.campaign.ballot) !== key(ballot)
              )
                return;
              p.campaign.promises.add(aid);
              if (p.leader === undefined && quorum.isPhase1Quorum(p.campaign.promises)) {
                p.leader = new LeaderLease(config, quorum, ballot, p.clock.readAt(now));
                elections += 1;
                // A new leader sends Accepts at once (here: a heartbeat over the same links).
                heartbeat(p, action.delays, action.replyDelays);
              }
            });
          });
        });
        break;
      }
      case 'heartbeat': {
        const senders = action.node === 0 ? [...nodes.values()] : [node(action.node)];
        for (const p of senders) heartbeat(p, action.delays, action.replyDelays);
        break;
      }
      case 'restart': {
        const targets =
          action.node === 0
            ? [...nodes.values()].filter((x) => x.leader !== undefined)
            : [node(action.node)];
        for (const n of targets) restart(n, action.newOriginMs);
        break;
      }
    }
    check();
  }
  runUntil(queue.reduce((m, e) => Math.max(m, e.at), now));
  return { violations, leaseHolders: [...holders], holdSpans: spans, elections, leaseRefusals };

  function restart(n: Node, newOriginMs: number): void {
    n.incarnation += 1;
    n.campaign = undefined;
    n.leader = undefined;
    n.clockSpec = { ...n.clockSpec, originMs: newOriginMs };
    n.clock = new DriftingClock(n.clockSpec);
    n.acceptorLease = new AcceptorLease(config, n.clock.readAt(now));
  }
}
