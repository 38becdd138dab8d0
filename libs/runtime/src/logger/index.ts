/** pino loggers, passed in to whatever logs (nothing logs per packet). */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly name: string;
  readonly level?: string;
  /** Where lines go; stderr by default so stdout stays free for command output. */
  readonly destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const level = opts.level ?? process.env['LOG_LEVEL'] ?? 'info';
  return pino({ name: opts.name, level }, (opts.destination ?? process.stderr) as pino.DestinationStream);
}

/** A logger that drops everything (library defaults, quiet tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export { ErrorDigest } from './error-digest.js';
