/**
 * Captures come as binary, or as the hex text m7s-jt1078 and its simulator use (one long hex
 * string; whitespace ignored). A file is hex text when every byte is a hex digit or whitespace.
 */
import { readFileSync } from 'node:fs';

export class CaptureFormatError extends Error {
  override readonly name = 'CaptureFormatError';
  readonly kind = 'capture-format';
  constructor(message: string, readonly source: string) {
    super(`${source}: ${message}`);
  }
}

function isHexText(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    const hex = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
    const space = c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
    if (!hex && !space) return false;
  }
  return true;
}

/** Decodes a capture's bytes: hex text to binary, binary as it is. */
export function decodeCapture(raw: Uint8Array, source = 'capture'): Uint8Array {
  if (!isHexText(raw)) return raw;
  const digits = Buffer.from(raw).toString('latin1').replace(/\s+/g, '');
  if (digits.length % 2 !== 0) throw new CaptureFormatError(`hex text has an odd number of digits (${digits.length})`, source);
  return new Uint8Array(Buffer.from(digits, 'hex'));
}

export function readCapture(file: string): Uint8Array {
  return decodeCapture(readFileSync(file), file);
}

/** Hex text as m7s-jt1078 writes its debug captures and simulation files. */
export function encodeCaptureHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}
