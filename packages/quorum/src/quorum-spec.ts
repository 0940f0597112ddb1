/**
 * Quorum systems as plain data: a `QuorumSpec` says which quorum system to build (counting or
 * grid) and over which voters, so it can travel in a replicated log, a message or a file and be
 * compared byte for byte, while a `QuorumSystem` (a class instance) cannot. `quorumFromSpec`
 * builds the system; `validateQuorumSpec` returns every problem first.
 */
import { countingQuorum } from './counting-quorum.js';
import type { QuorumConfigProblem } from './errors.js';
import { throwIfProblems } from './errors.js';
import { gridQuorum } from './grid-quorum.js';
import type { QuorumSystem, VoterId } from './quorum-system.js';
import type { GridPhase1 } from './validate.js';
import { validateCountingQuorum, validateGridQuorum } from './validate.js';

/** A counting quorum system as data: any `election` voters elect, any `replication` replicate. */
export interface CountingQuorumSpec {
  readonly kind: 'counting';
  /** The voters (N = their count), ascending, distinct. */
  readonly voters: readonly VoterId[];
  /** P, `1 <= P <= N`. */
  readonly replication: number;
  /** L, `1 <= L <= N`, `L + P > N`. */
  readonly election: number;
}

/** A grid quorum system as data (see `gridQuorum`). */
export interface GridQuorumSpec {
  readonly kind: 'grid';
  readonly rows: readonly (readonly VoterId[])[];
  readonly phase1: GridPhase1;
}

/** A quorum system as plain data. */
export type QuorumSpec = CountingQuorumSpec | GridQuorumSpec;

/** The voters of `spec`, ascending. */
export function specVoters(spec: QuorumSpec): VoterId[] {
  switch (spec.kind) {
    case 'counting':
      return [...spec.voters].sort((a, b) => a - b);
    case 'grid':
      return spec.rows.flat().sort((a, b) => a - b);
    default:
      return unknownKind(spec);
  }
}

/**
 * Every problem with `spec`, each naming the field and the rule (for counting specs the same
 * messages as `validateCountingQuorum`, e.g. `P=2 and L=3 do not intersect for N=5: need
 * L + P > N`); empty when it is valid.
 */
export function validateQuorumSpec(spec: QuorumSpec): QuorumConfigProblem[] {
  switch (spec.kind) {
    case 'counting':
      return validateCountingQuorum({
        members: spec.voters,
        replication: spec.replication,
        election: spec.election,
      });
    case 'grid':
      return validateGridQuorum({ rows: spec.rows, phase1: spec.phase1 });
    default:
      return [
        {
          field: 'kind',
          rule: 'one-of',
          message: `quorum kind must be 'counting' or 'grid', got ${JSON.stringify((spec as { kind?: unknown }).kind)}`,
        },
      ];
  }
}

/** The quorum system `spec` describes. Throws a `QuorumConfigError` listing every problem. */
export function quorumFromSpec(spec: QuorumSpec): QuorumSystem {
  throwIfProblems(validateQuorumSpec(spec));
  switch (spec.kind) {
    case 'counting':
      return countingQuorum({
        members: spec.voters,
        replication: spec.replication,
        election: spec.election,
      });
    case 'grid':
      return gridQuorum({ rows: spec.rows, phase1: spec.phase1 });
    default:
      return unknownKind(spec);
  }
}

/** A short human description: `N=5 P=2 L=4 [1,2,3,4,5]` or `grid 2x3 phase1=rows [...]`. */
export function describeQuorumSpec(spec: QuorumSpec): string {
  switch (spec.kind) {
    case 'counting':
      return `N=${spec.voters.length} P=${spec.replication} L=${spec.election} [${specVoters(spec).join(',')}]`;
    case 'grid':
      return `grid ${spec.rows.length}x${spec.rows[0]?.length ?? 0} phase1=${spec.phase1} [${specVoters(spec).join(',')}]`;
    default:
      return unknownKind(spec);
  }
}

/** Whether two specs describe the same quorum system (same kind, voters, sizes or grid). */
export function quorumSpecsEqual(a: QuorumSpec, b: QuorumSpec): boolean {
  if (a.kind === 'counting' && b.kind === 'counting') {
    return (
      a.replication === b.replication &&
      a.election === b.election &&
      sameIds(specVoters(a), specVoters(b))
    );
  }
  if (a.kind === 'grid' && b.kind === 'grid') {
    return (
      a.phase1 === b.phase1 &&
      a.rows.length === b.rows.length &&
      a.rows.every((row, i) => sameIds(row, b.rows[i] ?? []))
    );
  }
  return false;
}

function sameIds(a: readonly VoterId[], b: readonly VoterId[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function unknownKind(spec: never): never {
  throw new TypeError(`unknown quorum spec kind: ${JSON.stringify(spec)}`);
}
