import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitstreamError } from '../bits/bitstream-error.js';
import { parseHevcConfig, writeHevcConfig } from './hevc-config.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const asHex = (units: readonly Uint8Array[]) => units.map((u) => Buffer.from(u).toString('hex'));

const cases = [
  {
    name: 'testdata/media/h265-aac.bin: Main, 8-bit',
    vps: ['40010c01ffff01600000030090000003000003003c928090'],
    sps: ['42010101600000030090000003000003003ca00a080f16592a4932bc05a02000000300200000030321'],
    pps: ['4401c172b46240'],
    header: '01 01 60000000 900000000000 3c f000 fc fd f8 f8 0000 0f 03',
  },
  {
    name: 'Main 10, 10-bit',
    vps: ['40010c01ffff02200000030090000003000003005d959809'],
    sps: ['42010102200000030090000003000003005da00280802d1d5365959a4932bc05a02000000300200000030321'],
    pps: ['4401c172b46240'],
    header: '01 02 20000000 900000000000 5d f000 fc fd fa fa 0000 0f 03',
  },
] as const;

describe('writeHevcConfig / parseHevcConfig', () => {
  it.each(cases)('$name', ({ vps, sps, pps, header }) => {
    const record = writeHevcConfig({ vps: vps.map(hex), sps: sps.map(hex), pps: pps.map(hex) });
    // The 23-byte header (§8.3.3.1.2), then three complete arrays: VPS (32), SPS (33), PPS (34).
    expect(Buffer.from(record.subarray(0, 23)).toString('hex')).toBe(header.replace(/\s/g, ''));
    expect(record.length).toBe(23 + 3 * 5 + [...vps, ...sps, ...pps].reduce((n, u) => n + u.length / 2, 0));
    const read = parseHevcConfig(record);
    expect([asHex(read.vps), asHex(read.sps), asHex(read.pps)]).toEqual([vps, sps, pps]);
  });

  it.each([
    { name: 'no SPS', config: { vps: [], sps: [], pps: [] } },
    { name: 'an SPS that does not parse', config: { vps: [], sps: [hex('4201ffff')], pps: [] } },
  ])('will not write one with $name', ({ config }) => {
    expect(() => writeHevcConfig(config)).toThrow(BitstreamError);
  });

  it('reads any bytes into views within the record, or throws BitstreamError (fuzz, seeded by the cases)', () => {
    const records = cases.map((c) => writeHevcConfig({ vps: c.vps.map(hex), sps: c.sps.map(hex), pps: c.pps.map(hex) }));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (record) => {
        try {
          const { vps, sps, pps } = parseHevcConfig(record);
          expect([...vps, ...sps, ...pps].reduce((n, u) => n + u.length, 0)).toBeLessThanOrEqual(record.length);
        } catch (err) {
          expect(err).toBeInstanceOf(BitstreamError);
        }
      }),
      { numRuns: 1000, examples: records.flatMap((r) => [[r], [r.subarray(0, 40)]]) },
    );
  });
});
