export { MAX_STEP_MS, TrackTimeline, type TimelineStats } from './track-timeline.js';
export { AudioSampleClock } from './audio-sample-clock.js';
