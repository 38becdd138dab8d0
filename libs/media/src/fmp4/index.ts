/**
 * Fragmented MP4 (ISO/IEC 14496-12) for one video and one audio track: the init segment and
 * moof+mdat fragments. Every box is built by `box()`; the output depends only on the input, so
 * the same frames give the same bytes on every packager replica.
 */

import { concatBytes } from '../bytes/index.js';

export type Bytes = Uint8Array;

const enc = new TextEncoder();

function u32(v: number): Bytes {
  return new Uint8Array([(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}

function u16(v: number): Bytes {
  return new Uint8Array([(v >>> 8) & 0xff, v & 0xff]);
}

/** A box: 32-bit size, four-character type, payload (§4.2). */
export function box(type: string, ...payloads: Bytes[]): Bytes {
  const body = concatBytes(payloads);
  return concatBytes([u32(8 + body.length), enc.encode(type), body]);
}

/** A FullBox: a box whose payload starts with version (8 bits) and flags (24 bits). */
export function fullBox(type: string, version: number, flags: number, ...payloads: Bytes[]): Bytes {
  return box(type, new Uint8Array([version, (flags >>> 16) & 0xff, (flags >>> 8) & 0xff, flags & 0xff]), ...payloads);
}

export const VIDEO_TIMESCALE = 90000;

export interface VideoTrackInfo {
  readonly kind: 'video';
  readonly id: number;
  readonly codec: 'h264' | 'h265';
  readonly width: number;
  readonly height: number;
  /** avcC / hvcC payload. */
  readonly configRecord: Bytes;
}

export interface AudioTrackInfo {
  readonly kind: 'audio';
  readonly id: number;
  readonly codec: 'opus' | 'aac';
  readonly sampleRate: number;
  readonly channels: number;
  readonly preSkip?: number;
  /** Opus: the rate the audio had before encoding (8000 for G.711), for dOps. */
  readonly inputSampleRate?: number;
  readonly audioSpecificConfig?: Bytes;
}

export type TrackInfo = VideoTrackInfo | AudioTrackInfo;

export function timescaleOf(track: TrackInfo): number {
  return track.kind === 'video' ? VIDEO_TIMESCALE : track.sampleRate;
}

const UNITY_MATRIX = concatBytes([u32(0x00010000), u32(0), u32(0), u32(0), u32(0x00010000), u32(0), u32(0), u32(0), u32(0x40000000)]);

function mvhd(nextTrackId: number): Bytes {
  return fullBox('mvhd', 0, 0, u32(0), u32(0), u32(1000), u32(0), u32(0x00010000), u16(0x0100), new Uint8Array(10), UNITY_MATRIX, new Uint8Array(24), u32(nextTrackId));
}

function tkhd(t: TrackInfo): Bytes {
  const [w, h] = t.kind === 'video' ? [t.width, t.height] : [0, 0];
  // flags 3: track enabled and in movie (§8.3.2); volume 1.0 for audio.
  return fullBox('tkhd', 0, 3, u32(0), u32(0), u32(t.id), u32(0), u32(0), new Uint8Array(8), u16(0), u16(t.kind === 'audio' ? 1 : 0), u16(t.kind === 'audio' ? 0x0100 : 0), u16(0), UNITY_MATRIX, u32(w << 16), u32(h << 16));
}

function mdhd(timescale: number): Bytes {
  // language 'und' packed as three 5-bit letters (§8.4.2.3).
  return fullBox('mdhd', 0, 0, u32(0), u32(0), u32(timescale), u32(0), u16(0x55c4), u16(0));
}

function hdlr(t: TrackInfo): Bytes {
  const [type, name] = t.kind === 'video' ? ['vide', 'VideoHandler'] : ['soun', 'SoundHandler'];
  return fullBox('hdlr', 0, 0, u32(0), enc.encode(type), new Uint8Array(12), enc.encode(`${name}\0`));
}

function visualSampleEntry(t: VideoTrackInfo): Bytes {
  const [fourcc, configBox] = t.codec === 'h264' ? ['avc1', 'avcC'] : ['hvc1', 'hvcC'];
  return box(
    fourcc,
    new Uint8Array(6), u16(1), // reserved, data_reference_index
    new Uint8Array(16), // pre_defined, reserved
    u16(t.width), u16(t.height),
    u32(0x00480000), u32(0x00480000), // 72 dpi
    u32(0), u16(1), // reserved, frame_count
    new Uint8Array(32), // compressorname
    u16(0x0018), u16(0xffff), // depth, pre_defined = -1
    box(configBox, t.configRecord),
  );
}

/** ES_Descriptor (ISO/IEC 14496-1 §7.2.6.5) with an AudioSpecificConfig, for AAC's `esds`. */
function esds(asc: Bytes, trackId: number): Bytes {
  const descriptor = (tag: number, ...body: Bytes[]) => {
    const b = concatBytes(body);
    return concatBytes([new Uint8Array([tag, 0x80, 0x80, 0x80, b.length]), b]);
  };
  const decoderSpecific = descriptor(0x05, asc);
  // objectTypeIndication 0x40 (MPEG-4 audio), streamType 5 (audio) << 2 | 1, buffer/bitrates 0.
  const decoderConfig = descriptor(0x04, new Uint8Array([0x40, 0x15]), new Uint8Array(3), u32(0), u32(0), decoderSpecific);
  const slConfig = descriptor(0x06, new Uint8Array([0x02]));
  return fullBox('esds', 0, 0, descriptor(0x03, u16(trackId), new Uint8Array([0]), decoderConfig, slConfig));
}

function audioSampleEntry(t: AudioTrackInfo): Bytes {
  const common = (rate: number) => [
    new Uint8Array(6), u16(1), new Uint8Array(8), u16(t.channels), u16(16), u32(0),
    // samplerate is 16.16 and cannot hold 65536+; Opus always says 48000 here.
    u32(Math.min(rate, 65535) << 16),
  ];
  if (t.codec === 'opus') {
    // Opus in ISOBMFF (opus-codec.org/docs/opus_in_isobmff.html §4.3): dOps, big-endian.
    // InputSampleRate is informational, but Chromium's MSE refuses a dOps whose rate differs
    // from the sample entry's 48000, so 48000 it is (the 8 kHz origin is not needed to decode).
    const dOps = box('dOps', new Uint8Array([0, t.channels]), u16(t.preSkip ?? 0), u32(48000), u16(0), new Uint8Array([0]));
    return box('Opus', ...common(48000), dOps);
  }
  if (!t.audioSpecificConfig) throw new RangeError('an AAC track needs its AudioSpecificConfig');
  return box('mp4a', ...common(t.sampleRate), esds(t.audioSpecificConfig, t.id));
}

function trak(t: TrackInfo): Bytes {
  const entry = t.kind === 'video' ? visualSampleEntry(t) : audioSampleEntry(t);
  const header = t.kind === 'video' ? fullBox('vmhd', 0, 1, new Uint8Array(8)) : fullBox('smhd', 0, 0, new Uint8Array(4));
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, 0, u32(1), entry),
    fullBox('stts', 0, 0, u32(0)),
    fullBox('stsc', 0, 0, u32(0)),
    fullBox('stsz', 0, 0, u32(0), u32(0)),
    fullBox('stco', 0, 0, u32(0)),
  );
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));
  return box('trak', tkhd(t), box('mdia', mdhd(timescaleOf(t)), hdlr(t), box('minf', header, dinf, stbl)));
}

/** ftyp + moov for the tracks (video first by convention). */
export function writeInitSegment(tracks: readonly TrackInfo[]): Bytes {
  // iso6 with cmfc/dash/mp41: the brands hls.js, Chromium's MSE and ffprobe all accept for fMP4.
  const ftyp = box('ftyp', enc.encode('iso6'), u32(0), enc.encode('iso6cmfcdashmp41'));
  const mvex = box('mvex', ...tracks.map((t) => fullBox('trex', 0, 0, u32(t.id), u32(1), u32(0), u32(0), u32(0))));
  const nextId = Math.max(0, ...tracks.map((t) => t.id)) + 1;
  return concatBytes([ftyp, box('moov', mvhd(nextId), ...tracks.map(trak), mvex)]);
}

export interface FragmentSample {
  readonly data: Bytes;
  readonly duration: number;
  readonly keyFrame: boolean;
  readonly compositionOffset?: number;
}

export interface FragmentTrack {
  readonly trackId: number;
  readonly baseMediaDecodeTime: number;
  readonly samples: readonly FragmentSample[];
}

/**
 * Sample flags (§8.8.3.1): a sync sample depends on nothing (sample_depends_on = 2); others
 * depend on earlier samples (1) and are non-sync (sample_is_non_sync_sample = 1).
 */
const SYNC_FLAGS = 0x02000000;
const NON_SYNC_FLAGS = 0x01010000;

/**
 * moof + mdat for one fragment; `sequenceNumber` counts fragments from 1. Written straight into
 * one buffer (sizes first, then fields): this runs for every part of every live stream, so it
 * avoids the per-box allocations `box()` makes for the once-per-stream init segment.
 */
export function writeFragment(sequenceNumber: number, tracks: readonly FragmentTrack[]): Bytes {
  const present = tracks.filter((t) => t.samples.length > 0);
  const withCts = present.map((t) => t.samples.some((s) => (s.compositionOffset ?? 0) !== 0));
  // trun: header 12 + sample_count 4 + data_offset 4 + per sample 12 (or 16 with a CTS offset).
  const trunSizes = present.map((t, i) => 20 + t.samples.length * (withCts[i] ? 16 : 12));
  // traf: 8 + tfhd 16 + tfdt 20 + trun.
  const trafSizes = trunSizes.map((n) => 8 + 16 + 20 + n);
  const moofSize = 8 + 16 + trafSizes.reduce((a, b) => a + b, 0);
  let mdatSize = 8;
  for (const t of present) for (const s of t.samples) mdatSize += s.data.length;
  const out = new Uint8Array(moofSize + mdatSize);
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let o = 0;
  const header = (size: number, type: string) => {
    v.setUint32(o, size);
    out[o + 4] = type.charCodeAt(0);
    out[o + 5] = type.charCodeAt(1);
    out[o + 6] = type.charCodeAt(2);
    out[o + 7] = type.charCodeAt(3);
    o += 8;
  };
  const full = (size: number, type: string, version: number, flags: number) => {
    header(size, type);
    v.setUint32(o, (version << 24) | flags);
    o += 4;
  };
  header(moofSize, 'moof');
  full(16, 'mfhd', 0, 0);
  v.setUint32(o, sequenceNumber);
  o += 4;
  let dataOffset = moofSize + 8;
  present.forEach((t, i) => {
    header(trafSizes[i]!, 'traf');
    // tfhd flags 0x020000: default-base-is-moof, so data offsets are relative to this moof.
    full(16, 'tfhd', 0, 0x020000);
    v.setUint32(o, t.trackId);
    o += 4;
    full(20, 'tfdt', 1, 0);
    v.setUint32(o, Math.floor(t.baseMediaDecodeTime / 0x1_0000_0000));
    v.setUint32(o + 4, t.baseMediaDecodeTime >>> 0);
    o += 8;
    // trun flags: data-offset, sample duration, size, flags, composition offset (when any).
    const cts = withCts[i]!;
    full(trunSizes[i]!, 'trun', cts ? 1 : 0, 0x000001 | 0x000100 | 0x000200 | 0x000400 | (cts ? 0x000800 : 0));
    v.setUint32(o, t.samples.length);
    v.setUint32(o + 4, dataOffset);
    o += 8;
    for (const s of t.samples) {
      v.setUint32(o, s.duration);
      v.setUint32(o + 4, s.data.length);
      v.setUint32(o + 8, s.keyFrame ? SYNC_FLAGS : NON_SYNC_FLAGS);
      o += 12;
      if (cts) {
        v.setInt32(o, s.compositionOffset ?? 0);
        o += 4;
      }
      dataOffset += s.data.length;
    }
  });
  header(mdatSize, 'mdat');
  for (const t of present) {
    for (const s of t.samples) {
      out.set(s.data, o);
      o += s.data.length;
    }
  }
  return out;
}

export interface ReadFragmentTrack {
  readonly trackId: number;
  readonly baseMediaDecodeTime: number;
  readonly samples: ReadonlyArray<{ readonly data: Bytes; readonly duration: number; readonly keyFrame: boolean }>;
}

/**
 * Reads a moof + mdat back, as writeFragment lays it out (ISO/IEC 14496-12 §8.8: tfhd with
 * default-base-is-moof, tfdt version 1, trun with data offset, duration, size and flags): for
 * tests and for benchmarks that look inside the parts a packager serves. Views into `bytes`.
 */
export function readFragment(bytes: Bytes): ReadFragmentTrack[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = (o: number) => String.fromCharCode(bytes[o + 4]!, bytes[o + 5]!, bytes[o + 6]!, bytes[o + 7]!);
  if (bytes.length < 8 || type(0) !== 'moof') throw new RangeError('not a fragment: it does not start with moof');
  const moofEnd = v.getUint32(0);
  const tracks: ReadFragmentTrack[] = [];
  for (let o = 8; o + 8 <= moofEnd; o += v.getUint32(o)) {
    if (type(o) !== 'traf') continue;
    const trafEnd = o + v.getUint32(o);
    let trackId = 0;
    let base = 0;
    const samples: Array<{ data: Bytes; duration: number; keyFrame: boolean }> = [];
    for (let b = o + 8; b + 8 <= trafEnd; b += v.getUint32(b)) {
      const box = type(b);
      if (box === 'tfhd') trackId = v.getUint32(b + 12);
      else if (box === 'tfdt') base = bytes[b + 8] === 1 ? v.getUint32(b + 12) * 0x1_0000_0000 + v.getUint32(b + 16) : v.getUint32(b + 12);
      else if (box === 'trun') {
        const flags = v.getUint32(b + 8) & 0xffffff;
        const count = v.getUint32(b + 12);
        let p = b + 16;
        let offset = 0;
        if (flags & 0x1) {
          offset = v.getInt32(p);
          p += 4;
        }
        if (flags & 0x4) p += 4;
        for (let i = 0; i < count; i++) {
          const duration = flags & 0x100 ? v.getUint32(p) : 0;
          if (flags & 0x100) p += 4;
          const size = flags & 0x200 ? v.getUint32(p) : 0;
          if (flags & 0x200) p += 4;
          const sampleFlags = flags & 0x400 ? v.getUint32(p) : 0;
          if (flags & 0x400) p += 4;
          if (flags & 0x800) p += 4;
          samples.push({ data: bytes.subarray(offset, offset + size), duration, keyFrame: (sampleFlags & 0x10000) === 0 });
          offset += size;
        }
      }
    }
    tracks.push({ trackId, baseMediaDecodeTime: base, samples });
  }
  return tracks;
}
