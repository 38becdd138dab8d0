/** A bitstream that does not parse: truncated, or a field out of its range. `context` names what was being read. */
export class BitstreamError extends Error {
  override readonly name = 'BitstreamError';
  readonly kind = 'bitstream';
  constructor(message: string, readonly context: string) {
    super(`${context}: ${message}`);
  }
}
