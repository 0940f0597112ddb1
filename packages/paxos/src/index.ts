export type { Ballot } from './types.js';
