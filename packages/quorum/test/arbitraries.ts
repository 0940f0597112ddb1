/**
 * fast-check arbitraries for quorum systems over ids 1..9, and the pinned seed.
 * Override the seed with QUORUM_SEED=<n> to explore; fast-check prints the seed and path of
 * any failure so it can be replayed.
 */
import fc from 'fast-check';
import type { QuorumSystem, VoterId } from '../src/index.js';
import { countingQuorum, gridQuorum, jointQuorum } from '../src/index.js';
import type { ModelSpec } from './naive.js';
import { UNIVERSE_MAX } from './naive.js';

/** The pinned seed for every property in this package. */
export const SEED = Number(process.env['QUORUM_SEED'] ?? 20_261_122);

/** Options for fc.assert: pinned seed, bounded runs. */
export function fcOptions(numRuns: number): fc.Parameters<unknown> {
  return { seed: SEED, numRuns };
}

const id = fc.integer({ min: 1, max: UNIVERSE_MAX });

/** A valid counting spec: 1..9 distinct members from 1..9, P in 1..N, L in N-P+1..N. */
export const countingSpec: fc.Arbitrary<ModelSpec> = fc
  .uniqueArray(id, { minLength: 1, maxLength: UNIVERSE_MAX })
  .chain((members) => {
    const n = members.length;
    return fc
      .integer({ min: 1, max: n })
      .chain((replication) =>
        fc
          .integer({ min: n - replication + 1, max: n })
          .map((election): ModelSpec => ({ kind: 'counting', members, election, replication })),
      );
  });

/** A valid grid spec: up to 3x3 (at most 9 cells) over distinct ids from 1..9. */
export const gridSpec: fc.Arbitrary<ModelSpec> = fc
  .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))
  .chain(([height, width]) =>
    fc
      .tuple(
        fc.uniqueArray(id, { minLength: height * width, maxLength: height * width }),
        fc.constantFrom('rows' as const, 'columns' as const),
      )
      .map(([cells, phase1]): ModelSpec => ({
        kind: 'grid',
        rows: Array.from({ length: height }, (_, i) => cells.slice(i * width, (i + 1) * width)),
        phase1,
      })),
  );

/** A joint spec of two counting or grid specs (members overlap since all ids are 1..9). */
export const jointSpec: fc.Arbitrary<ModelSpec> = fc
  .tuple(fc.oneof(countingSpec, gridSpec), fc.oneof(countingSpec, gridSpec))
  .map(([a, b]): ModelSpec => ({ kind: 'joint', a, b }));

/** A joint of a joint and a base system (joint systems nest). */
export const nestedJointSpec: fc.Arbitrary<ModelSpec> = fc
  .tuple(jointSpec, fc.oneof(countingSpec, gridSpec))
  .map(([a, b]): ModelSpec => ({ kind: 'joint', a, b }));

/** Builds the real (fast) system for a spec. */
export function build(spec: ModelSpec): QuorumSystem {
  switch (spec.kind) {
    case 'counting':
      return countingQuorum(spec);
    case 'grid':
      return gridQuorum(spec);
    case 'joint':
      return jointQuorum(build(spec.a), build(spec.b));
  }
}

/** Ids a caller might mention, voters and non-voters alike (10 and 11 are never voters). */
const anyId = fc.integer({ min: 1, max: UNIVERSE_MAX + 2 });

/** A vote map: true = granted, false = refused, absent = not answered. */
export const votes: fc.Arbitrary<Map<VoterId, boolean>> = fc
  .array(fc.tuple(anyId, fc.boolean()), { maxLength: 12 })
  .map((entries) => new Map(entries));

/** Acknowledged indexes with many ties (0..6). */
export const acked: fc.Arbitrary<Map<VoterId, number>> = fc
  .array(fc.tuple(anyId, fc.integer({ min: 0, max: 6 })), { maxLength: 12 })
  .map((entries) => new Map(entries));

/** A set of ids. */
export const idSet: fc.Arbitrary<Set<VoterId>> = fc
  .uniqueArray(anyId, { maxLength: UNIVERSE_MAX + 2 })
  .map((ids) => new Set(ids));
