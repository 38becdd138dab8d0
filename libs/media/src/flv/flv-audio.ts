/**
 * FLV audio tag bodies (FLV spec E.4.2.1): SoundFormat(4) | SoundRate(2) | SoundSize(1) |
 * SoundType(1), then the data. Only the device codecs FLV has a format for pass through:
 * G.711 A-law (7) and µ-law (8) — 8 kHz by definition of those formats, so SoundRate says 0 and
 * readers ignore it — and AAC (10), whose header must say 44 kHz stereo (E.4.2.1 note) and whose
 * data starts with AACPacketType (0 AudioSpecificConfig, 1 raw frame).
 */

export type FlvAudioCodec = 'g711a' | 'g711u' | 'aac';

const SOUND_G711A = 7;
const SOUND_G711U = 8;
const SOUND_AAC = 10;

export function isFlvAudioCodec(codec: string): codec is FlvAudioCodec {
  return codec === 'g711a' || codec === 'g711u' || codec === 'aac';
}

/** The soundformat id onMetaData's audiocodecid announces. */
export function flvAudioCodecId(codec: FlvAudioCodec): number {
  return codec === 'g711a' ? SOUND_G711A : codec === 'g711u' ? SOUND_G711U : SOUND_AAC;
}

function header(codec: FlvAudioCodec): number {
  // G.711: 16-bit decoded, mono; AAC: always 44 kHz, 16-bit, stereo in the header.
  return codec === 'aac' ? (SOUND_AAC << 4) | (3 << 2) | (1 << 1) | 1 : (flvAudioCodecId(codec) << 4) | (1 << 1);
}

/** A G.711 frame, or a raw AAC frame (ADTS header removed). */
export function flvAudioFrame(codec: FlvAudioCodec, data: Uint8Array): Uint8Array {
  const pre = codec === 'aac' ? 2 : 1;
  const out = new Uint8Array(pre + data.length);
  out[0] = header(codec);
  if (codec === 'aac') out[1] = 1;
  out.set(data, pre);
  return out;
}

/** The AAC sequence header: an AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1). */
export function flvAacSequenceHeader(audioSpecificConfig: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + audioSpecificConfig.length);
  out[0] = header('aac');
  out[1] = 0;
  out.set(audioSpecificConfig, 2);
  return out;
}
