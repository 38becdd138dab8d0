export { decodeAlaw, encodeAlaw } from './alaw.js';
export { decodeUlaw, encodeUlaw } from './mulaw.js';
