export * from './stream-registry.js';
export * from './memory-stream-registry.js';
export * from './redis-stream-registry.js';
export * from './port-lease-store.js';
export * from './memory-port-lease-store.js';
export * from './redis-port-lease-store.js';
export * from './redis-connection.js';
export * from './store-unavailable.js';
