export * from './config/index.js';
export * from './logger/index.js';
export * from './metrics/index.js';
export type * from './bench/index.js';
