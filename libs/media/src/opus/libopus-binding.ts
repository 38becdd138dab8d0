/**
 * PCM to Opus with libopus (through @discordjs/opus, a native binding: the same encoder ffmpeg's
 * libopus uses, at the same cost). Browsers' MSE cannot play G.711 in MP4, so device audio
 * becomes Opus. Only this folder imports the binding.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const { OpusEncoder } = require('@discordjs/opus') as {
  OpusEncoder: new (rate: number, channels: number) => {
    encode(pcm: Buffer): Buffer;
    decode(packet: Buffer): Buffer;
    setBitrate(bps: number): void;
  };
};
