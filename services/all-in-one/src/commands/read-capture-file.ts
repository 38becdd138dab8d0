/**
 * Reads a capture for a command (`inspect`, `package`, a `start` simulation), turning the file
 * system's error codes into a message that says what to do.
 */
import path from 'node:path';
import { CaptureFormatError, readCapture } from '@jt1078/jt1078';

/** A capture that cannot be read; `message` says why and what to do. */
export class CaptureFileUnreadable extends Error {
  override readonly name = 'CaptureFileUnreadable';
  readonly kind = 'capture-file-unreadable';
  constructor(
    readonly file: string,
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const WHAT_A_CAPTURE_IS = 'a JT1078 capture: binary, the hex text m7s-jt1078 uses, or CSV lines time,sim,seq,channel,type,subpackage,HEX (e.g. testdata/media/h264-g711u.bin)';

/** Why a capture gave no packet, and what the reader expected. */
export function noPacketReason(file: string, bytes: number, skipped: number): string {
  const what = bytes === 0 ? 'it is empty' : `none of its ${bytes} bytes${skipped > 0 ? ` (${skipped} skipped as garbage)` : ''} form a JT1078 packet (30 31 63 64 …)`;
  return `${file} holds no JT1078 packet: ${what}. Expected ${WHAT_A_CAPTURE_IS}.`;
}

/** `key`, when the path came from a config key, starts the message. */
export function readCaptureFile(file: string, key?: string): Uint8Array {
  try {
    return readCapture(file);
  } catch (err) {
    if (err instanceof CaptureFormatError) throw new CaptureFileUnreadable(file, err.kind, key ? `${key}: ${err.message}` : err.message, { cause: err });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    const shown = path.isAbsolute(file) ? file : `${file} (from ${process.cwd()})`;
    const why: Record<string, string> = {
      ENOENT: `no file ${shown}. Give the path of ${WHAT_A_CAPTURE_IS}.`,
      EISDIR: `${shown} is a directory. Give the path of ${WHAT_A_CAPTURE_IS}.`,
      EACCES: `no permission to read ${shown}. Make it readable (chmod +r) or copy it somewhere you can read.`,
    };
    const message = why[code] ?? `cannot read ${shown} (${code}: ${(err as Error).message}).`;
    throw new CaptureFileUnreadable(file, code, key ? `${key}: ${message}` : message, { cause: err });
  }
}
