export * from './describe-video.js';
export * from './video-parameter-set-tracker.js';
