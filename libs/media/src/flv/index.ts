export * from './flv-tag.js';
export * from './flv-video.js';
export * from './flv-audio.js';
export * from './flv-metadata.js';
export * from './flv-muxer.js';
