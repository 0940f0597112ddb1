export type { StateSpace, StateWrite } from './state-write.js';
export { STATE_SPACES } from './state-write.js';
