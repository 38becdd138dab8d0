export { OPUS_CLOCK_RATE, OPUS_FRAME_MS, OPUS_PRE_SKIP, OpusFrameEncoder, type OpusPacket } from './opus-frame-encoder.js';
export { decodeOpus } from './decode-opus.js';
