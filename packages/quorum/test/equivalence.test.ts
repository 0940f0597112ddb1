import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ModelSpec } from './naive.js';
import {
  maskOf,
  naiveIntersectsEveryPhase1Quorum,
  naiveModel,
  naivePhase1Result,
  naivePhase2CommittedIndex,
} from './naive.js';
import {
  acked,
  build,
  countingSpec,
  fcOptions,
  gridSpec,
  idSet,
  jointSpec,
  nestedJointSpec,
  votes,
} from './arbitraries.js';

/** [export, arbitrary spec, runs per property] */
const kinds: [string, fc.Arbitrary<ModelSpec>, number][] = [
  ['countingQuorum', countingSpec, 300],
  ['gridQuorum', gridSpec, 300],
  ['jointQuorum', jointSpec, 200],
  ['jointQuorum (nested)', nestedJointSpec, 150],
];

for (const [name, spec, runs] of kinds) {
  describe(name, () => {
    it('computes phase1Result as enumeration does', () => {
      fc.assert(
        fc.property(spec, votes, (s, v) => {
          expect(build(s).phase1Result(v)).toBe(naivePhase1Result(naiveModel(s), v));
        }),
        fcOptions(runs),
      );
    });

    it('computes phase2CommittedIndex as enumeration does', () => {
      fc.assert(
        fc.property(spec, acked, (s, a) => {
          expect(build(s).phase2CommittedIndex(a)).toBe(
            naivePhase2CommittedIndex(naiveModel(s), a),
          );
        }),
        fcOptions(runs),
      );
    });

    it('computes intersectsEveryPhase1Quorum as enumeration does', () => {
      fc.assert(
        fc.property(spec, idSet, (s, ids) => {
          expect(build(s).intersectsEveryPhase1Quorum(ids)).toBe(
            naiveIntersectsEveryPhase1Quorum(naiveModel(s), ids),
          );
        }),
        fcOptions(runs),
      );
    });

    it('recognises phase-1 and phase-2 quorums as the definitions do', () => {
      fc.assert(
        fc.property(spec, idSet, (s, ids) => {
          const system = build(s);
          const model = naiveModel(s);
          expect(system.isPhase1Quorum(ids)).toBe(model.phase1[maskOf(ids)]);
          expect(system.isPhase2Quorum(ids)).toBe(model.phase2[maskOf(ids)]);
        }),
        fcOptions(runs),
      );
    });

    it('lists its voters ascending and counts every phase-2 quorum as a lease set', () => {
      fc.assert(
        fc.property(spec, idSet, (s, ids) => {
          const system = build(s);
          const sorted = [...system.voters].sort((x, y) => x - y);
          expect(system.voters).toEqual([...new Set(sorted)]);
          if (system.isPhase2Quorum(ids)) {
            expect(system.intersectsEveryPhase1Quorum(ids)).toBe(true);
          }
        }),
        fcOptions(runs),
      );
    });
  });
}
