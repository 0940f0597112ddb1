export type { QuorumSystem, VoterId, VoteResult } from './quorum-system.js';
export type { CountingQuorumSystem } from './counting-quorum.js';
export { countingQuorum, majorityQuorum } from './counting-quorum.js';
export type { GridQuorumSystem } from './grid-quorum.js';
export { gridQuorum } from './grid-quorum.js';
export type { JointQuorumSystem } from './joint-quorum.js';
export { jointQuorum } from './joint-quorum.js';
export { pickPhase2Quorum } from './pick-quorum.js';
export type { QuorumConfigProblem, QuorumConfigRule } from './errors.js';
export { QuorumConfigError } from './errors.js';
export type { CountingQuorumConfig, GridPhase1, GridQuorumConfig } from './validate.js';
export {
  defaultElectionQuorumSize,
  validateCountingQuorum,
  validateGridQuorum,
  validateMembers,
} from './validate.js';
export type { CountingQuorumSpec, GridQuorumSpec, QuorumSpec } from './quorum-spec.js';
export {
  describeQuorumSpec,
  quorumFromSpec,
  quorumSpecsEqual,
  specVoters,
  validateQuorumSpec,
} from './quorum-spec.js';
