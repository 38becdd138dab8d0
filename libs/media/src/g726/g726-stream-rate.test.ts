import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { G726StreamRate, g726RateOf } from './g726-stream-rate.js';

describe('G.726 rate from the stream', () => {
  it('reads bits per sample as bytes per millisecond, at every rate', () => {
    expect([40, 60, 80, 100].map((bytes) => g726RateOf(bytes, 20))).toEqual([16000, 24000, 32000, 40000]);
  });

  it('takes a first frame as 40 ms, then follows the timestamp spacing', () => {
    const r = new G726StreamRate();
    // 20 ms frames at 32 kbit/s: 80 bytes, which alone would be 40 ms at 16 kbit/s.
    expect(r.observe(80, 1000)).toBe(16000);
    expect(r.observe(80, 1020)).toBe(32000);
    for (let i = 2; i < 60; i++) expect(r.observe(80, 1000 + i * 20)).toBe(32000);
    expect(r.settled).toBe(true);
  });

  it('is not swayed by bursty stamps or a lost frame', () => {
    const r = new G726StreamRate();
    // 25 ms frames at 40 kbit/s (125 bytes) sent five under one stamp every 125 ms, short bursts first.
    const stamps = [166, 299, 299, 299, ...Array.from({ length: 60 }, (_, i) => 425 + 125 * Math.floor(i / 5))];
    const rates = stamps.map((t) => r.observe(125, t));
    // From the third full burst on (the first readings are the short bursts), and settled so.
    expect(rates.slice(14)).toEqual(rates.slice(14).map(() => 40000));
    expect(r.settled).toBe(true);
  });

  it('keeps a pinned rate whatever the stream says', () => {
    const r = new G726StreamRate(24000);
    expect([r.observe(80, 0), r.observe(80, 20)]).toEqual([24000, 24000]);
  });

  it('takes frames read together (stamped 1 ms apart by arrival) as one burst', () => {
    const r = new G726StreamRate();
    // 20 ms frames at 24 kbit/s (60 bytes) arriving five at a time every 100 ms.
    const stamps = Array.from({ length: 100 }, (_, i) => 100 * Math.floor(i / 5) + (i % 5));
    const rates = stamps.map((t) => r.observe(60, t));
    expect(rates.slice(10)).toEqual(rates.slice(10).map(() => 24000));
  });

  it('names one of the four rates for any sizes and stamps, settles, and finds a steady stream\'s rate (fuzz)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: -1e6, max: 1e9 })), { maxLength: 80 }), (frames) => {
        const r = new G726StreamRate();
        for (const [bytes, ts] of frames) expect([16000, 24000, 32000, 40000]).toContain(r.observe(bytes, ts));
      }),
      { numRuns: 150 },
    );
    fc.assert(
      fc.property(fc.constantFrom(2, 3, 4, 5), fc.constantFrom(20, 25, 40, 60), fc.integer({ min: 0, max: 1e9 }), (bits, ms, start) => {
        const r = new G726StreamRate();
        let rate = 0;
        for (let i = 0; i < 2000 / ms; i++) rate = r.observe(bits * ms, start + i * ms);
        expect(rate).toBe(bits * 8000);
        expect(r.settled).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
