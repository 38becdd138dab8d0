export * from './annexb.js';
export * from './length-prefixed.js';
export * from './nal-unit-type.js';
export * from './is-random-access.js';
