import { ackOf } from './ack.js';
import { throwIfProblems } from './errors.js';
import type { QuorumSystem, VoteResult, VoterId } from './quorum-system.js';
import type { GridPhase1, GridQuorumConfig } from './validate.js';
import { validateGridQuorum } from './validate.js';

/**
 * A grid quorum system: the members sit in a rows x columns rectangle; a phase-1 quorum is a
 * whole line in one direction (a row, or a column) and a phase-2 quorum a whole line in the other.
 * Flexible Paxos (arXiv 1608.06696, §4) notes such grids: with R rows and C columns, a quorum
 * needs only C (or R) members instead of a majority of R x C.
 *
 * Invariant: a row and a column always share exactly one member, so every phase-1 quorum meets
 * every phase-2 quorum; a well-formed grid is always safe.
 */
export interface GridQuorumSystem extends QuorumSystem {
  readonly kind: 'grid';
  /** The grid, `rows[i][j]` = member at row i, column j. */
  readonly rows: readonly (readonly VoterId[])[];
  /** Which lines form phase-1 quorums. */
  readonly phase1: GridPhase1;
}

/**
 * A grid quorum system. Throws a {@link QuorumConfigError} listing every problem
 * {@link validateGridQuorum} finds (empty grid or row, ragged rows, bad or repeated ids).
 */
export function gridQuorum(config: GridQuorumConfig): GridQuorumSystem {
  throwIfProblems(validateGridQuorum(config));
  return new GridQuorum(config.rows, config.phase1);
}

class GridQuorum implements GridQuorumSystem {
  readonly kind = 'grid' as const;
  readonly voters: readonly VoterId[];
  readonly rows: readonly (readonly VoterId[])[];
  readonly phase1: GridPhase1;
  /** Lines whose members, all together, form a phase-1 quorum. */
  readonly #phase1Lines: readonly (readonly VoterId[])[];
  /** Lines whose members, all together, form a phase-2 quorum. */
  readonly #phase2Lines: readonly (readonly VoterId[])[];

  constructor(rows: readonly (readonly VoterId[])[], phase1: GridPhase1) {
    this.rows = Object.freeze(rows.map((row) => Object.freeze([...row])));
    this.phase1 = phase1;
    this.voters = Object.freeze(this.rows.flat().sort((a, b) => a - b));
    const width = this.rows[0]?.length ?? 0;
    const columns = Array.from({ length: width }, (_, j) =>
      Object.freeze(this.rows.map((row) => row[j] as VoterId)),
    );
    this.#phase1Lines = phase1 === 'rows' ? this.rows : columns;
    this.#phase2Lines = phase1 === 'rows' ? columns : this.rows;
  }

  /** Won when some phase-1 line voted yes throughout; lost when every such line has a no. */
  phase1Result(votes: ReadonlyMap<VoterId, boolean>): VoteResult {
    let everyLineRefused = true;
    for (const line of this.#phase1Lines) {
      if (line.every((v) => votes.get(v) === true)) return 'won';
      if (!line.some((v) => votes.get(v) === false)) everyLineRefused = false;
    }
    return everyLineRefused ? 'lost' : 'pending';
  }

  /** The best phase-2 line's lowest acknowledged index: max over lines of min over members. */
  phase2CommittedIndex(acked: ReadonlyMap<VoterId, number>): number {
    let best = 0;
    for (const line of this.#phase2Lines) {
      let lowest = Infinity;
      for (const v of line) lowest = Math.min(lowest, ackOf(acked, v));
      best = Math.max(best, lowest);
    }
    return best;
  }

  isPhase1Quorum(ids: ReadonlySet<VoterId>): boolean {
    return this.#phase1Lines.some((line) => line.every((v) => ids.has(v)));
  }

  isPhase2Quorum(ids: ReadonlySet<VoterId>): boolean {
    return this.#phase2Lines.some((line) => line.every((v) => ids.has(v)));
  }

  /** Every phase-1 quorum contains a whole phase-1 line, so meeting every line suffices. */
  intersectsEveryPhase1Quorum(ids: ReadonlySet<VoterId>): boolean {
    return this.#phase1Lines.every((line) => line.some((v) => ids.has(v)));
  }

  describe(): string {
    const height = this.rows.length;
    const width = this.rows[0]?.length ?? 0;
    const phase2 = this.phase1 === 'rows' ? 'columns' : 'rows';
    const cells = this.rows.map((row) => `[${row.join(',')}]`).join(',');
    return `grid(${height}x${width}, phase-1=${this.phase1}, phase-2=${phase2}) over [${cells}]`;
  }
}
