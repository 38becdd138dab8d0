export * from './h264-rtp-packetizer.js';
export * from './rtp-audio-encoder.js';
