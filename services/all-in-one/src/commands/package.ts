/**
 * `jt1078 package FILE --out DIR`: a capture to an fMP4 HLS directory (index.m3u8, init.mp4,
 * seg-N.m4s) with the packager's own code path (MediaFramePackager → LlHlsSegmenter).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FrameAssembler, StreamDemuxer, inspectCapture, readCapture } from '@jt1078/jt1078';
import { MediaFramePackager } from '@jt1078/media/packaging';

export interface PackageResult {
  readonly sim: string;
  readonly channel: number;
  readonly dir: string;
  readonly segments: number;
  readonly durationSec: number;
}

/** Packages every stream of a capture; one stream goes to `outDir`, several to `outDir/<sim>-<channel>`. */
export function packageCapture(bytes: Uint8Array, outDir: string, opts: { partMs?: number; segmentMs?: number } = {}): PackageResult[] {
  const report = inspectCapture(bytes);
  const packagers = new Map<string, MediaFramePackager>();
  for (const s of report.streams) {
    packagers.set(`${s.sim}/${s.channel}`, new MediaFramePackager({
      partTargetMs: opts.partMs ?? 500,
      segmentTargetMs: opts.segmentMs ?? 2000,
      windowSegments: 0,
      expectVideo: s.video !== undefined,
      expectAudio: s.audio !== undefined,
    }));
  }
  const assembler = new FrameAssembler();
  const demuxer = new StreamDemuxer({
    onPacket: (p) => {
      for (const f of assembler.push(p)) {
        if (f.kind === 'passthrough' || !f.codec || f.timestamp === undefined) continue;
        packagers.get(`${f.sim}/${f.channel}`)?.push({ kind: f.kind, codec: f.codec, data: f.data, timestamp: f.timestamp, keyFrame: f.keyFrame });
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

export async function packageCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, 'part-ms': { type: 'string' }, 'segment-ms': { type: 'string' } },
  });
  const file = positionals[0];
  if (!file || !values.out) {
    process.stderr.write('Usage: jt1078 package FILE --out DIR [--part-ms 500] [--segment-ms 2000]\n');
    return 2;
  }
  const results = packageCapture(readCapture(file), values.out, {
    ...(values['part-ms'] ? { partMs: Number(values['part-ms']) } : {}),
    ...(values['segment-ms'] ? { segmentMs: Number(values['segment-ms']) } : {}),
  });
  for (const r of results) process.stdout.write(`${r.sim} channel ${r.channel}: ${r.segments} segments, ${r.durationSec.toFixed(3)} s → ${r.dir}/index.m3u8\n`);
  return 0;
}
