export * from './nal-unit-type.js';
export * from './profile-tier-level.js';
export * from './sps.js';
export * from './codec-string.js';
export * from './hevc-config.js';
export * from './sample.js';
export * from './parameter-sets.js';
