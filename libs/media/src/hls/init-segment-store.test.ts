import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AudioTrackInfo, VideoTrackInfo } from '../fmp4/track-info.js';
import { InitSegmentStore, type InitSegmentNaming } from './init-segment-store.js';

const video = (width: number): VideoTrackInfo => ({ kind: 'video', id: 1, codec: 'h264', width, height: 240, configRecord: Uint8Array.of(1, 0x4d, 0x40, 0x0d, 0xff, 0xe0, 0) });
const opus: AudioTrackInfo = { kind: 'audio', id: 2, codec: 'opus', sampleRate: 48000, channels: 1, preSkip: 312 };

type Step = readonly [VideoTrackInfo | undefined, AudioTrackInfo | undefined];
const cases: ReadonlyArray<{ name: string; naming: InitSegmentNaming; steps: Step[]; made: boolean[]; uris: RegExp[] }> = [
  { name: 'ordinal: init.mp4, then init-1.mp4 after a change', naming: 'ordinal', steps: [[video(320), opus], [video(352), opus]], made: [true, true], uris: [/^init\.mp4$/, /^init-1\.mp4$/] },
  { name: 'the same tracks again make nothing', naming: 'ordinal', steps: [[video(320), opus], [video(320), opus]], made: [true, false], uris: [/^init\.mp4$/, /^init\.mp4$/] },
  { name: 'content: named by a hash of the bytes', naming: 'content', steps: [[video(320), undefined], [video(352), undefined]], made: [true, true], uris: [/^init-[0-9a-f]{16}\.mp4$/, /^init-[0-9a-f]{16}\.mp4$/] },
];

describe('InitSegmentStore', () => {
  it.each(cases)('$name', ({ naming, steps, made, uris }) => {
    const store = new InitSegmentStore(naming);
    steps.forEach(([v, a], i) => {
      expect(store.set(v, a)).toBe(made[i]);
      expect(store.currentUri).toMatch(uris[i]!);
      expect(store.get(store.currentUri)?.subarray(4, 8)).toEqual(new TextEncoder().encode('ftyp'));
    });
    expect(store.uris).toHaveLength(made.filter(Boolean).length);
  });

  it('content names are the same on two stores given the same tracks, and differ for different tracks', () => {
    const [a, b] = [new InitSegmentStore('content'), new InitSegmentStore('content')];
    a.set(video(320), opus);
    b.set(video(352), opus);
    b.set(video(320), opus);
    expect(b.currentUri).toBe(a.currentUri);
    expect(b.uris).toHaveLength(2);
  });

  it('keepOnly forgets the rest, but never the current one', () => {
    const store = new InitSegmentStore('ordinal');
    store.set(video(320), opus);
    store.set(video(352), opus);
    store.set(video(640), opus);
    store.keepOnly(['init-1.mp4']);
    expect(store.uris).toEqual(['init-1.mp4', 'init-2.mp4']);
    store.keepOnly([]);
    expect(store.uris).toEqual(['init-2.mp4']);
  });

  it('holds one init segment per distinct track set, named uniquely (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.constantFrom<InitSegmentNaming>('ordinal', 'content'), fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 10 }), (naming, widths) => {
        const store = new InitSegmentStore(naming);
        let changes = 0;
        let last: number | undefined;
        for (const w of widths) {
          const made = store.set(video(w * 16), opus);
          expect(made).toBe(w !== last);
          if (made) changes++;
          last = w;
        }
        expect(store.uris).toHaveLength(naming === 'ordinal' ? changes : new Set(widths).size);
      }),
      { numRuns: 100, examples: [['ordinal', [20, 22]], ['content', [20, 20, 22]]] },
    );
  });
});
