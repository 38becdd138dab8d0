import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCapture } from './capture-file.js';
import { formatCaptureReport, inspectCapture, type CaptureReport } from './capture-report.js';
import { G711_CAPTURE, H264_CAPTURE, OWN_TESTDATA, REPO_ROOT, sharedTestdataAvailable } from './testdata/generate-captures.js';

const haveShared = sharedTestdataAvailable();
const MEDIA = path.join(REPO_ROOT, 'testdata/media');

interface Case {
  readonly file: string;
  readonly expected: Partial<CaptureReport>;
  readonly video?: string;
  readonly audio?: { codec: string; sampleRate?: number; bitRate?: number; hisilicon?: boolean };
}

/** Cases over the real captures, when ../shared/testdata is here. */
const onlyWithShared = (cases: Case[]): Case[] => (haveShared ? cases : []);

const CASES: readonly Case[] = [
  ...onlyWithShared([
        // DESIGN.md's example report: the real G.711A capture.
        { file: G711_CAPTURE, expected: { revision: '2016', packets: 540, skippedBytes: 0, droppedFrames: 0 }, video: 'h264', audio: { codec: 'g711a', sampleRate: 8000 } },
        { file: H264_CAPTURE, expected: { revision: '2016', packets: 324, skippedBytes: 0 }, video: 'h264' },
  ]),
  { file: path.join(OWN_TESTDATA, '2019-interleaved-hisilicon.bin'), expected: { revision: '2019', droppedFrames: 0 }, video: 'h264', audio: { codec: 'g711a', hisilicon: true } },
  { file: path.join(MEDIA, 'h264-adpcm-hisilicon.bin'), expected: { revision: '2016' }, video: 'h264', audio: { codec: 'adpcm', sampleRate: 8000, hisilicon: true } },
  ...[16, 24, 32, 40].map((k): Case => ({ file: path.join(MEDIA, `h264-g726-${k}-aal2.bin`), expected: { revision: '2016' }, video: 'h264', audio: { codec: 'g726', sampleRate: 8000, bitRate: k * 1000, hisilicon: true } })),
  { file: path.join(MEDIA, 'h265-aac.bin'), expected: { revision: '2016' }, video: 'h265', audio: { codec: 'aac' } },
];

describe('inspectCapture', () => {
  for (const c of CASES) {
    it(`reports ${path.basename(c.file)}`, () => {
      const r = inspectCapture(readCapture(c.file));
      expect(r).toMatchObject(c.expected);
      expect(r.streams).toHaveLength(1);
      const s = r.streams[0]!;
      expect(s.video?.codec).toBe(c.video);
      expect(s.video!.keyFrames).toBeGreaterThan(0);
      if (c.audio) {
        expect(s.audio).toMatchObject({ codec: c.audio.codec, ...(c.audio.sampleRate ? { sampleRate: c.audio.sampleRate } : {}), ...(c.audio.bitRate ? { bitRate: c.audio.bitRate } : {}) });
        expect(s.audio!.hisiliconFrames > 0).toBe(c.audio.hisilicon ?? false);
      } else {
        expect(s.audio).toBeUndefined();
      }
      const text = formatCaptureReport(r, 'x');
      expect(text).toContain(`JT/T 1078-${r.revision}, ${r.packets} packets`);
      expect(text).toContain(`video ${c.video}`);
    });
  }

  it('asks describeVideo for the size once, and reports it', () => {
    const calls: string[] = [];
    const r = inspectCapture(readCapture(path.join(MEDIA, 'h265-aac.bin')), { describeVideo: (codec) => (calls.push(codec), { width: 352, height: 288 }) });
    expect(calls).toEqual(['h265']);
    expect(r.streams[0]!.video).toMatchObject({ width: 352, height: 288 });
  });

  it('reports garbage with its offset and keeps counting', () => {
    const bytes = readCapture(path.join(MEDIA, 'h264-g711u.bin'));
    const clean = inspectCapture(bytes);
    const dirty = inspectCapture(Uint8Array.from([...bytes.subarray(0, 1000), ...new Uint8Array(37).fill(0xee), ...bytes.subarray(1000)]));
    expect(dirty.skippedBytes).toBeGreaterThanOrEqual(37);
    expect(dirty.faults.some((f) => f.kind === 'garbage')).toBe(true);
    expect(dirty.packets).toBeGreaterThanOrEqual(clean.packets - 2);
  });

  it('says revision-unknown for bytes that are not JT1078', () => {
    const r = inspectCapture(new Uint8Array(500).fill(1));
    expect(r).toMatchObject({ revision: 'unknown', packets: 0, skippedBytes: 500 });
    expect(r.faults.map((f) => f.kind)).toEqual(['revision-unknown']);
  });

  it('never throws and stays bounded on mutated captures (fuzz, cases as seeds)', () => {
    const seeds = CASES.map((c) => readCapture(c.file).subarray(0, 6000));
    const input = fc
      .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 20 }), fc.nat())
      .map(([seed, edits, cut]) => {
        const b = Uint8Array.from(seed.subarray(0, 100 + (cut % seed.length)));
        for (const [at, v] of edits) b[at % b.length] = v;
        return b;
      });
    fc.assert(
      fc.property(fc.oneof(input, fc.uint8Array({ maxLength: 2000 })), (bytes) => {
        const r = inspectCapture(bytes);
        expect(r.skippedBytes).toBeLessThanOrEqual(bytes.length);
        expect(r.faults.length).toBeLessThanOrEqual(1000);
        expect(r.frames).toBeLessThanOrEqual(r.packets);
        expect(typeof formatCaptureReport(r, 'fuzz')).toBe('string');
      }),
      { numRuns: 200 },
    );
  });
});
