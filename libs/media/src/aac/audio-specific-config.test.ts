import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { audioSpecificConfig } from './audio-specific-config.js';

/** Well-known configs: object type (5 bits), frequency index (4), channels (4), 3 zero bits. */
const CASES = [
  { name: 'AAC-LC 16 kHz mono', objectType: 2, sampleRateIndex: 8, channelConfig: 1, bytes: [0x14, 0x08] },
  { name: 'AAC-LC 44.1 kHz stereo', objectType: 2, sampleRateIndex: 4, channelConfig: 2, bytes: [0x12, 0x10] },
  { name: 'AAC-LC 48 kHz stereo', objectType: 2, sampleRateIndex: 3, channelConfig: 2, bytes: [0x11, 0x90] },
  { name: 'AAC-LC 8 kHz mono', objectType: 2, sampleRateIndex: 11, channelConfig: 1, bytes: [0x15, 0x88] },
];

describe('AudioSpecificConfig', () => {
  for (const c of CASES) it(c.name, () => expect([...audioSpecificConfig(c)]).toEqual(c.bytes));

  it('packs any fields so they read back (fuzz, cases as seeds)', () => {
    const fields = fc.oneof(
      fc.constantFrom(...CASES),
      fc.record({ objectType: fc.integer({ min: 1, max: 30 }), sampleRateIndex: fc.integer({ min: 0, max: 12 }), channelConfig: fc.integer({ min: 0, max: 7 }) }),
    );
    fc.assert(
      fc.property(fields, (f) => {
        const b = audioSpecificConfig(f);
        expect(b.length).toBe(2);
        const bits = (b[0]! << 8) | b[1]!;
        expect([bits >> 11, (bits >> 7) & 15, (bits >> 3) & 15, bits & 7]).toEqual([f.objectType, f.sampleRateIndex, f.channelConfig, 0]);
      }),
      { numRuns: 300 },
    );
  });
});
