export * from './segment-cursor.js';
export * from './segment-mark.js';
export * from './segment-marker.js';
export * from './stream-numbering.js';
