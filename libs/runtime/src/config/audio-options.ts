/**
 * `jt1078.audio` for one device: the deployment's settings with the device's overrides, in the
 * shape libs/media's AudioDecodeOptions takes (msb/lsb packing is its 'be'/'le'; 'auto' leaves
 * the G.726 rate to the stream).
 */
import type { AudioConfig } from './config-schema.js';

export interface DeviceAudioOptions {
  readonly adpcmByteOrder: 'le' | 'be';
  readonly g726Packing: 'be' | 'le';
  readonly g726Rate?: 16000 | 24000 | 32000 | 40000;
}

export function audioOptionsFor(audio: AudioConfig, sim: string): DeviceAudioOptions {
  // A SIM may be configured with or without its leading zeros (BCD pads them: table 19).
  const bare = (s: string) => s.replace(/^0+(?=\d)/, '');
  const own = audio.devices[sim] ?? Object.entries(audio.devices).find(([k]) => bare(k) === bare(sim))?.[1] ?? {};
  const rate = own.g726_rate ?? audio.g726_rate;
  return {
    adpcmByteOrder: own.adpcm_byte_order ?? audio.adpcm_byte_order,
    g726Packing: (own.g726_packing ?? audio.g726_packing) === 'msb' ? 'be' : 'le',
    ...(rate === 'auto' ? {} : { g726Rate: rate }),
  };
}
