/**
 * Partition shapes, as the simulator draws them (`packages/sim/src/faults.ts`): isolate one
 * node, isolate the leader, majority/minority, a piece of exactly L, L - 1, P or P - 1 nodes
 * (holding the leader half the time, the rest sometimes split in two), Jepsen's bridge (two
 * sides that cannot talk and a piece that sees both) and flaky links (random pairs cut,
 * redrawn while the fault lasts).
 *
 * Routes between nats-servers are TCP connections, which carry both directions: the
 * simulator's one-way partitions (A reaches B, B does not reach A) have no counterpart here,
 * and its directed `links` cuts become cuts of the pair.
 */
import type { Prng } from '@flexpaxos/sim';
import { pair } from './topology.js';
import type { Pair } from './topology.js';

/** The shapes {@link drawPartition} can draw. */
export const PARTITION_SHAPES = [
  'isolate-one',
  'isolate-leader',
  'majority-minority',
  'L',
  'L-1',
  'P',
  'P-1',
  'bridge',
  'links',
] as const;
/** One partition shape. */
export type PartitionShape = (typeof PARTITION_SHAPES)[number];

/** A drawn partition. */
export interface PartitionPlan {
  readonly shape: PartitionShape;
  /** The pieces (a bridge: side A, side B, the bridge); `links`: every node in one piece. */
  readonly pieces: readonly (readonly number[])[];
  /** Server pairs to cut. */
  readonly cuts: readonly Pair[];
  /** For logs: `L-1 {1}|{2,3}` or `links cut 1-2 2-3`. */
  readonly description: string;
}

const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

/** Every pair of nodes in different pieces. */
export function cutsBetween(pieces: readonly (readonly number[])[]): Pair[] {
  const cuts: Pair[] = [];
  for (let i = 0; i < pieces.length; i++) {
    for (let j = i + 1; j < pieces.length; j++) {
      for (const a of pieces[i] ?? []) for (const b of pieces[j] ?? []) cuts.push(pair(a, b));
    }
  }
  return cuts;
}

function describe(
  shape: PartitionShape,
  pieces: readonly (readonly number[])[],
  cuts: readonly Pair[],
): string {
  if (shape === 'links') return `links cut ${cuts.map(([a, b]) => `${a}-${b}`).join(' ')}`;
  const text = pieces.map((p) => `{${p.join(',')}}`).join('|');
  return shape === 'bridge'
    ? `bridge ${text} (the last piece sees both sides)`
    : `${shape} ${text}`;
}

/** Flaky links: each pair cut with probability 1/3, at least one. */
export function drawLinks(ids: readonly number[], random: Prng): PartitionPlan {
  const cuts: Pair[] = [];
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      if (random.nextInt(3) === 0) cuts.push(pair(ids[i] as number, ids[j] as number));
    }
  }
  if (cuts.length === 0 && ids.length >= 2) {
    const [a, b] = random.shuffle([...ids]);
    cuts.push(pair(a as number, b as number));
  }
  return { shape: 'links', pieces: [sorted(ids)], cuts, description: describe('links', [], cuts) };
}

/**
 * Draws a partition of `ids` (N >= 2). `leader` (if known) is held by the first piece half the
 * time, and is what `isolate-leader` isolates.
 */
export function drawPartition(
  ids: readonly number[],
  election: number,
  replication: number,
  random: Prng,
  leader: number | undefined,
): PartitionPlan {
  const n = ids.length;
  const shape = random.pick(PARTITION_SHAPES);
  const withLeader = random.nextInt(2) === 0;
  const splitRest = random.nextInt(3) === 0;
  const shuffled = random.shuffle([...ids]);
  const randomSize = random.between(1, Math.max(1, n - 1));
  if (shape === 'links') return drawLinks(ids, random);
  const putFirst = (id: number | undefined): void => {
    const at = id === undefined ? -1 : shuffled.indexOf(id);
    if (at > 0) [shuffled[0], shuffled[at]] = [shuffled[at] as number, shuffled[0] as number];
  };
  const sizes: Record<Exclude<PartitionShape, 'links' | 'bridge'>, number> = {
    'isolate-one': 1,
    'isolate-leader': 1,
    'majority-minority': Math.floor(n / 2),
    L: election,
    'L-1': election - 1,
    P: replication,
    'P-1': replication - 1,
  };
  if (shape === 'bridge') {
    // Side A, side B and the bridge, each non-empty (N = 2: no bridge possible, a plain cut).
    if (n < 3) {
      const pieces = [[shuffled[0] as number], sorted(shuffled.slice(1))];
      return {
        shape,
        pieces,
        cuts: cutsBetween(pieces),
        description: describe('isolate-one', pieces, []),
      };
    }
    if (withLeader) putFirst(leader);
    const a = Math.max(1, Math.min(n - 2, randomSize));
    const b = Math.max(1, Math.min(n - 1 - a, random.between(1, n - 1)));
    const pieces = [
      sorted(shuffled.slice(0, a)),
      sorted(shuffled.slice(a, a + b)),
      sorted(shuffled.slice(a + b)),
    ];
    const cuts = cutsBetween([pieces[0] as number[], pieces[1] as number[]]);
    return { shape, pieces, cuts, description: describe(shape, pieces, cuts) };
  }
  let k = sizes[shape];
  if (k < 1 || k > n - 1) k = randomSize;
  if (shape === 'isolate-leader') putFirst(leader);
  else if (shape !== 'isolate-one' && withLeader) putFirst(leader);
  else if (shape === 'isolate-one' && leader !== undefined && shuffled[0] === leader) {
    // Isolating "one node" means a follower when the leader is known (isolate-leader exists).
    shuffled.push(shuffled.shift() as number);
  }
  const first = sorted(shuffled.slice(0, k));
  const rest = shuffled.slice(k);
  const pieces: number[][] = [first];
  if (splitRest && rest.length >= 2) {
    const cut = random.between(1, rest.length - 1);
    pieces.push(sorted(rest.slice(0, cut)), sorted(rest.slice(cut)));
  } else pieces.push(sorted(rest));
  const cuts = cutsBetween(pieces);
  return { shape, pieces, cuts, description: describe(shape, pieces, cuts) };
}
