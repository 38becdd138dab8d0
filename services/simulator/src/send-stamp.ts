/**
 * Send stamps, for measuring device write → subscriber latency without a side channel: a
 * benchmark capture ends each H.264 access unit with an SEI NAL (user data unregistered,
 * ISO/IEC 14496-10 D.1.6: a 16-byte UUID, then any bytes) whose 16 bytes after the UUID are hex
 * digits. A simulated device writes its monotonic clock there just before it sends the packet
 * that completes the frame; whoever receives the frame reads the clock back from the payload.
 * process.hrtime is CLOCK_MONOTONIC, one clock for every process on the machine (monotonicNs). Hex digits keep
 * the NAL free of start-code emulation (no 00 00 0x), so the stream stays valid H.264.
 */

/** The SEI's UUID: `jt1078-sendstamp` in ASCII. */
export const SEND_STAMP_UUID = new TextEncoder().encode('jt1078-sendstamp');
/** Hex digits of the clock (ns, 64 bits). */
const DIGITS = 16;
/** SEI payload type 5 = user_data_unregistered; payload = UUID + digits. */
const SEI_HEADER = [0, 0, 0, 1, 0x06, 5, SEND_STAMP_UUID.length + DIGITS];
/** rbsp_trailing_bits: the NAL's last byte. */
const TRAILING = 0x80;
/** Bytes from the start of the digits to the end of the access unit. */
export const SEND_STAMP_TAIL = DIGITS + 1;

/** The SEI NAL (Annex-B, with its start code) to append to an H.264 access unit, its clock zero. */
export function sendStampNal(): Uint8Array {
  const nal = new Uint8Array(SEI_HEADER.length + SEND_STAMP_UUID.length + SEND_STAMP_TAIL);
  nal.set(SEI_HEADER, 0);
  nal.set(SEND_STAMP_UUID, SEI_HEADER.length);
  nal.fill(0x30, SEI_HEADER.length + SEND_STAMP_UUID.length, nal.length - 1);
  nal[nal.length - 1] = TRAILING;
  return nal;
}

/** Whether `payload` (a whole access unit) ends with a send stamp. */
export function hasSendStamp(payload: Uint8Array): boolean {
  const uuidAt = payload.length - SEND_STAMP_TAIL - SEND_STAMP_UUID.length;
  if (uuidAt < 0 || payload[payload.length - 1] !== TRAILING) return false;
  for (let i = 0; i < SEND_STAMP_UUID.length; i++) if (payload[uuidAt + i] !== SEND_STAMP_UUID[i]) return false;
  return true;
}

/** The machine's monotonic clock in ns (a double: exact for 104 days of uptime, then to a few ns). */
export function monotonicNs(): number {
  return Number(process.hrtime.bigint());
}

/** Writes `clockNs` as the stamp whose digits start at `at` (in a packet or a payload). */
export function writeSendStamp(bytes: Uint8Array, at: number, clockNs: number): void {
  let v = Math.max(0, Math.floor(clockNs));
  for (let i = DIGITS - 1; i >= 0; i--) {
    const d = v % 16;
    bytes[at + i] = d < 10 ? 0x30 + d : 0x57 + d;
    v = Math.floor(v / 16);
  }
}

/**
 * The clock (ns) stamped into an access unit, or undefined when it has none — or its digits are
 * still the zeros sendStampNal() wrote: the device could not reach them (they were cut across two
 * packets and the first had gone).
 */
export function readSendStamp(payload: Uint8Array): number | undefined {
  if (!hasSendStamp(payload)) return undefined;
  const at = payload.length - SEND_STAMP_TAIL;
  let v = 0;
  for (let i = 0; i < DIGITS; i++) {
    const c = payload[at + i]!;
    v = v * 16 + (c <= 0x39 ? c - 0x30 : c - 0x57);
  }
  return v === 0 ? undefined : v;
}
