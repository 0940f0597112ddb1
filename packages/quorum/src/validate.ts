/**
 * Configuration validation for the quorum systems. Every validator returns ALL problems it finds
 * (an empty list means valid), each naming the field and the rule; the constructors call these
 * and throw one {@link QuorumConfigError} listing them.
 */
import type { QuorumConfigProblem } from './errors.js';
import type { VoterId } from './quorum-system.js';

/** Configuration of a counting quorum system over N members. */
export interface CountingQuorumConfig {
  /** The acceptors (N = their count): distinct positive safe integers, any order. */
  readonly members: readonly VoterId[];
  /** P: the phase-2 (replication) quorum size, `1 <= P <= N`. */
  readonly replication: number;
  /**
   * L: the phase-1 (election) quorum size, `1 <= L <= N` and `L + P > N`.
   * Defaults to `N - P + 1`, the smallest L that intersects every phase-2 quorum.
   */
  readonly election?: number | undefined;
}

/** Which grid lines form phase-1 quorums; the other direction forms phase-2 quorums. */
export type GridPhase1 = 'rows' | 'columns';

/** Configuration of a grid quorum system. */
export interface GridQuorumConfig {
  /**
   * The members laid out as a rectangle: `rows[i][j]` is the member in row i, column j. Every
   * row has the same, non-zero length; ids are distinct positive safe integers.
   */
  readonly rows: readonly (readonly VoterId[])[];
  /**
   * `'rows'`: a phase-1 quorum is a whole row and a phase-2 quorum a whole column;
   * `'columns'`: the other way round. A row and a column always share exactly one member.
   */
  readonly phase1: GridPhase1;
}

/**
 * The default phase-1 (election) quorum size for counting quorums: `N - P + 1`, the smallest L
 * with `L + P > N`.
 */
export function defaultElectionQuorumSize(memberCount: number, replication: number): number {
  return memberCount - replication + 1;
}

/**
 * Problems with a list of member ids: it must be non-empty and hold distinct positive safe
 * integers. `field` names the list in messages (default `members`).
 */
export function validateMembers(
  members: readonly VoterId[],
  field = 'members',
): QuorumConfigProblem[] {
  const problems: QuorumConfigProblem[] = [];
  if (!isList(members)) {
    problems.push({
      field,
      rule: 'non-empty',
      message: `${field} must be a non-empty array of ids`,
    });
    return problems;
  }
  if (members.length === 0) {
    problems.push({ field, rule: 'non-empty', message: `${field} must not be empty` });
  }
  problems.push(
    ...idProblems(
      members.map((id, i) => ({ id, where: `${field}[${i}]` })),
      field,
    ),
  );
  return problems;
}

/**
 * Every problem with a counting-quorum configuration: the members (see {@link validateMembers}),
 * `1 <= P <= N`, `1 <= L <= N`, and the intersection rule `L + P > N` (Flexible Paxos,
 * Howard, Malkhi, Spiegelman, arXiv 1608.06696, §3: every phase-1 quorum must meet every
 * phase-2 quorum; two sets of sizes L and P out of N are forced to meet iff L + P > N).
 */
export function validateCountingQuorum(config: CountingQuorumConfig): QuorumConfigProblem[] {
  const { members, replication, election } = config;
  const problems = validateMembers(members);
  const n = isList(members) ? new Set(members).size : 0;
  const pOk = checkSize(problems, 'replication', 'P', replication, n);
  if (election === undefined) {
    return problems;
  }
  const lOk = checkSize(problems, 'election', 'L', election, n);
  if (pOk && lOk && n > 0 && election + replication <= n) {
    problems.push({
      field: 'election',
      rule: 'intersection',
      message: `P=${replication} and L=${election} do not intersect for N=${n}: need L + P > N`,
    });
  }
  return problems;
}

/**
 * Every problem with a grid configuration: at least one row, every row non-empty and of the same
 * length, ids distinct positive safe integers across the grid, `phase1` one of `rows | columns`.
 * Any well-formed grid is safe: each row meets each column in exactly one member.
 */
export function validateGridQuorum(config: GridQuorumConfig): QuorumConfigProblem[] {
  const { rows, phase1 } = config;
  const problems: QuorumConfigProblem[] = [];
  if (!isList(rows) || rows.length === 0) {
    problems.push({ field: 'rows', rule: 'non-empty', message: 'rows must hold at least one row' });
  } else {
    const width = rows[0]?.length ?? 0;
    rows.forEach((row, i) => {
      if (!isList(row) || row.length === 0) {
        problems.push({
          field: `rows[${i}]`,
          rule: 'non-empty',
          message: `rows[${i}] must hold at least one member`,
        });
      } else if (row.length !== width && width > 0) {
        problems.push({
          field: `rows[${i}]`,
          rule: 'rectangular',
          message: `rows[${i}] has ${row.length} members but rows[0] has ${width}: every row needs the same length`,
        });
      }
    });
    const cells = rows.flatMap((row, i) =>
      isList(row) ? row.map((id, j) => ({ id, where: `rows[${i}][${j}]` })) : [],
    );
    problems.push(...idProblems(cells, 'rows'));
  }
  if (phase1 !== 'rows' && phase1 !== 'columns') {
    problems.push({
      field: 'phase1',
      rule: 'one-of',
      message: `phase1 must be 'rows' or 'columns', got ${JSON.stringify(phase1)}`,
    });
  }
  return problems;
}

/** Problems with individual ids (not positive safe integers) and duplicates among them. */
function idProblems(
  cells: readonly { id: VoterId; where: string }[],
  field: string,
): QuorumConfigProblem[] {
  const problems: QuorumConfigProblem[] = [];
  const seen = new Map<VoterId, number>();
  for (const { id, where } of cells) {
    if (!Number.isSafeInteger(id) || id < 1) {
      problems.push({
        field,
        rule: 'positive-safe-integer',
        message: `${where} = ${String(id)} must be a positive safe integer`,
      });
      continue;
    }
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  for (const [id, count] of seen) {
    if (count > 1) {
      problems.push({
        field,
        rule: 'distinct',
        message: `${field} must be distinct: ${id} appears ${count} times`,
      });
    }
  }
  return problems;
}

/** Checks `1 <= value <= n` (upper bound only when n > 0); records a problem and returns ok. */
function checkSize(
  problems: QuorumConfigProblem[],
  field: string,
  symbol: string,
  value: number,
  n: number,
): boolean {
  const integer = Number.isSafeInteger(value);
  if (integer && value >= 1 && (n === 0 || value <= n)) {
    return true;
  }
  const bound = n > 0 ? `1 <= ${symbol} <= N (N=${n})` : `1 <= ${symbol}`;
  problems.push({
    field,
    rule: 'range',
    message: `${field} ${symbol}=${String(value)} is out of range: need an integer with ${bound}`,
  });
  return false;
}

/** `Array.isArray` without widening to `any[]`: JavaScript callers may pass anything. */
function isList<T>(value: readonly T[]): value is readonly T[] {
  return Array.isArray(value);
}
