import { describe, expect, it } from 'vitest';
import { DownlinkClock, DownlinkDrop, type RtpTiming } from './webrtc-downlink-clock.js';

/** 20 ms packets of one SSRC starting at a random point, as a browser sends them. */
function packets(n: number, from = { seq: 65530, ts: 0xffff_ff00 }, ssrc = 7): RtpTiming[] {
  return Array.from({ length: n }, (_, i) => ({ ssrc, sequenceNumber: (from.seq + i) & 0xffff, timestamp: (from.ts + i * 160) % 0x1_0000_0000 }));
}

describe('DownlinkClock', () => {
  it('gives ms from the RTP clock and sequence numbers from 0, across both wraps', () => {
    const clock = new DownlinkClock();
    const out = packets(10).map((p) => clock.next(p));
    expect(out).toEqual(Array.from({ length: 10 }, (_, i) => ({ timestamp: i * 20, sequence: i })));
  });

  it('drops duplicates and packets that arrive after a later one, and keeps counting', () => {
    const clock = new DownlinkClock();
    const [a, b, c, d] = packets(4);
    expect(clock.next(a!)).toEqual({ timestamp: 0, sequence: 0 });
    expect(clock.next(c!)).toEqual({ timestamp: 40, sequence: 1 });
    expect(clock.next(b!)).toBe(DownlinkDrop.late);
    expect(clock.next(c!)).toBe(DownlinkDrop.duplicate);
    expect(clock.next(d!)).toEqual({ timestamp: 60, sequence: 2 });
  });

  it('never goes back: a stalled or stepped-back RTP clock holds the time', () => {
    const clock = new DownlinkClock();
    const out = [0, 160, 160, 80, 240].map((ts, i) => clock.next({ ssrc: 1, sequenceNumber: i, timestamp: ts }));
    expect(out.map((t) => (typeof t === 'string' ? t : t.timestamp))).toEqual([0, 20, 20, 20, 40]);
  });

  it('a new SSRC continues one packet after the last instead of at 0', () => {
    const clock = new DownlinkClock();
    for (const p of packets(5)) clock.next(p);
    const next = clock.next({ ssrc: 99, sequenceNumber: 3, timestamp: 12345 });
    expect(next).toEqual({ timestamp: 100, sequence: 5 });
    expect(clock.next({ ssrc: 99, sequenceNumber: 4, timestamp: 12345 + 160 })).toEqual({ timestamp: 120, sequence: 6 });
  });
});
