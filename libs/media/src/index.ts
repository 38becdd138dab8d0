export * from './codec/index.js';
export * from './annexb/index.js';
