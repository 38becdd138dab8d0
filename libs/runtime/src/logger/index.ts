/** pino loggers, passed in to whatever logs (nothing logs per packet). */
import { pino, type Logger } from 'pino';
import { prettyDestination } from './pretty-destination.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly name: string;
  readonly level?: string;
  /** Where lines go; stderr by default so stdout stays free for command output. */
  readonly destination?: NodeJS.WritableStream;
}

/**
 * Whether log lines are for people: LOG_FORMAT=pretty|json decides, else a terminal gets text
 * and anything else (a pipe, a file, a log collector) gets JSON.
 */
export function prettyLogs(destination: NodeJS.WritableStream = process.stderr): boolean {
  const format = process.env['LOG_FORMAT'];
  if (format === 'json') return false;
  if (format === 'pretty') return true;
  return (destination as { isTTY?: boolean }).isTTY === true;
}

export function createLogger(opts: LoggerOptions): Logger {
  const level = opts.level ?? process.env['LOG_LEVEL'] ?? 'info';
  const out = opts.destination ?? process.stderr;
  if (prettyLogs(out)) {
    const stacks = level === 'debug' || level === 'trace';
    return pino({ name: opts.name, level }, prettyDestination(out, { color: (out as { isTTY?: boolean }).isTTY === true && !process.env['NO_COLOR'], stacks }));
  }
  return pino({ name: opts.name, level }, out as pino.DestinationStream);
}

/** A logger that drops everything (library defaults, quiet tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export { ErrorDigest } from './error-digest.js';
export { formatLogLine, prettyDestination, type PrettyOptions } from './pretty-destination.js';
