/**
 * `jt1078 package FILE --out DIR`: a capture to an fMP4 HLS directory (index.m3u8, init.mp4,
 * seg-N.m4s) with the packager's own code path (MediaFramePackager → LlHlsSegmenter).
 */
import { accessSync, constants, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FrameAssembler, StreamDemuxer, inspectCapture } from '@jt1078/jt1078';
import type { AudioDecodeOptions } from '@jt1078/media/audio';
import { MediaFramePackager } from '@jt1078/media/packaging';
import { UsageError } from '@jt1078/runtime/cli';
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
    for (const s of seg.segments) if (!s.gap) writeFileSync(path.join(dir, s.uri), s.data); // a gap is listed, never fetched
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
    ENOENT: 'the file system does not allow creating it',
  };
  return `cannot write ${e.path} (${why[e.code ?? ''] ?? e.code}). Give --out a directory you can write to (it is created if missing), e.g. --out ./hls-out.`;
}

/** A whole number of milliseconds within the packager's config limits (cluster.hls), or a usage error naming the option. */
function msOption(name: string, text: string | undefined, min: number, max: number, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`${name} must be a whole number of milliseconds from ${min} to ${max}, got '${text}'`);
  return Number(text);
}

/**
 * Makes `dir` one level at a time, after finding the nearest existing ancestor: Node's recursive
 * mkdirSync never returns on some paths (under /proc it loops on ENOENT), and a failure here
 * names the path before any work is done.
 */
function prepareOutDir(dir: string): void {
  const missing: string[] = [];
  let at = path.resolve(dir);
  for (;;) {
    try {
      if (!statSync(at).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR', path: path.join(at, ...missing.slice(0, 1)) });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      missing.unshift(path.basename(at));
      const parent = path.dirname(at);
      if (parent === at) break;
      at = parent;
    }
  }
  for (const name of missing) {
    at = path.join(at, name);
    mkdirSync(at);
  }
  accessSync(at, constants.W_OK);
}

export async function packageCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, 'part-ms': { type: 'string' }, 'segment-ms': { type: 'string' }, config: { type: 'string' } },
  });
  const file = positionals[0];
  if (!file) throw new UsageError('give the capture FILE to package');
  if (!values.out) throw new UsageError('give --out DIR, the directory the HLS files go to');
  if (positionals.length > 1) throw new UsageError(`one capture at a time; '${positionals[1]}' is extra`);
  const partMs = msOption('--part-ms', values['part-ms'], 100, 5000, 500);
  const segmentMs = msOption('--segment-ms', values['segment-ms'], 500, 30000, 2000);
  if (segmentMs < partMs) throw new UsageError(`--segment-ms (${segmentMs}) must be at least --part-ms (${partMs})`);
  let results: PackageResult[];
  let bytes: Uint8Array | undefined;
  try {
    bytes = readCaptureFile(file);
    // jt1078.audio (ADPCM byte order, G.726 packing and rate, per SIM) from the deployment's config.
    const audio = values.config ? { audio: audioOptionsOf(loadConfig(values.config).config) } : {};
    prepareOutDir(values.out);
    results = packageCapture(bytes, values.out, { partMs, segmentMs, ...audio });
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
