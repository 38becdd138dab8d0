export * from './config/index.js';
export * from './logger/index.js';
export * from './metrics/index.js';
export * from './http/index.js';
export * from './lifecycle/index.js';
export * from './time/index.js';
