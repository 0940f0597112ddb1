/**
 * Naive, definition-based models of the quorum systems, for comparison with the fast ones.
 *
 * The universe is the ids 1..9 (bit `id - 1` of a mask). A model is two tables over all 512
 * subsets of the universe: whether a subset contains a phase-1 (phase-2) quorum, computed
 * straight from the definition of each system. The naive operations enumerate subsets.
 */
import type { VoteResult, VoterId } from '../src/index.js';

/** Largest id in the universe. */
export const UNIVERSE_MAX = 9;
/** Number of subsets of the universe. */
export const SUBSETS = 1 << UNIVERSE_MAX;
const FULL = SUBSETS - 1;

/** A system described by its quorum tables (index: subset mask of ids 1..9). */
export interface NaiveModel {
  readonly phase1: readonly boolean[];
  readonly phase2: readonly boolean[];
}

/** Description of a system to model, mirroring the constructors. */
export type ModelSpec =
  | { kind: 'counting'; members: readonly VoterId[]; election: number; replication: number }
  | { kind: 'grid'; rows: readonly (readonly VoterId[])[]; phase1: 'rows' | 'columns' }
  | { kind: 'joint'; a: ModelSpec; b: ModelSpec };

/** Mask of the ids in the universe; others are ignored. */
export function maskOf(ids: Iterable<VoterId>): number {
  let mask = 0;
  for (const id of ids) {
    if (Number.isInteger(id) && id >= 1 && id <= UNIVERSE_MAX) mask |= 1 << (id - 1);
  }
  return mask;
}

/** The ids in a mask, ascending. */
export function idsOf(mask: number): VoterId[] {
  const ids: VoterId[] = [];
  for (let id = 1; id <= UNIVERSE_MAX; id++) if (mask & (1 << (id - 1))) ids.push(id);
  return ids;
}

/** Number of set bits. */
export function popcount(mask: number): number {
  let n = 0;
  for (let m = mask; m !== 0; m &= m - 1) n++;
  return n;
}

function table(pred: (mask: number) => boolean): boolean[] {
  return Array.from({ length: SUBSETS }, (_, mask) => pred(mask));
}

/** Builds the naive model of a spec straight from the definitions. */
export function naiveModel(spec: ModelSpec): NaiveModel {
  switch (spec.kind) {
    case 'counting': {
      const members = maskOf(spec.members);
      return {
        phase1: table((s) => popcount(s & members) >= spec.election),
        phase2: table((s) => popcount(s & members) >= spec.replication),
      };
    }
    case 'grid': {
      const rows = spec.rows.map((row) => maskOf(row));
      const width = spec.rows[0]?.length ?? 0;
      const columns = Array.from({ length: width }, (_, j) =>
        maskOf(spec.rows.map((row) => row[j] as VoterId)),
      );
      const [l1, l2] = spec.phase1 === 'rows' ? [rows, columns] : [columns, rows];
      return {
        phase1: table((s) => l1.some((line) => (line & s) === line)),
        phase2: table((s) => l2.some((line) => (line & s) === line)),
      };
    }
    case 'joint': {
      const a = naiveModel(spec.a);
      const b = naiveModel(spec.b);
      return {
        phase1: table((s) => a.phase1[s] === true && b.phase1[s] === true),
        phase2: table((s) => a.phase2[s] === true && b.phase2[s] === true),
      };
    }
  }
}

/** Won / lost / pending by the definition: can the yes votes, or yes plus unanswered, win? */
export function naivePhase1Result(
  model: NaiveModel,
  votes: ReadonlyMap<VoterId, boolean>,
): VoteResult {
  const yes = maskOf([...votes].filter(([, g]) => g).map(([id]) => id));
  const no = maskOf([...votes].filter(([, g]) => !g).map(([id]) => id));
  if (model.phase1[yes] === true) return 'won';
  if (model.phase1[FULL & ~no] !== true) return 'lost';
  return 'pending';
}

/** The largest k such that the ids that acknowledged k or more contain a phase-2 quorum. */
export function naivePhase2CommittedIndex(
  model: NaiveModel,
  acked: ReadonlyMap<VoterId, number>,
): number {
  let best = 0;
  for (const k of [0, ...acked.values()]) {
    let mask = 0;
    for (let id = 1; id <= UNIVERSE_MAX; id++) {
      if ((acked.get(id) ?? 0) >= k) mask |= 1 << (id - 1);
    }
    if (model.phase2[mask] === true) best = Math.max(best, k);
  }
  return best;
}

/** Whether `ids` meets every subset that contains a phase-1 quorum. */
export function naiveIntersectsEveryPhase1Quorum(
  model: NaiveModel,
  ids: ReadonlySet<VoterId>,
): boolean {
  const mask = maskOf(ids);
  for (let s = 0; s < SUBSETS; s++) {
    if (model.phase1[s] === true && (s & mask) === 0) return false;
  }
  return true;
}
