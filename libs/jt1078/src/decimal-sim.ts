/** SIMs as JT/T 1078 table 19 sends them: BCD[6] (2016) or BCD[10] (2019). */

const HEX_DIGIT = '0123456789ABCDEF';

/** The `count` BCD bytes at `at` as nibbles (upper-case hex), before any check. */
export function bcdNibbles(bytes: Uint8Array, at: number, count: number): string {
  let s = '';
  for (let i = 0; i < count; i++) {
    const v = bytes[at + i]!;
    s += HEX_DIGIT[v >> 4]! + HEX_DIGIT[v & 0x0f]!;
  }
  return s;
}

/**
 * The SIM's digits, or undefined when it is not a decimal number. Field devices pad short SIMs
 * with F nibbles (BCD filler) at either end: the padding is dropped and the digits kept, so the
 * SIM still names a subject of digits only (DESIGN.md "NATS"). Any other nibble above 9 makes
 * the SIM unusable.
 */
export function decimalSim(nibbles: string): string | undefined {
  const digits = nibbles.replace(/^F+|F+$/g, '');
  return /^\d{1,20}$/.test(digits) ? digits : undefined;
}
