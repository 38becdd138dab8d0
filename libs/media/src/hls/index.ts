export * from './ll-hls-playlist.js';
export * from './ll-hls-segmenter.js';
// The marker rule lives with the rest of segment numbering (libs/numbering); named here only for
// the packager bench, which imports it from this path until it moves to its own workspace.
export { SEGMENT_TOLERANCE_RATIO, SegmentMarker, type MarkableFrame } from '@jt1078/numbering';
