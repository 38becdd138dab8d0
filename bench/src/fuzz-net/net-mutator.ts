/**
 * Hostile bytes for the process-level fuzz (`jt1078 bench --only fuzz-net`, test/fuzz-net.test.ts):
 * real packets from the captures, mutated the ways an attacker or a broken device would — SIMs
 * with non-BCD nibbles, every data type and subpackage flag, channel 0 and 255, lying and huge
 * body lengths, flipped bits, truncations, garbage between packets. Seeded, so a failure repeats.
 */
import { headerLength, type CapturePacketBytes } from './capture-packet-bytes.js';

/** mulberry32: small, fast, good enough to drive mutations reproducibly. */
export class Prng {
  #s: number;

  constructor(seed: number) {
    this.#s = seed >>> 0;
  }

  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

export class NetMutator {
  /** How many packets were made, so the first 256 walk every data type × subpackage byte value. */
  #made = 0;

  constructor(
    readonly rng: Prng,
    private readonly packets: readonly CapturePacketBytes[],
    /** The healthy device's SIM as its six BCD bytes: never produced, so its stream is left alone. */
    private readonly protectedSim: Uint8Array,
  ) {}

  /** One mutated packet (2016 layout offsets; 2019 captures are mutated as bytes all the same). */
  packet(): Uint8Array {
    const r = this.rng;
    const base = r.pick(this.packets);
    const b = new Uint8Array(base.bytes);
    const n = this.#made++;
    if (n < 256) {
      b[15] = n;
    } else {
      const mutations = 1 + r.int(3);
      for (let m = 0; m < mutations; m++) this.#mutate(b, base);
    }
    if (r.int(4) === 0) b[14] = r.pick([0, 255, r.int(256)]);
    // Never the healthy device's SIM.
    if (b.length >= 14 && this.protectedSim.every((v, i) => b[8 + i] === v)) b[8] = 0x02;
    if (r.int(16) === 0) return b.subarray(0, r.int(b.length));
    return b;
  }

  #mutate(b: Uint8Array, base: CapturePacketBytes): void {
    const r = this.rng;
    switch (r.int(9)) {
      case 0: // SIM nibbles, non-BCD included (A-F, F padding).
        for (let i = 8; i < 14 && i < b.length; i++) b[i] = r.int(4) === 0 ? 0xff : r.int(256);
        break;
      case 1: // data type and subpackage flag: any of the 256 byte values.
        if (b.length > 15) b[15] = r.int(256);
        break;
      case 2: { // body length: lying, at the limit, huge.
        const at = headerLength(base.revision, base.dataType) - 2;
        if (at + 1 < b.length) {
          const v = r.pick([0, 1, 949, 950, 951, 0x7fff, 0xffff, r.int(0x10000)]);
          b[at] = v >> 8;
          b[at + 1] = v & 0xff;
        }
        break;
      }
      case 3: // bit flips.
        for (let k = 0; k < 1 + r.int(8); k++) {
          const i = r.int(b.length);
          b[i]! ^= 1 << r.int(8);
        }
        break;
      case 4: // V/P/X/CC and M/PT.
        if (b.length > 5) {
          b[4] = r.int(256);
          b[5] = r.int(256);
        }
        break;
      case 5: // timestamp anywhere (backwards, huge).
        for (let i = 16; i < 24 && i < b.length; i++) b[i] = r.int(256);
        break;
      case 6: // sequence number jumps.
        if (b.length > 7) {
          b[6] = r.int(256);
          b[7] = r.int(256);
        }
        break;
      case 7: // a fake magic inside the body.
        if (b.length > 40) b.set([0x30, 0x31, 0x63, 0x64], 30 + r.int(b.length - 34));
        break;
      default: { // HiSilicon-looking audio header with a wrong count.
        const at = headerLength(base.revision, base.dataType);
        if (b.length >= at + 4) b.set([0x00, 0x01, r.int(256), 0x00], at);
      }
    }
  }

  /** A stream for one TCP connection: mutated packets, some garbage and magic fragments between them. */
  stream(packets: number): { bytes: Uint8Array; packets: number } {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < packets; i++) {
      parts.push(this.packet());
      const g = this.rng.int(10);
      if (g === 0) parts.push(this.rng.bytes(1 + this.rng.int(64)));
      else if (g === 1) parts.push(new Uint8Array([0x30, 0x31, 0x63].slice(0, 1 + this.rng.int(3))));
    }
    return { bytes: Buffer.concat(parts), packets };
  }
}
