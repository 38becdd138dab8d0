export * from './ll-hls-playlist.js';
export * from './ll-hls-segmenter.js';
export * from './segment-marker.js';
