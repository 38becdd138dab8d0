/**
 * What `jt1078 inspect` reports about a capture (DESIGN.md "CLI"): revision, packets, skipped
 * bytes, per SIM/channel the video and audio it carries, and every fault with its offset.
 */
import type { CodecName } from '@jt1078/media';
import { AAC_SAMPLE_RATES } from '@jt1078/media/aac';
import { G726StreamRate } from '@jt1078/media/g726';
import { FrameAssembler } from './frame-assembler.js';
import { DataType } from './packet.js';
import { StreamDemuxer } from './stream-demuxer.js';
import type { StreamFault } from './stream-fault.js';

export interface VideoSummary {
  codec: CodecName | 'unknown';
  width?: number;
  height?: number;
  frames: number;
  keyFrames: number;
  /** ms; a decimal string when 2^53 or more, so JSON keeps it exact. */
  firstTimestamp: number | string;
  lastTimestamp: number | string;
}

export interface AudioSummary {
  codec: CodecName | 'unknown';
  frames: number;
  sampleRate?: number;
  /** Frames that carried the HiSilicon 4-byte header (removed). */
  hisiliconFrames: number;
  /** G.726: the rate its frames show (bit/s), as the packager reads it. */
  bitRate?: number;
  /** ms; a decimal string when 2^53 or more, so JSON keeps it exact. */
  firstTimestamp: number | string;
  lastTimestamp: number | string;
}

export interface StreamSummary {
  sim: string;
  channel: number;
  packets: number;
  passthroughPackets: number;
  video?: VideoSummary;
  audio?: AudioSummary;
}

export interface CaptureReport {
  revision: '2016' | '2019' | 'unknown';
  packets: number;
  bytes: number;
  skippedBytes: number;
  frames: number;
  droppedFrames: number;
  lostPackets: number;
  streams: StreamSummary[];
  faults: Array<Pick<StreamFault, 'offset' | 'kind' | 'detail'> & { sim?: string; channel?: number }>;
}

export interface InspectOptions {
  /** Width and height from an access unit's parameter sets (the media library's SPS parser). */
  readonly describeVideo?: (codec: 'h264' | 'h265', accessUnit: Uint8Array) => { width: number; height: number } | undefined;
}

/** Sample rates fixed by the codec (table 12 codecs that are always narrowband). */
const FIXED_SAMPLE_RATES: Partial<Record<CodecName, number>> = { g711a: 8000, g711u: 8000, g726: 8000, adpcm: 8000, g722: 16000 };

/** A JSON report lists at most this many faults; the counts stay exact. */
const MAX_LISTED_FAULTS = 1000;

export function inspectCapture(bytes: Uint8Array, opts: InspectOptions = {}): CaptureReport {
  const faults: CaptureReport['faults'] = [];
  const streams = new Map<string, StreamSummary>();
  const g726Rates = new Map<string, G726StreamRate>();
  const record = (f: StreamFault) => {
    if (faults.length < MAX_LISTED_FAULTS) faults.push({ ...f });
  };
  const assembler = new FrameAssembler({ onFault: record });
  const summaryOf = (sim: string, channel: number) => {
    const key = `${sim}/${channel}`;
    let s = streams.get(key);
    if (!s) {
      s = { sim, channel, packets: 0, passthroughPackets: 0 };
      streams.set(key, s);
    }
    return s;
  };
  const demuxer = new StreamDemuxer({
    onFault: record,
    onPacket: (packet) => {
      const s = summaryOf(packet.sim, packet.channel);
      s.packets++;
      if (packet.dataType === DataType.passthrough) s.passthroughPackets++;
      for (const frame of assembler.push(packet)) {
        const ts = frame.exactTimestamp === undefined ? (frame.timestamp ?? 0) : frame.exactTimestamp.toString();
        if (frame.kind === 'video') {
          const v = (s.video ??= { codec: frame.codec ?? 'unknown', frames: 0, keyFrames: 0, firstTimestamp: ts, lastTimestamp: ts });
          v.frames++;
          if (frame.keyFrame) v.keyFrames++;
          v.lastTimestamp = ts;
          if (v.width === undefined && opts.describeVideo && (frame.codec === 'h264' || frame.codec === 'h265')) {
            const d = opts.describeVideo(frame.codec, frame.data);
            if (d) {
              v.width = d.width;
              v.height = d.height;
            }
          }
        } else if (frame.kind === 'audio') {
          const codec = frame.codec ?? 'unknown';
          const a = (s.audio ??= { codec, frames: 0, hisiliconFrames: 0, firstTimestamp: ts, lastTimestamp: ts });
          a.frames++;
          a.lastTimestamp = ts;
          if (frame.hisilicon) a.hisiliconFrames++;
          if (codec === 'g726') {
            const key = `${frame.sim}/${frame.channel}`;
            if (!g726Rates.has(key)) g726Rates.set(key, new G726StreamRate());
            a.bitRate = g726Rates.get(key)!.observe(frame.data.length, frame.timestamp ?? 0);
          }
          const rate = codec === 'unknown' ? undefined : FIXED_SAMPLE_RATES[codec] ?? (codec === 'aac' ? aacSampleRate(frame.data) : undefined);
          if (rate !== undefined) a.sampleRate = rate;
        }
      }
    },
  });
  demuxer.push(bytes);
  demuxer.end();
  assembler.end();
  return {
    revision: demuxer.revision ?? 'unknown',
    packets: demuxer.stats.packets,
    bytes: bytes.length,
    skippedBytes: demuxer.stats.skippedBytes,
    frames: assembler.stats.frames,
    droppedFrames: assembler.stats.droppedFrames,
    lostPackets: assembler.stats.lostPackets,
    streams: [...streams.values()],
    faults,
  };
}

/** ADTS sampling_frequency_index (ISO/IEC 14496-3 table 1.18) of the first frame. */
function aacSampleRate(data: Uint8Array): number | undefined {
  if (data.length < 7 || data[0] !== 0xff || (data[1]! & 0xf0) !== 0xf0) return undefined;
  return AAC_SAMPLE_RATES[(data[2]! >> 2) & 0x0f];
}

/** The human-readable form of `jt1078 inspect`. */
export function formatCaptureReport(r: CaptureReport, source: string): string {
  const lines = [
    `${source}: JT/T 1078-${r.revision}, ${r.packets} packets, ${r.frames} frames, ${r.bytes} bytes`,
    `  skipped ${r.skippedBytes} bytes, dropped ${r.droppedFrames} frames, lost ${r.lostPackets} packets, ${r.faults.length} faults`,
  ];
  for (const s of r.streams) {
    lines.push(`  SIM ${s.sim} channel ${s.channel}: ${s.packets} packets${s.passthroughPackets ? `, ${s.passthroughPackets} passthrough` : ''}`);
    if (s.video) {
      const v = s.video;
      const size = v.width !== undefined ? ` ${v.width}x${v.height}` : '';
      lines.push(`    video ${v.codec}${size}: ${v.frames} frames (${v.keyFrames} key), timestamps ${v.firstTimestamp}..${v.lastTimestamp} ms`);
    }
    if (s.audio) {
      const a = s.audio;
      lines.push(`    audio ${a.codec}${a.sampleRate ? ` ${a.sampleRate} Hz` : ''}${a.bitRate ? ` ${a.bitRate / 1000} kbit/s` : ''}: ${a.frames} frames${a.hisiliconFrames ? ` (${a.hisiliconFrames} with HiSilicon header)` : ''}`);
    }
  }
  for (const f of r.faults.slice(0, 20)) lines.push(`  fault at ${f.offset}: ${f.kind} — ${f.detail}`);
  if (r.faults.length > 20) lines.push(`  … ${r.faults.length - 20} more faults (--json lists them)`);
  return `${lines.join('\n')}\n`;
}
