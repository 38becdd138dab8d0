/**
 * The benchmark's device: what an MDVR channel at 1 Mbit/s sends. 10 s of ffmpeg-made H.264
 * (704×576 D1 at 25 fps, libx264 CBR 930 kbit/s with filler, a key frame every 2 s, no
 * B-frames) and G.711 A-law audio (20 ms frames, 64 kbit/s), packed by this project's
 * PacketEncoder: ~1.03 Mbit/s on the wire, 75 frames/s. Every access unit ends with a send stamp
 * (send-stamp.ts) for the latency measurement. The shipped captures are ~0.55 Mbit/s, hence
 * this one; made once per machine (ffmpeg is a benchmark-time tool here, never a run-time one)
 * and kept in the temp directory.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataType, PAYLOAD_TYPE_OF, PacketEncoder, concatBytes } from '@jt1078/jt1078';
import { h264NalType, joinAnnexB, splitAnnexB } from '@jt1078/media/annexb';
import { encodeAlaw } from '@jt1078/media/g711';
import { sendStampNal } from '@jt1078/svc-simulator';

const SECONDS = 10;
const FPS = 25;
const VIDEO_KBITS = 930;
/** 1 KHz tone: the audio content does not matter, its frame rate and size do. */
const AUDIO_HZ = 1000;
export const BENCH_SIM = '013900000000';

/** Bumped when the recipe changes, so a stale cached capture is not reused. */
const RECIPE = 'v1';

function accessUnits(dir: string): Uint8Array[] {
  const file = path.join(dir, 'v.h264');
  execFileSync('ffmpeg', [
    '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=704x576:rate=${FPS}`, '-frames:v', String(SECONDS * FPS),
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-pix_fmt', 'yuv420p', '-bf', '0', '-g', String(2 * FPS),
    '-b:v', `${VIDEO_KBITS}k`, '-maxrate', `${VIDEO_KBITS}k`, '-bufsize', `${VIDEO_KBITS}k`, '-x264-params', 'nal-hrd=cbr',
    '-bsf:v', 'h264_metadata=aud=insert', '-f', 'h264', file,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const aus: Uint8Array[][] = [];
  for (const u of splitAnnexB(readFileSync(file))) {
    if (h264NalType(u) === 9 || aus.length === 0) aus.push([]);
    aus[aus.length - 1]!.push(u);
  }
  return aus.map((units) => concatBytes([joinAnnexB(units), sendStampNal()]));
}

function makeCapture(dir: string): Uint8Array {
  const timed: Array<{ at: number; frame: Parameters<PacketEncoder['encode']>[0] }> = [];
  accessUnits(dir).forEach((data, i) => {
    const dataType = i % (2 * FPS) === 0 ? DataType.I : DataType.P;
    timed.push({ at: i * 40, frame: { channel: 1, dataType, payloadType: PAYLOAD_TYPE_OF.h264, timestamp: i * 40, data } });
  });
  for (let i = 0; i < SECONDS * 50; i++) {
    const pcm = Int16Array.from({ length: 160 }, (_, s) => Math.round(6000 * Math.sin((2 * Math.PI * AUDIO_HZ * (i * 160 + s)) / 8000)));
    timed.push({ at: i * 20 + 1, frame: { channel: 1, dataType: DataType.audio, payloadType: PAYLOAD_TYPE_OF.g711a, timestamp: i * 20, data: encodeAlaw(pcm) } });
  }
  timed.sort((a, b) => a.at - b.at);
  const encoder = new PacketEncoder({ sim: BENCH_SIM });
  return concatBytes(timed.flatMap((t) => encoder.encode(t.frame)));
}

/** The capture's path (made on first use; needs ffmpeg with libx264). */
export function benchCapturePath(): string {
  const file = path.join(tmpdir(), `jt1078-bench-1mbit-${RECIPE}.bin`);
  if (existsSync(file)) return file;
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-capture-'));
  try {
    writeFileSync(path.join(dir, 'capture.bin'), makeCapture(dir));
    renameSync(path.join(dir, 'capture.bin'), file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return file;
}
