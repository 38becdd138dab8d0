/**
 * ITU-T G.726 ADPCM decoder (16, 24, 32 and 40 kbit/s) to 16-bit PCM, following the
 * Recommendation's block structure (§4: adaptive quantizer, inverse quantizer, scale factor
 * adaptation, adaptation speed control, adaptive predictor, tone/transition detection), with
 * its fixed-point arithmetic. Tables are G.726 tables 7–14. Against ffmpeg's decoder (its own
 * implementation) the output is close but not bit-exact: the tests hold it to ffmpeg's quality.
 *
 * Bit packing: RFC 3551 §4.5.4 puts the first code word in the least significant bits of the
 * first byte (`'le'`, ffmpeg's g726le, what RTP and most devices use); the AAL2 / ITU serial
 * order puts it in the most significant bits (`'be'`).
 */

export type G726Rate = 16000 | 24000 | 32000 | 40000;
export type G726Packing = 'le' | 'be';

interface RateTables {
  readonly bits: number;
  /** Reconstructed log magnitude per code (tables 8/11/12/13); -2048 stands for −∞. */
  readonly dqln: readonly number[];
  /** Scale factor multiplier W(I) per magnitude. */
  readonly w: readonly number[];
  /** Speed control F(I) per magnitude. */
  readonly f: readonly number[];
}

const RATES: Readonly<Record<G726Rate, RateTables>> = {
  16000: { bits: 2, dqln: [116, 365, 365, 116], w: [-22, 439, 439, -22], f: [0, 7, 7, 0] },
  24000: { bits: 3, dqln: [-2048, 135, 273, 373, 373, 273, 135, -2048], w: [-4, 30, 137, 582, 582, 137, 30, -4], f: [0, 1, 2, 7, 7, 2, 1, 0] },
  32000: {
    bits: 4,
    dqln: [-2048, 4, 135, 213, 273, 323, 373, 425, 425, 373, 323, 273, 213, 135, 4, -2048],
    w: [-12, 18, 41, 64, 112, 198, 355, 1122, 1122, 355, 198, 112, 64, 41, 18, -12],
    f: [0, 0, 0, 1, 1, 1, 3, 7, 7, 3, 1, 1, 1, 0, 0, 0],
  },
  40000: {
    bits: 5,
    dqln: [-2048, -66, 28, 104, 169, 224, 274, 318, 358, 395, 429, 459, 488, 514, 539, 566, 566, 539, 514, 488, 459, 429, 395, 358, 318, 274, 224, 169, 104, 28, -66, -2048],
    w: [14, 14, 24, 39, 40, 41, 58, 100, 141, 179, 219, 280, 358, 440, 529, 696, 696, 529, 440, 358, 280, 219, 179, 141, 100, 58, 41, 40, 39, 24, 14, 14],
    f: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 6, 5, 4, 3, 2, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
  },
};

/**
 * Leak of the zero predictor coefficients (UPB): 2^-8 at every rate. Sun's reference code
 * leaks 2^-9 at 40 kbit/s; ffmpeg (whose encoder most captures come from) uses 2^-8, and with
 * 2^-9 its 40 kbit/s streams decode to noise.
 */
const B_LEAK_SHIFT = 8;

/** Two's-complement 16-bit, as the Recommendation's registers wrap. */
const s16 = (v: number) => (v << 16) >> 16;

/** Position of the highest set bit + 1, capped at 15 (the `quan` of the reference against powers of two). */
function log2Index(v: number): number {
  let i = 0;
  while (i < 15 && v >= 1 << i) i++;
  return i;
}

/** FMULT: multiply a predictor coefficient by a value in the 4-bit exponent, 6-bit mantissa format. */
function fmult(an: number, srn: number): number {
  const anmag = an > 0 ? an : -an & 0x1fff;
  const anexp = log2Index(anmag) - 6;
  const anmant = anmag === 0 ? 32 : anexp >= 0 ? anmag >> anexp : anmag << -anexp;
  const wanexp = anexp + ((srn >> 6) & 0xf) - 13;
  const wanmant = (anmant * (srn & 0o77) + 0x30) >> 4;
  const retval = wanexp >= 0 ? (wanmant << wanexp) & 0x7fff : wanmant >> -wanexp;
  return (an ^ srn) < 0 ? -retval : retval;
}

/** A value in the 4-bit exponent, 6-bit mantissa format of the predictor's delay lines. */
function toFloat(v: number): number {
  if (v === 0) return 0x20;
  const mag = v > 0 ? v : -v;
  const exp = log2Index(mag);
  const f = (exp << 6) + ((mag << 6) >> exp);
  return v > 0 ? f : s16(f - 0x400);
}

export class G726Decoder {
  readonly #t: RateTables;
  readonly #packing: G726Packing;
  #yl = 34816;
  #yu = 544;
  #dms = 0;
  #dml = 0;
  #ap = 0;
  readonly #a = [0, 0];
  readonly #b = [0, 0, 0, 0, 0, 0];
  readonly #pk = [0, 0];
  readonly #dq = [32, 32, 32, 32, 32, 32];
  readonly #sr = [32, 32];
  #td = 0;
  /** Bits left over between calls (a frame need not end on a code word). */
  #acc = 0;
  #accBits = 0;

  constructor(readonly rate: G726Rate = 32000, packing: G726Packing = 'le') {
    this.#t = RATES[rate];
    this.#packing = packing;
  }

  /** Decodes packed code words to 8 kHz PCM. */
  decode(data: Uint8Array): Int16Array {
    const bits = this.#t.bits;
    const out = new Int16Array(Math.floor((data.length * 8 + this.#accBits) / bits));
    let o = 0;
    for (const byte of data) {
      if (this.#packing === 'le') {
        this.#acc |= byte << this.#accBits;
        this.#accBits += 8;
        while (this.#accBits >= bits) {
          out[o++] = this.#decodeCode(this.#acc & ((1 << bits) - 1));
          this.#acc >>= bits;
          this.#accBits -= bits;
        }
      } else {
        this.#acc = ((this.#acc << 8) | byte) & 0xffff;
        this.#accBits += 8;
        while (this.#accBits >= bits) {
          out[o++] = this.#decodeCode((this.#acc >> (this.#accBits - bits)) & ((1 << bits) - 1));
          this.#accBits -= bits;
        }
      }
    }
    return out.subarray(0, o);
  }

  #stepSize(): number {
    if (this.#ap >= 256) return this.#yu;
    let y = this.#yl >> 6;
    const dif = this.#yu - y;
    const al = this.#ap >> 2;
    if (dif > 0) y += (dif * al) >> 6;
    else if (dif < 0) y += (dif * al + 0x3f) >> 6;
    return y;
  }

  #decodeCode(code: number): number {
    const t = this.#t;
    const signBit = 1 << (t.bits - 1);
    let sezi = 0;
    for (let i = 0; i < 6; i++) sezi += fmult(this.#b[i]! >> 2, this.#dq[i]!);
    const sez = sezi >> 1;
    const sei = sezi + fmult(this.#a[1]! >> 2, this.#sr[1]!) + fmult(this.#a[0]! >> 2, this.#sr[0]!);
    const se = sei >> 1;
    const y = this.#stepSize();
    // Inverse adaptive quantizer (§4.2.3): log magnitude + scale, back to linear.
    const dql = t.dqln[code]! + (y >> 2);
    let dq: number;
    if (dql < 0) {
      dq = code & signBit ? -0x8000 : 0;
    } else {
      const dex = (dql >> 7) & 15;
      const dqt = 128 + (dql & 127);
      const mag = (dqt << 7) >> (14 - dex);
      dq = code & signBit ? mag - 0x8000 : mag;
    }
    // The 40 kbit/s coder keeps one more bit of the difference (its 5-bit codes reach further).
    const sr = dq < 0 ? se - (dq & (t.bits === 5 ? 0x7fff : 0x3fff)) : se + dq;
    const dqsez = sr - se + sez;
    this.#update(y, t.w[code]! << 5, t.f[code]! << 9, dq, sr, dqsez);
    const pcm = sr << 2;
    return pcm > 32767 ? 32767 : pcm < -32768 ? -32768 : pcm;
  }

  #update(y: number, wi: number, fi: number, dq: number, sr: number, dqsez: number): void {
    const pk0 = dqsez < 0 ? 1 : 0;
    const mag = dq & 0x7fff;
    // Transition detector (TRANS): a large difference after a "data" decision resets the predictor.
    const ylint = this.#yl >> 15;
    const ylfrac = (this.#yl >> 10) & 0x1f;
    const thr1 = (32 + ylfrac) << ylint;
    const thr2 = ylint > 9 ? 31 << 10 : thr1;
    const dqthr = (thr2 + (thr2 >> 1)) >> 1;
    const tr = this.#td === 0 || mag <= dqthr ? 0 : 1;

    // Quantizer scale factor adaptation (FUNCTW, FILTD, LIMB, FILTE).
    this.#yu = s16(y + ((wi - y) >> 5));
    if (this.#yu < 544) this.#yu = 544;
    else if (this.#yu > 5120) this.#yu = 5120;
    this.#yl += this.#yu + (-this.#yl >> 6);

    let a2p = 0;
    if (tr === 1) {
      this.#a.fill(0);
      this.#b.fill(0);
    } else {
      const pks1 = pk0 ^ this.#pk[0]!;
      a2p = s16(this.#a[1]! - (this.#a[1]! >> 7));
      if (dqsez !== 0) {
        const fa1 = pks1 ? this.#a[0]! : -this.#a[0]!;
        if (fa1 < -8191) a2p -= 0x100;
        else if (fa1 > 8191) a2p += 0xff;
        else a2p += fa1 >> 5;
        if (pk0 ^ this.#pk[1]!) {
          if (a2p <= -12160) a2p = -12288;
          else if (a2p >= 12416) a2p = 12288;
          else a2p -= 0x80;
        } else if (a2p <= -12416) a2p = -12288;
        else if (a2p >= 12160) a2p = 12288;
        else a2p += 0x80;
      }
      this.#a[1] = s16(a2p);
      this.#a[0] = s16(this.#a[0]! - (this.#a[0]! >> 8));
      if (dqsez !== 0) this.#a[0] = s16(this.#a[0]! + (pks1 === 0 ? 192 : -192));
      const a1ul = 15360 - a2p;
      if (this.#a[0]! < -a1ul) this.#a[0] = -a1ul;
      else if (this.#a[0]! > a1ul) this.#a[0] = a1ul;
      for (let i = 0; i < 6; i++) {
        this.#b[i] = s16(this.#b[i]! - (this.#b[i]! >> B_LEAK_SHIFT));
        if (mag !== 0) this.#b[i] = s16(this.#b[i]! + ((dq ^ this.#dq[i]!) >= 0 ? 128 : -128));
      }
    }

    for (let i = 5; i > 0; i--) this.#dq[i] = this.#dq[i - 1]!;
    this.#dq[0] = mag === 0 ? (dq >= 0 ? 0x20 : s16(0xfc20)) : toFloat(dq >= 0 ? mag : -mag);
    this.#sr[1] = this.#sr[0]!;
    this.#sr[0] = sr <= -32768 ? s16(0xfc20) : toFloat(sr);
    this.#pk[1] = this.#pk[0]!;
    this.#pk[0] = pk0;

    // Tone detector: a weak pole correlation suggests data; the next sample is treated so.
    this.#td = tr === 1 ? 0 : a2p < -11776 ? 1 : 0;

    // Adaptation speed control (FILTA, FILTB, SUBTC).
    this.#dms = s16(this.#dms + ((fi - this.#dms) >> 5));
    this.#dml = s16(this.#dml + (((fi << 2) - this.#dml) >> 7));
    if (tr === 1) this.#ap = 256;
    else if (y < 1536 || this.#td === 1 || Math.abs((this.#dms << 2) - this.#dml) >= this.#dml >> 3) this.#ap += (0x200 - this.#ap) >> 4;
    else this.#ap += -this.#ap >> 4;
  }
}
