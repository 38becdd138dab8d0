export { HealthState } from './health-state.js';
export { ShutdownSequence } from './shutdown-sequence.js';
