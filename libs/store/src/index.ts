export * from './stream-registry.js';
export * from './memory-stream-registry.js';
export * from './redis-stream-registry.js';
