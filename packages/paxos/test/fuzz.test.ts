/**
 * A small randomized run of the in-test cluster: message loss, duplication and reordering,
 * crashes (including a crash between sending `messages` and persisting), then a healed phase
 * that must make progress. The large randomized runs are the simulator's (packages/sim); this
 * one keeps the core honest on its own.
 */
import type { QuorumSystem } from '@flexpaxos/quorum';
import { describe, expect, it } from 'vitest';
import {
  MemoryLogStorage,
  MemoryStateStorage,
  Replica,
  applyPersistRequest,
  compareBallots,
  recoverState,
  type Ballot,
  type ChosenEntry,
  type Message,
  type NodeId,
  type RandomSource,
  type Ready,
} from '../src/index.js';
import { bootstrapOf, countingQuorum, seededRandom, show } from './harness.js';

interface FuzzNode {
  replica: Replica;
  log: MemoryLogStorage;
  state: MemoryStateStorage;
  up: boolean;
  maxPromised: Ballot;
  /** The host's state machine: applied commands in order (durable with the applied index). */
  sm: string[];
  /** Pipelined mode: readies handed out, `messages` sent, not yet durable. */
  queue: Ready[];
}

function runSeed(
  seed: number,
  n: number,
  p: number,
  thrifty: boolean,
  makeQuorum: (ids: readonly number[], p: number) => QuorumSystem = (ids, q) =>
    countingQuorum(ids, q),
  /** Pipelined readies: up to 3 outstanding, made durable in order, some left for later. */
  pipeline = false,
): { applied: number; proposed: number } {
  const rng: RandomSource = seededRandom(seed * 7919 + 17);
  const chance = (num: number, den: number) => rng.nextInt(den) < num;
  const ids = Array.from({ length: n }, (_, i) => (i + 1) as NodeId);
  const quorum = makeQuorum(ids, p);
  const config = (id: NodeId) => ({
    id,
    bootstrap: bootstrapOf(countingQuorum(ids, p)),
    // The quorum system under test (a deliberately broken one in the sabotage test below).
    quorumFactory: () => quorum,
    electionTimeoutTicks: 10,
    electionTimeoutJitterTicks: 10,
    heartbeatIntervalTicks: 3,
    batchCommandsMax: 4,
    batchBytesMax: 256,
    inflightSlotsMax: 4,
    thrifty,
    random: seededRandom(seed * 31 + id),
    ...(pipeline ? { pipelineReadies: true } : {}),
  });
  const nodes = new Map<number, FuzzNode>();
  for (const id of ids) {
    nodes.set(id, {
      replica: new Replica(config(id)),
      log: new MemoryLogStorage(),
      state: new MemoryStateStorage(),
      up: true,
      maxPromised: { round: 0, nodeId: 0 } as unknown as Ballot,
      sm: [],
      queue: [],
    });
  }
  const chosen = new Map<number, string>();
  let net: Message[] = [];
  let faults = true;
  let proposed = 0;
  const get = (id: number) => nodes.get(id) as FuzzNode;

  const check = (id: number, e: ChosenEntry) => {
    const v = JSON.stringify(show(e));
    const prev = chosen.get(e.slot);
    if (prev !== undefined && prev !== v) {
      throw new Error(
        `seed ${seed}: agreement violated at slot ${e.slot}: ${prev} vs ${v} (node ${id})`,
      );
    }
    chosen.set(e.slot, v);
  };

  const complete = (id: number, node: FuzzNode, rd: Ready) => {
    if (rd.persist !== undefined) {
      const snap = rd.persist.snapshot;
      if (snap !== undefined) node.sm = JSON.parse(new TextDecoder().decode(snap.data)) as string[];
      applyPersistRequest(rd.persist, node.log, node.state);
    }
    const promised = node.state.hardState().promised;
    if (compareBallots(promised, node.maxPromised) < 0)
      throw new Error(`seed ${seed}: promise regressed at ${id}`);
    node.maxPromised = promised;
    net.push(...rd.messagesAfterPersist);
    for (const e of rd.committed) {
      check(id, e);
      node.sm.push(...show(e).filter((c) => c !== 'noop'));
      node.state.saveApplied(e.slot);
    }
    node.replica.advance(rd);
  };

  const process = (id: number) => {
    const node = get(id);
    if (pipeline) {
      processPipelined(id, node);
      return;
    }
    while (node.up && node.replica.hasReady()) {
      const rd = node.replica.ready();
      net.push(...rd.messages);
      if (faults && chance(1, 200)) {
        node.up = false; // crash before the write is durable
        return;
      }
      complete(id, node, rd);
    }
  };

  /**
   * Async storage: hand out up to 3 readies at once (their `messages` leave at once), then make
   * a random prefix of the queue durable in order, sometimes none (the rest waits for the
   * next call); a crash loses every ready not yet durable.
   */
  const processPipelined = (id: number, node: FuzzNode) => {
    for (;;) {
      while (node.up && node.queue.length < 3 && node.replica.hasReady()) {
        const rd = node.replica.ready();
        net.push(...rd.messages);
        node.queue.push(rd);
      }
      if (!node.up || node.queue.length === 0 || chance(1, 3)) return;
      const count = 1 + rng.nextInt(node.queue.length);
      for (let k = 0; k < count; k++) {
        if (faults && chance(1, 200)) {
          node.up = false; // crash: the queued writes never became durable
          node.queue = [];
          return;
        }
        complete(id, node, node.queue.shift() as Ready);
      }
    }
  };

  const restart = (id: number) => {
    const node = get(id);
    node.replica = new Replica(config(id as NodeId), recoverState(node.log, node.state));
    node.queue = [];
    const snap = node.state.snapshot();
    if (snap !== undefined) node.replica.compact(snap);
    node.up = true;
    process(id);
  };

  let partition: Set<number> | undefined;
  const connected = (a: number, b: number) =>
    partition === undefined || partition.has(a) === partition.has(b);

  for (let step = 0; step < 1200; step++) {
    if (step === 800) {
      faults = false;
      partition = undefined;
      for (const id of ids) {
        const node = get(id);
        if (!node.up) {
          restart(id);
        }
      }
    }
    if (faults && chance(1, 100)) {
      const victim = ids[rng.nextInt(n)] as NodeId;
      const node = get(victim);
      if (node.up) node.up = false;
      else {
        restart(victim);
        // Applied commands up to the recovered applied index stay applied in a real host.
      }
    }
    if (chance(1, 50)) {
      const id = ids[rng.nextInt(n)] as NodeId;
      const node = get(id);
      const applied = node.replica.status().applied;
      if (node.up && applied > node.replica.status().snapshotIndex) {
        const snapshot = {
          meta: { index: applied },
          data: new TextEncoder().encode(JSON.stringify(node.sm)),
        };
        node.state.saveSnapshot(snapshot);
        node.replica.compact(snapshot);
        process(id);
      }
    }
    if (faults && chance(1, 150)) {
      partition = chance(1, 2) ? undefined : new Set(ids.filter(() => chance(1, 2)));
    }
    for (const id of ids) {
      if (get(id).up) {
        get(id).replica.tick();
        process(id);
      }
    }
    if (step < 1100 && chance(1, 3)) {
      for (const id of ids) {
        const node = get(id);
        if (node.up && node.replica.status().role === 'leader') {
          node.replica.propose(new TextEncoder().encode(`s${seed}-c${proposed++}`));
          process(id);
        }
      }
    }
    // Deliver a random subset of the network, in random order, with loss and duplication.
    const batch = net;
    net = [];
    for (let i = batch.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [batch[i], batch[j]] = [batch[j] as Message, batch[i] as Message];
    }
    for (const m of batch) {
      if (faults && chance(1, 10)) continue; // lost
      if (faults && chance(1, 10)) {
        net.push(m); // delayed
        continue;
      }
      if (faults && chance(1, 20)) net.push(m); // duplicated
      const to = get(m.to);
      if (!to.up || !connected(m.from, m.to)) continue;
      to.replica.step(m);
      process(m.to);
    }
  }
  // Liveness: after healing, some leader commits a fresh command everywhere.
  const leaders = ids.filter((id) => get(id).replica.status().role === 'leader');
  if (leaders.length === 0) throw new Error(`seed ${seed}: no leader after healing`);
  const maxCommitted = Math.max(...ids.map((id) => get(id).replica.status().committed));
  for (const id of ids) {
    const st = get(id).replica.status();
    if (st.committed !== maxCommitted) {
      throw new Error(
        `seed ${seed}: node ${id} committed ${st.committed}, expected ${maxCommitted}`,
      );
    }
  }
  const sm0 = JSON.stringify(get(1).sm);
  for (const id of ids) {
    if (JSON.stringify(get(id).sm) !== sm0)
      throw new Error(`seed ${seed}: state machines differ at node ${id}`);
  }
  return { applied: chosen.size, proposed };
}

describe('Replica (randomized)', () => {
  it('keeps agreement and promise monotonicity and converges after faults stop', () => {
    let applied = 0;
    const seeds = Number(process.env['PAXOS_FUZZ_SEEDS'] ?? 60);
    const first = Number(process.env['PAXOS_FUZZ_FIRST'] ?? 1);
    for (let seed = first; seed < first + seeds; seed++) {
      const n = 1 + (seed % Number(process.env['PAXOS_FUZZ_MAXN'] ?? 5));
      const p = 1 + (seed % n);
      const r = runSeed(seed, n, p, seed % 3 === 0);
      applied += r.applied;
    }
    expect(applied).toBeGreaterThan(100);
  });

  it('keeps the same guarantees with pipelined readies (async storage writes)', () => {
    let applied = 0;
    const seeds = Number(process.env['PAXOS_FUZZ_SEEDS'] ?? 60);
    for (let seed = 1; seed <= seeds; seed++) {
      const n = 1 + (seed % 5);
      const r = runSeed(seed, n, 1 + (seed % n), seed % 3 === 0, undefined, true);
      applied += r.applied;
    }
    expect(applied).toBeGreaterThan(100);
  });

  it('catches agreement violations when phase-1 and phase-2 quorums may not intersect', () => {
    // The checker must be able to fail: with L + P = N (here N=4, P=2, L=2) two leaders can
    // each choose a value at one slot. A deliberately broken quorum system, local to this test.
    const unsafe = (ids: readonly number[], q: number): QuorumSystem => {
      const safe = countingQuorum(ids, q);
      const l = ids.length - q;
      const count = (set: ReadonlySet<number>) => ids.filter((v) => set.has(v)).length;
      return {
        voters: safe.voters,
        phase1Result: (votes) => {
          const yes = [...votes].filter(([v, ok]) => ok && ids.includes(v)).length;
          const no = [...votes].filter(([v, ok]) => !ok && ids.includes(v)).length;
          return yes >= l ? 'won' : ids.length - no < l ? 'lost' : 'pending';
        },
        phase2CommittedIndex: (acked) => safe.phase2CommittedIndex(acked),
        isPhase1Quorum: (set) => count(set) >= l,
        isPhase2Quorum: (set) => safe.isPhase2Quorum(set),
        intersectsEveryPhase1Quorum: (set) => safe.intersectsEveryPhase1Quorum(set),
        describe: () => `unsafe(N=${ids.length}, L=${l}, P=${q})`,
      };
    };
    let violations = 0;
    for (let seed = 1; seed <= 40 && violations === 0; seed++) {
      try {
        runSeed(seed, 4, 2, false, unsafe);
      } catch (e) {
        if (String(e).includes('agreement violated')) violations++;
        else throw e;
      }
    }
    expect(violations).toBeGreaterThan(0);
  });
});
