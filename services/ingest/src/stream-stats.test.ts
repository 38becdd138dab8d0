import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StreamStats } from './stream-stats.js';

describe('StreamStats', () => {
  it('reports codecs, rates over the window, the last frame and drops', () => {
    let now = 1_000_000;
    const stats = new StreamStats(() => now);
    for (let i = 0; i < 25; i++) {
      now += 40;
      stats.frame({ mediaKind: 'video', codec: 'h264', keyFrame: false, data: new Uint8Array(500) });
      stats.frame({ mediaKind: 'audio', codec: 'g711a', keyFrame: false, data: new Uint8Array(100) });
    }
    stats.drop();
    expect(stats.snapshot()).toEqual({ codecs: ['h264', 'g711a'], fps: 25, kbps: 120, lastFrameAt: now, frames: 50, drops: 1 });
    // A new window: nothing since.
    now += 1000;
    expect(stats.snapshot()).toMatchObject({ fps: 0, kbps: 0, frames: 50, lastFrameAt: now - 1000 });
  });

  it('reads the picture size from a key frame (an ffmpeg-made H.264 stream)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'stream-stats-'));
    try {
      const file = path.join(dir, 'cif.h264');
      execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=352x288:rate=25', '-frames:v', '1', '-c:v', 'libx264', '-f', 'h264', file]);
      const stats = new StreamStats(() => 0);
      stats.frame({ mediaKind: 'video', codec: 'h264', keyFrame: true, data: new Uint8Array(readFileSync(file)) });
      expect(stats.snapshot()).toMatchObject({ width: 352, height: 288 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
