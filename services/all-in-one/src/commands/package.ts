/**
 * `jt1078 package FILE --out DIR`: a capture to an fMP4 HLS directory (index.m3u8, init.mp4,
 * seg-N.m4s) with the packager's own code path (MediaFramePackager → LlHlsSegmenter).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FrameAssembler, StreamDemuxer, inspectCapture } from '@jt1078/jt1078';
import type { AudioDecodeOptions } from '@jt1078/media/audio';
import { MediaFramePackager } from '@jt1078/media/packaging';
import { ConfigError, audioOptionsFor, loadConfig, type Config } from '@jt1078/runtime/config';
import { CaptureFileUnreadable, noPacketReason, readCaptureFile } from './read-capture-file.js';

const audioOptionsOf = (config: Config) => (sim: string) => audioOptionsFor(config.jt1078.audio, sim);

export interface PackageResult {
  readonly sim: string;
  readonly channel: number;
  readonly dir: string;
  readonly segments: number;
  readonly durationSec: number;
}

/** Packages every stream of a capture; one stream goes to `outDir`, several to `outDir/<sim>-<channel>`. */
/** `audio`: how each SIM's audio is read (`jt1078.audio` of a --config file), or one setting for all. */
export function packageCapture(
  bytes: Uint8Array,
  outDir: string,
  opts: { partMs?: number; segmentMs?: number; audio?: AudioDecodeOptions | ((sim: string) => AudioDecodeOptions) } = {},
): PackageResult[] {
  const report = inspectCapture(bytes);
  const packagers = new Map<string, MediaFramePackager>();
  for (const s of report.streams) {
    const audio = typeof opts.audio === 'function' ? opts.audio(s.sim) : opts.audio;
    packagers.set(`${s.sim}/${s.channel}`, new MediaFramePackager({
      partTargetMs: opts.partMs ?? 500,
      segmentTargetMs: opts.segmentMs ?? 2000,
      windowSegments: 0,
      expectVideo: s.video !== undefined,
      expectAudio: s.audio !== undefined,
      ...(audio ? { audio } : {}),
    }));
  }
  const assembler = new FrameAssembler();
  // Times from the capture's first frame, taken exactly: the packager works on differences, and
  // a device stamping 2^53 ms or more (a bigint) would lose them in a double.
  let origin: bigint | undefined;
  const demuxer = new StreamDemuxer({
    onPacket: (p) => {
      for (const f of assembler.push(p)) {
        if (f.kind === 'passthrough' || !f.codec || f.timestamp === undefined) continue;
        const exact = f.exactTimestamp ?? BigInt(f.timestamp);
        origin ??= exact;
        packagers.get(`${f.sim}/${f.channel}`)?.push({ kind: f.kind, codec: f.codec, data: f.data, timestamp: Number(exact - origin), keyFrame: f.keyFrame });
      }
    },
  });
  demuxer.push(bytes);
  demuxer.end();
  const results: PackageResult[] = [];
  for (const [key, packager] of packagers) {
    packager.end();
    const [sim, channel] = key.split('/') as [string, string];
    const dir = packagers.size === 1 ? outDir : path.join(outDir, `${sim}-${channel}`);
    mkdirSync(dir, { recursive: true });
    const seg = packager.segmenter;
    for (const uri of seg.initUris) writeFileSync(path.join(dir, uri), seg.init(uri)!);
    for (const s of seg.segments) writeFileSync(path.join(dir, s.uri), s.data);
    writeFileSync(path.join(dir, 'index.m3u8'), seg.playlist());
    results.push({ sim, channel: Number(channel), dir, segments: seg.segments.length, durationSec: seg.segments.reduce((n, s) => n + s.durationSec, 0) });
  }
  return results;
}

/** A failure to write under --out DIR, said with what to do. */
function outputProblem(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException;
  if (e instanceof CaptureFileUnreadable || e?.path === undefined) return undefined;
  const why: Record<string, string> = {
    EACCES: 'no permission to write there',
    EROFS: 'the file system is read-only',
    ENOTDIR: 'a part of the path is a file, not a directory',
    EEXIST: 'a file of that name is in the way',
    ENOSPC: 'the disk is full',
  };
  return `cannot write ${e.path} (${why[e.code ?? ''] ?? e.code}). Give --out a directory you can write to (it is created if missing), e.g. --out ./hls-out.`;
}

export async function packageCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, 'part-ms': { type: 'string' }, 'segment-ms': { type: 'string' }, config: { type: 'string' } },
  });
  const file = positionals[0];
  if (!file || !values.out) {
    process.stderr.write('Usage: jt1078 package FILE --out DIR [--part-ms 500] [--segment-ms 2000] [--config FILE]\n');
    return 2;
  }
  let results: PackageResult[];
  let bytes: Uint8Array | undefined;
  try {
    bytes = readCaptureFile(file);
    results = packageCapture(bytes, values.out, {
      ...(values['part-ms'] ? { partMs: Number(values['part-ms']) } : {}),
      ...(values['segment-ms'] ? { segmentMs: Number(values['segment-ms']) } : {}),
      // jt1078.audio (ADPCM byte order, G.726 packing and rate, per SIM) from the deployment's config.
      ...(values.config ? { audio: audioOptionsOf(loadConfig(values.config).config) } : {}),
    });
  } catch (err) {
    const message = outputProblem(err) ?? (err instanceof CaptureFileUnreadable || err instanceof ConfigError ? err.message : undefined);
    if (message === undefined) throw err;
    process.stderr.write(`jt1078 package: ${message}\n`);
    return 2;
  }
  if (results.length === 0) {
    const read = bytes ?? new Uint8Array(0);
    const report = inspectCapture(read);
    if (report.packets === 0) {
      process.stderr.write(`jt1078 package: ${noPacketReason(file, read.length, report.skippedBytes)} Nothing written.\n`);
      return 1;
    }
    process.stderr.write(`jt1078 package: ${file} holds no audio or video stream: nothing written. \`jt1078 inspect ${file}\` shows what it holds.\n`);
    return 1;
  }
  for (const r of results) process.stdout.write(`${r.sim} channel ${r.channel}: ${r.segments} segments, ${r.durationSec.toFixed(3)} s → ${r.dir}/index.m3u8\n`);
  return 0;
}
