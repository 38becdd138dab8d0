import { describe, expect, it } from 'vitest';
import { audioOptionsFor } from './audio-options.js';
import { ConfigError, parseConfig } from './config-loader.js';

describe('jt1078.audio', () => {
  it('defaults to how devices send audio: ADPCM little-endian, G.726 MSB first at the rate the stream shows', () => {
    const { config } = parseConfig('', 'test');
    expect(audioOptionsFor(config.jt1078.audio, '013900000001')).toEqual({ adpcmByteOrder: 'le', g726Packing: 'be' });
  });

  it('pins settings for the deployment and overrides them per SIM (with or without leading zeros)', () => {
    const yaml = [
      'jt1078:',
      '  audio:',
      '    g726_rate: 24000',
      '    devices:',
      '      "13900000002": { adpcm_byte_order: be, g726_packing: lsb }',
      '      "013900000003": { g726_rate: auto }',
    ].join('\n');
    const audio = parseConfig(yaml, 'test').config.jt1078.audio;
    expect(audioOptionsFor(audio, '013900000001')).toEqual({ adpcmByteOrder: 'le', g726Packing: 'be', g726Rate: 24000 });
    expect(audioOptionsFor(audio, '013900000002')).toEqual({ adpcmByteOrder: 'be', g726Packing: 'le', g726Rate: 24000 });
    expect(audioOptionsFor(audio, '13900000003')).toEqual({ adpcmByteOrder: 'le', g726Packing: 'be' });
  });

  it('names a wrong value or key', () => {
    expect(() => parseConfig('jt1078:\n  audio:\n    g726_rate: 33000\n', 'test')).toThrow(ConfigError);
    expect(() => parseConfig('jt1078:\n  audio:\n    devices:\n      "1": { adpcm: le }\n', 'test')).toThrow(/adpcm/);
  });
});
