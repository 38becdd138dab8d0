import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeInitSegment } from './init-segment-writer.js';
import type { TrackInfo } from './track-info.js';

/** Where the children of a box start: after the header, the FullBox fields, the entry fields (§8.5.2, §12.1.3, §12.2.3). */
const CHILDREN_AT: Record<string, number> = { moov: 8, trak: 8, mdia: 8, minf: 8, stbl: 8, dinf: 8, mvex: 8, stsd: 16, dref: 16, avc1: 86, hvc1: 86, mp4a: 36, Opus: 36 };

interface Box { readonly type: string; readonly size: number; readonly body: Uint8Array; readonly children: Box[] }

/** An independent walk: every size must land exactly on its parent's end. */
function walk(bytes: Uint8Array, from = 0, to = bytes.length): Box[] {
  const out: Box[] = [];
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = from;
  while (o < to) {
    const size = v.getUint32(o);
    const type = Buffer.from(bytes.subarray(o + 4, o + 8)).toString('latin1');
    // Plain checks, not expect(): this runs for every box of every fuzz run.
    if (size < 8 || o + size > to) throw new Error(`${type} of ${size} bytes at ${o} does not fit in ${to}`);
    const at = CHILDREN_AT[type];
    out.push({ type, size, body: bytes.subarray(o + 8, o + size), children: at === undefined ? [] : walk(bytes, o + at, o + size) });
    o += size;
  }
  if (o !== to) throw new Error(`boxes end at ${o}, not at ${to}`);
  return out;
}

function find(boxes: readonly Box[], type: string): Box[] {
  return boxes.flatMap((b) => (b.type === type ? [b, ...find(b.children, type)] : find(b.children, type)));
}

const avc = { kind: 'video', id: 1, codec: 'h264', width: 320, height: 240, configRecord: Uint8Array.of(1, 0x4d, 0x40, 0x0d, 0xff, 0xe0, 0) } as const;
const hevc = { kind: 'video', id: 1, codec: 'h265', width: 1278, height: 718, configRecord: new Uint8Array(23).fill(1) } as const;
const opus = { kind: 'audio', id: 2, codec: 'opus', sampleRate: 48000, channels: 1, preSkip: 312 } as const;
const aac = { kind: 'audio', id: 2, codec: 'aac', sampleRate: 16000, channels: 1, audioSpecificConfig: Uint8Array.of(0x14, 0x08) } as const;

const cases: ReadonlyArray<{ name: string; tracks: TrackInfo[]; entries: string[]; config: string[]; timescales: number[] }> = [
  { name: 'H.264 + Opus', tracks: [avc, opus], entries: ['avc1', 'Opus'], config: ['avcC', 'dOps'], timescales: [90000, 48000] },
  { name: 'H.265 + AAC', tracks: [hevc, aac], entries: ['hvc1', 'mp4a'], config: ['hvcC', 'esds'], timescales: [90000, 16000] },
  { name: 'H.264 alone', tracks: [avc], entries: ['avc1'], config: ['avcC'], timescales: [90000] },
  { name: 'Opus alone', tracks: [opus], entries: ['Opus'], config: ['dOps'], timescales: [48000] },
];

describe('writeInitSegment', () => {
  it.each(cases)('$name: box sizes and types parse back', ({ tracks, entries, config, timescales }) => {
    const boxes = walk(writeInitSegment(tracks));
    expect(boxes.map((b) => b.type)).toEqual(['ftyp', 'moov']);
    expect(Buffer.from(boxes[0]!.body.subarray(0, 4)).toString('latin1')).toBe('iso6');
    expect(find(boxes, 'trak')).toHaveLength(tracks.length);
    expect(find(boxes, 'trex')).toHaveLength(tracks.length);
    expect(entries.flatMap((e) => find(boxes, e)).map((b) => b.type)).toEqual(entries);
    expect(config.flatMap((c) => find(boxes, c)).map((b) => b.type)).toEqual(config);
    // mdhd version 0: timescale after creation and modification times (§8.4.2).
    expect(find(boxes, 'mdhd').map((b) => new DataView(b.body.buffer, b.body.byteOffset).getUint32(12))).toEqual(timescales);
    // mvhd's next_track_ID is one past the highest.
    const mvhd = find(boxes, 'mvhd')[0]!.body;
    expect(new DataView(mvhd.buffer, mvhd.byteOffset).getUint32(mvhd.length - 4)).toBe(Math.max(...tracks.map((t) => t.id)) + 1);
    const video = tracks.find((t) => t.kind === 'video');
    if (video) {
      // tkhd width and height are 16.16 fixed point at its end (§8.3.2).
      const tkhd = find(boxes, 'tkhd')[0]!.body;
      const dv = new DataView(tkhd.buffer, tkhd.byteOffset);
      expect([dv.getUint32(tkhd.length - 8) >>> 16, dv.getUint32(tkhd.length - 4) >>> 16]).toEqual([video.width, video.height]);
      expect([...find(boxes, config[0]!)[0]!.body]).toEqual([...video.configRecord]);
    }
  });

  it('an AAC track without its AudioSpecificConfig is refused', () => {
    expect(() => writeInitSegment([{ ...aac, audioSpecificConfig: undefined } as unknown as TrackInfo])).toThrow(RangeError);
  });

  it('is well-formed and as big as its parts for any tracks (fuzz, seeded by the cases)', () => {
    const videoTrack = fc.record({
      kind: fc.constant('video' as const), id: fc.constant(1), codec: fc.constantFrom('h264' as const, 'h265' as const),
      width: fc.integer({ min: 1, max: 16888 }), height: fc.integer({ min: 1, max: 16888 }), configRecord: fc.uint8Array({ maxLength: 200 }),
    });
    const audioTrack = fc.oneof(
      fc.record({ kind: fc.constant('audio' as const), id: fc.constant(2), codec: fc.constant('opus' as const), sampleRate: fc.constant(48000), channels: fc.integer({ min: 1, max: 2 }), preSkip: fc.integer({ min: 0, max: 0xffff }) }),
      fc.record({ kind: fc.constant('audio' as const), id: fc.constant(2), codec: fc.constant('aac' as const), sampleRate: fc.constantFrom(8000, 16000, 44100, 48000, 96000), channels: fc.integer({ min: 1, max: 8 }), audioSpecificConfig: fc.uint8Array({ minLength: 2, maxLength: 5 }) }),
    );
    fc.assert(
      fc.property(fc.option(videoTrack, { nil: undefined }), fc.option(audioTrack, { nil: undefined }), (video, audio) => {
        const tracks = [video, audio].filter((t): t is NonNullable<typeof t> => t !== undefined) as TrackInfo[];
        const bytes = writeInitSegment(tracks);
        walk(bytes);
        expect(bytes.length).toBeLessThanOrEqual(1200 + (video?.configRecord.length ?? 0));
      }),
      { numRuns: 100, examples: [[avc, opus], [hevc, aac], [avc, undefined], [undefined, opus]] as Array<[typeof avc | typeof hevc | undefined, typeof opus | typeof aac | undefined]> },
    );
  });
});
