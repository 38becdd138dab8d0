/** fMP4 fragments (ISO/IEC 14496-12 §8.8): moof + mdat for the samples of one part. */
import type { Bytes } from './box.js';

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
