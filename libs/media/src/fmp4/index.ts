export * from './box.js';
export * from './track-info.js';
export * from './init-segment-writer.js';
export * from './fragment-writer.js';
export * from './fragment-reader.js';
