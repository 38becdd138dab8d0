export * from './subjects.js';
export * from './frame-envelope.js';
export * from './event-envelope.js';
export * from './media-bus.js';
export * from './memory-media-bus.js';
export * from './nats-media-bus.js';
