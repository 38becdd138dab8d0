export * from './h264-rtp-packetizer.js';
