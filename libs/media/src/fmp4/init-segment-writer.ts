/**
 * The fMP4 init segment (ISO/IEC 14496-12): ftyp + moov for one video and one audio track. The
 * output depends only on the input, so the same tracks give the same bytes on every packager
 * replica (content-named init segments rely on it).
 */
import { concatBytes } from '../bytes/concat-bytes.js';
import { box, fullBox, u16, u32, type Bytes } from './box.js';
import { timescaleOf, type AudioTrackInfo, type TrackInfo, type VideoTrackInfo } from './track-info.js';

const enc = new TextEncoder();

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
