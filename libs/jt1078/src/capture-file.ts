/**
 * Captures come as binary, as the hex text m7s-jt1078 and its simulator use (one long hex
 * string; whitespace ignored), or as CSV lines `time,sim,seq,channel,type,subpackage,HEX` — one
 * packet a line, as SmallChi's JT1078 tools log them (a header line optional, a UTF-8 BOM
 * tolerated; the last field is the packet). A file is hex text when every byte is a hex digit
 * or whitespace, and CSV when one of its first two lines has at least seven fields ending in hex.
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

/** At least seven comma-separated fields, the last one hex (the packet). */
const CSV_LINE = /^(?:[^,\n]*,){6,}\s*([0-9a-fA-F]+)\s*$/;
/** How far into a file its first two lines are looked for. */
const CSV_PROBE_BYTES = 64 * 1024;

export type CaptureForm = 'binary' | 'hex' | 'csv';

function csvLines(raw: Uint8Array): string[] | undefined {
  const bom = raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? 3 : 0;
  const head = Buffer.from(raw.buffer, raw.byteOffset + bom, Math.min(raw.length - bom, CSV_PROBE_BYTES)).toString('utf8');
  const first = head.split('\n', 3).slice(0, 2);
  if (!first.some((l) => CSV_LINE.test(l.replace(/\r$/, '')))) return undefined;
  return Buffer.from(raw.buffer, raw.byteOffset + bom, raw.length - bom).toString('utf8').split('\n');
}

/** Which of the three forms a capture's bytes are in. */
export function captureForm(raw: Uint8Array): CaptureForm {
  if (isHexText(raw)) return 'hex';
  return csvLines(raw) ? 'csv' : 'binary';
}

/** Decodes a capture's bytes: hex text and CSV to binary, binary as it is. */
export function decodeCapture(raw: Uint8Array, source = 'capture'): Uint8Array {
  const lines = isHexText(raw) ? undefined : csvLines(raw);
  if (lines) return decodeCsv(lines, source);
  if (!isHexText(raw)) return raw;
  const digits = Buffer.from(raw).toString('latin1').replace(/\s+/g, '');
  if (digits.length % 2 !== 0) throw new CaptureFormatError(`hex text has an odd number of digits (${digits.length})`, source);
  return new Uint8Array(Buffer.from(digits, 'hex'));
}

function decodeCsv(lines: readonly string[], source: string): Uint8Array {
  const packets: Buffer[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const m = CSV_LINE.exec(line);
    // A header line (first) names the columns; any other line must carry a packet.
    if (!m) {
      if (packets.length === 0 && i === 0) continue;
      throw new CaptureFormatError(`CSV line ${i + 1} does not end in a packet's hex: ${JSON.stringify(line.slice(0, 80))}`, source);
    }
    const hex = m[1]!;
    if (hex.length % 2 !== 0) throw new CaptureFormatError(`CSV line ${i + 1}: the packet's hex has an odd number of digits (${hex.length})`, source);
    packets.push(Buffer.from(hex, 'hex'));
  }
  return new Uint8Array(Buffer.concat(packets));
}

export function readCapture(file: string): Uint8Array {
  return decodeCapture(readFileSync(file), file);
}

/** Hex text as m7s-jt1078 writes its debug captures and simulation files. */
export function encodeCaptureHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}
