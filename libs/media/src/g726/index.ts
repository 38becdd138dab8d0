export type { G726Packing, G726Rate } from './g726-tables.js';
export { G726Decoder } from './g726-decoder.js';
export { G726Encoder } from './g726-encoder.js';
export { G726StreamRate, g726RateOf } from './g726-stream-rate.js';
