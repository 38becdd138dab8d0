export * from './codec-name.js';
export * from './media-frame.js';
