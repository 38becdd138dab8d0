/**
 * Reads a moof + mdat back, as writeFragment lays it out (ISO/IEC 14496-12 §8.8: tfhd with
 * default-base-is-moof, tfdt, trun with data offset, duration, size and flags): for tests and for
 * benchmarks that look inside the parts a packager serves. Anything that does not add up — a box
 * smaller than its header or past its parent, a sample past the end — is an Fmp4ReadError.
 */
import type { Bytes } from './box.js';

/** A RangeError, as readFragment threw before it had a type of its own. */
export class Fmp4ReadError extends RangeError {
  override readonly name = 'Fmp4ReadError';
  readonly kind = 'fmp4-read';
}

export interface ReadFragmentTrack {
  readonly trackId: number;
  readonly baseMediaDecodeTime: number;
  readonly samples: ReadonlyArray<{ readonly data: Bytes; readonly duration: number; readonly keyFrame: boolean }>;
}

/** trun flags (§8.8.8.1). */
const TRUN_DATA_OFFSET = 0x1;
const TRUN_FIRST_SAMPLE_FLAGS = 0x4;
const TRUN_DURATION = 0x100;
const TRUN_SIZE = 0x200;
const TRUN_FLAGS = 0x400;
const TRUN_CTS = 0x800;
/** sample_is_non_sync_sample (§8.8.3.1). */
const NON_SYNC = 0x10000;

/** The tracks of one fragment; sample data are views into `bytes`. */
export function readFragment(bytes: Bytes): ReadFragmentTrack[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = (o: number) => String.fromCharCode(bytes[o + 4]!, bytes[o + 5]!, bytes[o + 6]!, bytes[o + 7]!);
  /** The end of the box at `o`, checked against its parent's end. */
  const boxEnd = (o: number, parentEnd: number) => {
    const size = v.getUint32(o);
    if (size < 8 || o + size > parentEnd) throw new Fmp4ReadError(`a ${type(o)} box of ${size} bytes at ${o} does not fit in ${parentEnd}`);
    return o + size;
  };
  if (bytes.length < 8 || type(0) !== 'moof') throw new Fmp4ReadError('not a fragment: it does not start with moof');
  const moofEnd = boxEnd(0, bytes.length);
  const tracks: ReadFragmentTrack[] = [];
  for (let o = 8; o + 8 <= moofEnd; o = boxEnd(o, moofEnd)) {
    if (type(o) !== 'traf') continue;
    const trafEnd = boxEnd(o, moofEnd);
    let trackId = 0;
    let base = 0;
    const samples: Array<{ data: Bytes; duration: number; keyFrame: boolean }> = [];
    for (let b = o + 8; b + 8 <= trafEnd; b = boxEnd(b, trafEnd)) {
      const end = boxEnd(b, trafEnd);
      const need = (n: number) => {
        if (b + n > end) throw new Fmp4ReadError(`a ${type(b)} box of ${end - b} bytes is too short for its fields`);
      };
      const box = type(b);
      if (box === 'tfhd') {
        need(16);
        trackId = v.getUint32(b + 12);
      } else if (box === 'tfdt') {
        const version1 = bytes[b + 8] === 1;
        need(version1 ? 20 : 16);
        base = version1 ? v.getUint32(b + 12) * 0x1_0000_0000 + v.getUint32(b + 16) : v.getUint32(b + 12);
      } else if (box === 'trun') {
        need(16);
        const flags = v.getUint32(b + 8) & 0xffffff;
        const count = v.getUint32(b + 12);
        let p = b + 16;
        let offset = 0;
        if (flags & TRUN_DATA_OFFSET) {
          need(p - b + 4);
          offset = v.getInt32(p);
          p += 4;
        }
        if (flags & TRUN_FIRST_SAMPLE_FLAGS) p += 4;
        const fields = [TRUN_DURATION, TRUN_SIZE, TRUN_FLAGS, TRUN_CTS].filter((f) => flags & f).length;
        need(p - b + count * fields * 4);
        for (let i = 0; i < count; i++) {
          const read = (flag: number) => {
            if (!(flags & flag)) return 0;
            p += 4;
            return v.getUint32(p - 4);
          };
          const duration = read(TRUN_DURATION);
          const size = read(TRUN_SIZE);
          const sampleFlags = read(TRUN_FLAGS);
          read(TRUN_CTS);
          if (offset < 0 || offset + size > bytes.length) throw new Fmp4ReadError(`sample ${i} of track ${trackId} (${size} bytes at ${offset}) runs past the fragment's ${bytes.length} bytes`);
          samples.push({ data: bytes.subarray(offset, offset + size), duration, keyFrame: (sampleFlags & NON_SYNC) === 0 });
          offset += size;
        }
      }
    }
    tracks.push({ trackId, baseMediaDecodeTime: base, samples });
  }
  return tracks;
}
