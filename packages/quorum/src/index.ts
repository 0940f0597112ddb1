export type { QuorumSystem, VoterId, VoteResult } from './quorum-system.js';
