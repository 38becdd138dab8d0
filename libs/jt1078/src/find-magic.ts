/** Finding the frame header magic `01cd` (table 19 byte 0) in bytes that may split it. */

/** Index of the next `01cd` at or after `from` (or of a prefix of it that ends the buffer), else -1. */
export function findMagic(buf: Uint8Array, from: number): number {
  const len = buf.length;
  let i = from;
  for (;;) {
    i = buf.indexOf(0x30, i);
    if (i < 0) return -1;
    if (i + 3 < len) {
      if (buf[i + 1] === 0x31 && buf[i + 2] === 0x63 && buf[i + 3] === 0x64) return i;
    } else if ((i + 1 >= len || buf[i + 1] === 0x31) && (i + 2 >= len || buf[i + 2] === 0x63)) {
      return i;
    }
    i++;
  }
}
