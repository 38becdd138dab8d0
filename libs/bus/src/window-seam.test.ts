import { describe, expect, it } from 'vitest';
import type { FrameEnvelope } from './frame-envelope.js';
import { MAX_HELD_FRAMES, WindowSeam } from './window-seam.js';

const f = (sequence: number, connectionId = 'c1'): FrameEnvelope => ({
  streamKind: 'live', sim: '1', channel: 1, codec: 'h264', mediaKind: 'video', keyFrame: false, timestamp: sequence * 40, sequence,
  connectionId, streamPath: 'live/jt1078-1-1', data: new Uint8Array(0),
});

function seam() {
  const out: string[] = [];
  const s = new WindowSeam((x) => out.push(`${x.connectionId}:${x.sequence}`));
  return { s, out };
}

describe('WindowSeam', () => {
  it('holds live frames during the replay, drops those the window gave, and continues in order', () => {
    const { s, out } = seam();
    s.live(f(8));
    for (let i = 0; i <= 9; i++) s.fromWindow(f(i));
    s.live(f(9));
    s.live(f(10));
    expect(out).toHaveLength(10);
    s.finish();
    s.live(f(11));
    expect(out).toEqual(Array.from({ length: 12 }, (_, i) => `c1:${i}`));
    expect(s.duplicates).toBe(2);
  });

  it('keeps dropping a live frame the window gave even when it arrives after the replay ended', () => {
    const { s, out } = seam();
    for (let i = 0; i <= 5; i++) s.fromWindow(f(i));
    s.finish();
    s.live(f(5));
    s.live(f(6));
    s.live(f(6)); // past the seam nothing is filtered: a publisher's repeat is not the seam's business
    expect(out).toEqual(['c1:0', 'c1:1', 'c1:2', 'c1:3', 'c1:4', 'c1:5', 'c1:6', 'c1:6']);
  });

  it('tells a new connection of the same stream apart (its sequence restarts at 0)', () => {
    const { s, out } = seam();
    for (let i = 0; i <= 3; i++) s.fromWindow(f(i, 'old'));
    s.live(f(0, 'new'));
    s.finish();
    expect(out).toEqual(['old:0', 'old:1', 'old:2', 'old:3', 'new:0']);
  });

  it('reports a gap while the live side starts past the window end', () => {
    const { s } = seam();
    s.fromWindow(f(0));
    s.live(f(3));
    expect(s.gapAtSeam()).toBe(true);
    s.fromWindow(f(1));
    s.fromWindow(f(2));
    expect(s.gapAtSeam()).toBe(false);
  });

  it('bounds what it holds and counts the overflow', () => {
    let overflow = 0;
    const s = new WindowSeam(() => {}, { onOverflow: () => overflow++ });
    for (let i = 0; i < MAX_HELD_FRAMES + 5; i++) s.live(f(i));
    expect(overflow).toBe(5);
    expect(s.overflowed).toBe(5);
  });
});
