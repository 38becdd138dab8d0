/**
 * A command line the command cannot run: a missing or malformed argument. The CLI prints the
 * message with the command's usage and exits 2 (a failure while running exits 1).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly kind = 'usage';
}
