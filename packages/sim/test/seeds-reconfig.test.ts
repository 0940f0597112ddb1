import { describe } from 'vitest';
import { seedRange } from './support/seed-range.js';

// Seeds with reconfiguration faults on every seed (membership, quorum and leader changes while
// the other faults run); the default mix has them on one seed in three.
describe('runSeed', () => {
  seedRange(10_001, 100, { reconfig: true });
});

// Seeds that once failed with reconfiguration, kept as regressions: a lagging acceptor that
// refused a new voter's Prepare (1644), a voter that had not learned its promotion was
// committed and never campaigned (2793), a joiner that campaigned before it knew any
// configuration (3419), and a voter behind on the log that refused the pre-vote of a member it
// had not learned of yet (327); liveness failed in each.
describe('runSeed regressions', () => {
  for (const seed of [327, 1644, 2793, 3419]) seedRange(seed, 1, { reconfig: true });
});
