/** Opus back to PCM: tests, and measuring what a browser will hear. */
import { OpusEncoder } from './libopus-binding.js';

/** Decodes Opus packets back to PCM (tests, and measuring what a browser will hear). */
export function decodeOpus(packets: readonly Uint8Array[], sampleRate: 8000 | 16000 | 48000 = 48000): Int16Array {
  const decoder = new OpusEncoder(sampleRate, 1);
  const parts = packets.map((p) => decoder.decode(Buffer.from(p)));
  const total = parts.reduce((n, b) => n + b.length / 2, 0);
  const out = new Int16Array(total);
  let o = 0;
  for (const b of parts) {
    out.set(new Int16Array(b.buffer, b.byteOffset, b.length / 2), o);
    o += b.length / 2;
  }
  return out;
}
