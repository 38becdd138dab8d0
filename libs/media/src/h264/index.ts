export * from './nal-unit-type.js';
export * from './sps.js';
export * from './codec-string.js';
export * from './avc-config.js';
export * from './sample.js';
export * from './parameter-sets.js';
/** Kept here for importers from before it moved to annexb/length-prefixed.ts. */
export { lengthPrefixed } from '../annexb/length-prefixed.js';
