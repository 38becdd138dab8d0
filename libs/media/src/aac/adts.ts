/**
 * AAC in ADTS (ISO/IEC 13818-7 §6.2, ISO/IEC 14496-3 §1.A.2): headers parsed to the
 * AudioSpecificConfig an `esds` needs (§1.6.2.1), frames passed through without re-encoding.
 */

export class AdtsError extends Error {
  override readonly name = 'AdtsError';
  readonly kind = 'adts';
}

export const AAC_SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350] as const;

export interface AdtsFrame {
  /** Audio object type (profile + 1): 2 = AAC-LC. */
  readonly objectType: number;
  readonly sampleRateIndex: number;
  readonly sampleRate: number;
  readonly channelConfig: number;
  /** The raw AAC frame, header and CRC removed. */
  readonly payload: Uint8Array;
}

/** Splits a buffer of one or more ADTS frames. */
export function parseAdts(data: Uint8Array): AdtsFrame[] {
  const frames: AdtsFrame[] = [];
  let o = 0;
  while (o < data.length) {
    if (o + 7 > data.length || data[o] !== 0xff || (data[o + 1]! & 0xf6) !== 0xf0) throw new AdtsError(`no ADTS sync word at ${o}`);
    const protectionAbsent = data[o + 1]! & 1;
    const objectType = ((data[o + 2]! >> 6) & 3) + 1;
    const sampleRateIndex = (data[o + 2]! >> 2) & 0x0f;
    const channelConfig = ((data[o + 2]! & 1) << 2) | (data[o + 3]! >> 6);
    const length = ((data[o + 3]! & 3) << 11) | (data[o + 4]! << 3) | (data[o + 5]! >> 5);
    const headerLength = protectionAbsent ? 7 : 9;
    const sampleRate = AAC_SAMPLE_RATES[sampleRateIndex];
    if (sampleRate === undefined) throw new AdtsError(`sampling frequency index ${sampleRateIndex} is reserved`);
    if (length < headerLength || o + length > data.length) throw new AdtsError(`ADTS frame length ${length} at ${o} does not fit`);
    frames.push({ objectType, sampleRateIndex, sampleRate, channelConfig, payload: data.subarray(o + headerLength, o + length) });
    o += length;
  }
  return frames;
}

/** An ADTS header for a raw frame (no CRC), for making test streams. */
export function writeAdts(f: Pick<AdtsFrame, 'objectType' | 'sampleRateIndex' | 'channelConfig'>, payload: Uint8Array): Uint8Array {
  const length = 7 + payload.length;
  const out = new Uint8Array(length);
  out[0] = 0xff;
  out[1] = 0xf1;
  out[2] = ((f.objectType - 1) << 6) | (f.sampleRateIndex << 2) | (f.channelConfig >> 2);
  out[3] = ((f.channelConfig & 3) << 6) | (length >> 11);
  out[4] = (length >> 3) & 0xff;
  out[5] = ((length & 7) << 5) | 0x1f;
  out[6] = 0xfc;
  out.set(payload, 7);
  return out;
}
