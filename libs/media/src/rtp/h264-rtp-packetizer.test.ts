import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { joinAnnexB } from '../annexb/index.js';
import { DEFAULT_RTP_PAYLOAD_BYTES, H264RtpPacketizer, type RtpPayload } from './h264-rtp-packetizer.js';

/** An independent receiver (RFC 6184 §5.6, §5.8): NAL units back from payloads. */
function depacketize(payloads: readonly RtpPayload[]): Uint8Array[] {
  const units: Uint8Array[] = [];
  let fu: number[] | undefined;
  for (const { payload } of payloads) {
    const type = payload[0]! & 0x1f;
    if (type !== 28) {
      units.push(payload);
      continue;
    }
    const start = (payload[1]! & 0x80) !== 0;
    const end = (payload[1]! & 0x40) !== 0;
    if (start) fu = [(payload[0]! & 0xe0) | (payload[1]! & 0x1f)];
    fu!.push(...payload.subarray(2));
    if (end) {
      units.push(Uint8Array.from(fu!));
      fu = undefined;
    }
  }
  return units;
}

const asHex = (u: Uint8Array) => Buffer.from(u).toString('hex');

const nal = (type: number, size: number, fill = 0xab) => {
  const u = new Uint8Array(size).fill(fill);
  u[0] = 0x60 | type;
  return u;
};

const CASES = [
  { name: 'small P-frame: one single-NAL packet', units: [nal(1, 300)], packets: 1 },
  { name: 'exactly the payload size: still one packet', units: [nal(1, 1200)], packets: 1 },
  { name: 'one byte over: FU-A in two', units: [nal(1, 1201)], packets: 2 },
  { name: 'key frame with SPS/PPS and a 5000-byte IDR', units: [nal(7, 12), nal(8, 4), nal(5, 5000)], packets: 2 + Math.ceil(4999 / 1198) },
  { name: 'AUD and SEI: AUD dropped, SEI kept', units: [nal(9, 2), nal(6, 20), nal(1, 100)], packets: 2 },
] as const;

describe('H264RtpPacketizer (RFC 6184)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const out = new H264RtpPacketizer().packetize(joinAnnexB([...c.units]));
      expect(out).toHaveLength(c.packets);
      expect(out.every((p) => p.payload.length <= 1200)).toBe(true);
      expect(out.map((p) => p.marker)).toEqual(out.map((_, i) => i === out.length - 1));
      expect(depacketize(out)).toEqual(c.units.filter((u) => (u[0]! & 0x1f) !== 9));
    });
  }

  it('puts the last SPS/PPS in front of a key frame that came without them', () => {
    const p = new H264RtpPacketizer();
    const sps = nal(7, 10, 1);
    const pps = nal(8, 5, 2);
    p.packetize(joinAnnexB([sps, pps, nal(5, 50)]));
    p.packetize(joinAnnexB([nal(1, 50)]));
    const later = p.packetize(joinAnnexB([nal(5, 60)]));
    expect(depacketize(later).map((u) => u[0]! & 0x1f)).toEqual([7, 8, 5]);
    expect(depacketize(later)[0]).toEqual(sps);
  });

  it('round-trips any access unit within the payload bound, and never throws on garbage (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ type: fc.integer({ min: 1, max: 23 }), size: fc.integer({ min: 2, max: 6000 }) }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 3, max: 1500 }),
        (spec, max) => {
          const units = spec.map((s) => nal(s.type, s.size, 0x11)).filter((u) => (u[0]! & 0x1f) !== 9);
          fc.pre(units.length > 0);
          const out = new H264RtpPacketizer(max).packetize(joinAnnexB(units));
          expect(out.every((p) => p.payload.length <= max)).toBe(true);
          // Compared as hex: a deep equality over thousands of typed-array elements is what made this run slow.
          expect(depacketize(out).map(asHex)).toEqual(units.map(asHex));
        },
      ),
      { numRuns: 200, examples: CASES.map((c): [Array<{ type: number; size: number }>, number] => [c.units.map((u) => ({ type: u[0]! & 0x1f, size: u.length })), 1200]) },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        const out = new H264RtpPacketizer().packetize(bytes);
        // A fresh packetizer adds nothing but the 2-byte FU-A headers.
        expect(out.reduce((n, p) => n + p.payload.length, 0)).toBeLessThanOrEqual(bytes.length + 2 * out.length);
        expect(out.every((p) => p.payload.length <= DEFAULT_RTP_PAYLOAD_BYTES)).toBe(true);
      }),
      { numRuns: 300, examples: CASES.map((c) => [joinAnnexB([...c.units])]) },
    );
  });
});
