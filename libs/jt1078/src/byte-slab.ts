/**
 * Carves short-lived byte buffers (assembled frames, packets that span reads) out of 1 MB slabs
 * instead of allocating each one: per-frame and per-packet allocation was a third of the
 * demux + reassembly time. A slab lives while any buffer carved from it is referenced, so a
 * consumer that keeps a window of frames pins at most one extra slab; big buffers get their own.
 */
const SLAB_BYTES = 1024 * 1024;
const SLAB_MAX_PIECE = 128 * 1024;
let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** A buffer of `size` bytes whose contents are unspecified: the caller fills every byte. */
export function allocBytes(size: number): Uint8Array {
  if (size > SLAB_MAX_PIECE) return new Uint8Array(size);
  if (used + size > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const out = new Uint8Array(slab, used, size);
  // 8-byte aligned starts keep wider typed-array views over a piece possible.
  used += (size + 7) & ~7;
  return out;
}
