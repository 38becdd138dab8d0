import { describe, expect, it } from 'vitest';
import { BusPressure, KeyFrameGate } from './key-frame-gate.js';

const I = { mediaKind: 'video', keyFrame: true } as const;
const P = { mediaKind: 'video', keyFrame: false } as const;
const A = { mediaKind: 'audio', keyFrame: true } as const;

describe('KeyFrameGate', () => {
  it('passes everything without pressure', () => {
    const gate = new KeyFrameGate();
    expect([I, P, P, A, P].map((f) => gate.admit(f, BusPressure.none))).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(gate.dropped).toEqual({ congested: 0, 'awaiting-key-frame': 0 });
  });

  it('drops the rest of a GOP after a congested drop and resumes at the next key frame', () => {
    const gate = new KeyFrameGate();
    const seq: Array<[typeof I | typeof P | typeof A, BusPressure]> = [
      [I, BusPressure.none],
      [P, BusPressure.soft], // dropped: congested
      [P, BusPressure.none], // dropped: its reference is gone
      [A, BusPressure.none], // audio passes once the bus is fine
      [P, BusPressure.none], // still dropped
      [I, BusPressure.soft], // key frames pass soft pressure
      [P, BusPressure.none],
    ];
    expect(seq.map(([f, p]) => gate.admit(f, p))).toEqual([
      undefined, 'congested', 'awaiting-key-frame', undefined, 'awaiting-key-frame', undefined, undefined,
    ]);
    expect(gate.dropped).toEqual({ congested: 1, 'awaiting-key-frame': 2 });
    expect(gate.awaitingKeyFrame).toBe(false);
  });

  it('drops key frames and audio under hard pressure', () => {
    const gate = new KeyFrameGate();
    expect(gate.admit(I, BusPressure.hard)).toBe('congested');
    expect(gate.admit(A, BusPressure.soft)).toBe('congested');
    expect(gate.admit(P, BusPressure.none)).toBe('awaiting-key-frame');
    expect(gate.admit(I, BusPressure.none)).toBeUndefined();
    expect(gate.dropped).toEqual({ congested: 2, 'awaiting-key-frame': 1 });
  });
});
