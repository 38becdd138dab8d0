export { HealthState } from './health-state.js';
export { ShutdownSequence } from './shutdown-sequence.js';
export { MemoryRelease, RELEASE_THRESHOLD_BYTES } from './memory-release.js';
export { serviceShutdownOrder, type ShutdownStep, type RunningService, type ProcessShutdownParts } from './service-shutdown.js';
