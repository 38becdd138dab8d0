export * from './bitstream-error.js';
export * from './emulation-prevention.js';
export * from './bit-reader.js';
