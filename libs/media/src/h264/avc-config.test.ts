import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitstreamError } from '../bits/bitstream-error.js';
import { parseAvcConfig, writeAvcConfig } from './avc-config.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const asHex = (units: readonly Uint8Array[]) => units.map((u) => Buffer.from(u).toString('hex'));

const cases = [
  {
    name: 'Main: 7 + 2+SPS + 1+2+PPS bytes, no extension',
    sps: ['674d400dd90141fb011000000300100000030320f142a480'],
    pps: ['68ebc3cb20'],
    record: '01 4d400d ff e1 0018 674d400dd90141fb011000000300100000030320f142a480 01 0005 68ebc3cb20',
  },
  {
    name: 'High 4:2:2: the chroma format and bit depth extension (§5.3.3.1.2)',
    sps: ['677a001ebcd940a03db011000003000100000300320f162d96'],
    pps: ['68ebe3cb22c0'],
    record: '01 7a001e ff e1 0019 677a001ebcd940a03db011000003000100000300320f162d96 01 0006 68ebe3cb22c0 fe f8 f8 00',
  },
  {
    name: 'two PPS',
    sps: ['6742c00dd9016096c044000003000400000300c83c50a920'],
    pps: ['68cb83cb20', '68ce3c80'],
    record: '01 42c00d ff e1 0018 6742c00dd9016096c044000003000400000300c83c50a920 02 0005 68cb83cb20 0004 68ce3c80',
  },
] as const;

describe('writeAvcConfig / parseAvcConfig', () => {
  it.each(cases)('$name', ({ sps, pps, record }) => {
    const written = writeAvcConfig({ sps: sps.map(hex), pps: pps.map(hex) });
    expect(Buffer.from(written).toString('hex')).toBe(record.replace(/\s/g, ''));
    const read = parseAvcConfig(written);
    expect([asHex(read.sps), asHex(read.pps)]).toEqual([sps, pps]);
  });

  it.each([
    { name: 'no SPS', config: { sps: [], pps: [hex('68ce')] } },
    { name: 'an SPS that does not parse', config: { sps: [hex('67ffffff')], pps: [] } },
    { name: 'more PPS than the count field holds', config: { sps: [hex(cases[0].sps[0])], pps: Array.from({ length: 256 }, () => hex('68ce')) } },
  ])('will not write one with $name', ({ config }) => {
    expect(() => writeAvcConfig(config)).toThrow(BitstreamError);
  });

  it('reads any bytes into views within the record, or throws BitstreamError (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (record) => {
        try {
          const { sps, pps } = parseAvcConfig(record);
          expect([...sps, ...pps].reduce((n, u) => n + u.length, 0)).toBeLessThanOrEqual(record.length);
        } catch (err) {
          expect(err).toBeInstanceOf(BitstreamError);
        }
      }),
      { numRuns: 1000, examples: cases.flatMap((c) => [[hex(c.record)], [hex(c.record).subarray(0, 12)]]) },
    );
  });

  it('round-trips the parameter sets of a real SPS with any PPS (fuzz)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...cases.map((c) => c.sps[0])), fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 4 }), (sps, pps) => {
        const read = parseAvcConfig(writeAvcConfig({ sps: [hex(sps)], pps }));
        expect([asHex(read.sps), asHex(read.pps)]).toEqual([[sps], asHex(pps)]);
      }),
      { numRuns: 300 },
    );
  });
});
