export * from './packet.js';
export * from './stream-fault.js';
export * from './stream-demuxer.js';
export * from './frame-assembler.js';
export * from './capture-file.js';
export * from './packet-encoder.js';
export * from './jt808-commands.js';
export * from './capture-report.js';
