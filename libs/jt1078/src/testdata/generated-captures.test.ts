import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectCapture } from '../capture-report.js';
import { GENERATED_CAPTURES, OWN_TESTDATA, SIM_2019, framesOf, sharedTestdataAvailable } from './generate-captures.js';

describe.runIf(sharedTestdataAvailable())('the project-made captures in testdata/jt1078', () => {
  it('are what the generator makes, byte for byte (deterministic, committed)', () => {
    for (const [name, make] of Object.entries(GENERATED_CAPTURES)) {
      expect(Buffer.compare(make(), readFileSync(path.join(OWN_TESTDATA, name))), name).toBe(0);
    }
  });

  it('2019 revision with HiSilicon audio interleaved inside video frames decodes without a fault', () => {
    const bytes = readFileSync(path.join(OWN_TESTDATA, '2019-interleaved-hisilicon.bin'));
    const report = inspectCapture(bytes);
    expect(report.revision).toBe('2019');
    expect(report.faults).toEqual([]);
    expect(report.skippedBytes).toBe(0);
    expect(report.streams).toHaveLength(1);
    const s = report.streams[0]!;
    expect(s.sim).toBe(SIM_2019);
    expect(s.video).toMatchObject({ codec: 'h264', frames: 40, keyFrames: 1 });
    expect(s.audio).toMatchObject({ codec: 'g711a', frames: 89, hisiliconFrames: 89, sampleRate: 8000 });
    // Audio really is inside video frames: some audio packet sits between a first and a last.
    const frames = framesOf(bytes);
    const audio = frames.filter((f) => f.kind === 'audio');
    const video = frames.filter((f) => f.kind === 'video' && f.packets > 1);
    expect(audio.some((a) => video.some((v) => a.offset > v.offset && a.firstSequence < v.firstSequence + v.packets))).toBe(true);
    // The HiSilicon header is removed: the G.711 payload is the 160 bytes the source carried.
    expect(new Set(audio.map((a) => a.data.length))).toEqual(new Set([160]));
  });

  it('passthrough packets are counted and kept apart from the media', () => {
    const report = inspectCapture(readFileSync(path.join(OWN_TESTDATA, '2016-passthrough.bin')));
    expect(report.revision).toBe('2016');
    expect(report.faults).toEqual([]);
    expect(report.streams[0]).toMatchObject({ sim: '013800138000', passthroughPackets: 4, video: { frames: 40 }, audio: { frames: 89 } });
    const passthrough = framesOf(readFileSync(path.join(OWN_TESTDATA, '2016-passthrough.bin'))).filter((f) => f.kind === 'passthrough');
    expect(passthrough.map((f) => new TextDecoder().decode(f.data))).toEqual([1, 2, 3, 4].map((n) => `passthrough ${n}: serial data from the vehicle bus`));
    expect(passthrough.every((f) => f.timestamp === undefined && f.codec === undefined)).toBe(true);
  });
});
