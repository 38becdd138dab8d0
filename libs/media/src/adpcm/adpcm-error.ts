/** Bytes that cannot be an IMA ADPCM block, or samples that cannot make one. */
export class AdpcmError extends Error {
  override readonly name = 'AdpcmError';
  readonly kind = 'adpcm';
}
