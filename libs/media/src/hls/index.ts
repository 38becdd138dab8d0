export * from './ll-hls-playlist.js';
export * from './ll-hls-segmenter.js';
export * from './segment-window.js';
export * from './init-segment-store.js';
export * from './fragment-sequence.js';
