/**
 * ITU-T G.726 ADPCM decoder and encoder (16, 24, 32 and 40 kbit/s) for 16-bit PCM, following the
 * Recommendation's block structure (§4: adaptive quantizer, inverse quantizer, scale factor
 * adaptation, adaptation speed control, adaptive predictor, tone/transition detection), with
 * its fixed-point arithmetic. Tables are G.726 tables 1–14. On ffmpeg-made streams the decoder's
 * output equals ffmpeg's sample for sample (ffmpeg 5.1, every rate and packing); the tests hold
 * both directions to ffmpeg's quality within 1 dB.
 *
 * Bit packing: RFC 3551 §4.5.4 puts the first code word in the least significant bits of the
 * first byte (`'le'`, ffmpeg's g726le); the AAL2 / ITU serial order (I.366.2 annex E) puts it in
 * the most significant bits (`'be'`, ffmpeg's g726). Devices' G.726 decodes coherently only in
 * the AAL2 order, so that is the default everywhere; the rate is not signalled at all
 * (G726StreamRate finds it from the stream).
 */
import { RATES, type G726Rate, type RateTables } from './g726-tables.js';

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

/** The coder's state (§4.2): what encoder and decoder both run, sample by sample. */
export class G726Core {
  readonly t: RateTables;
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
  /** The prediction for the next sample: signal estimate, its zero-section part, step size. */
  #se = 0;
  #sez = 0;
  #y = 0;

  constructor(rate: G726Rate) {
    this.t = RATES[rate];
    this.#predict();
  }

  /**
   * Adaptive quantizer (§4.2.2) of a 14-bit sample: log2 of the difference from the estimate,
   * less the scale, placed among the decision levels; a positive difference below every level
   * is sent as the smallest negative magnitude (except at 16 kbit/s, which has no such code).
   */
  quantize(pcm: number): number {
    const t = this.t;
    const d = (pcm >> 2) - this.#se;
    const mag = d < 0 ? -d : d;
    let exp = 0;
    while (exp < 15 && mag >= 2 << exp) exp++;
    const dln = (exp << 7) + (((mag << 7) >> exp) & 0x7f) - (this.#y >> 2);
    let i = 0;
    while (i < t.q.length && dln >= t.q[i]!) i++;
    const mask = (1 << t.bits) - 1;
    if (d < 0) return ~i & mask;
    return i === 0 && t.bits !== 2 ? mask : i;
  }

  /** Reconstructs the sample of a code word and adapts to it: the decoder's step, and the encoder's after quantizing. */
  decodeCode(code: number): number {
    const pcm = this.#decodeCode(code);
    this.#predict();
    return pcm;
  }

  #predict(): void {
    let sezi = 0;
    for (let i = 0; i < 6; i++) sezi += fmult(this.#b[i]! >> 2, this.#dq[i]!);
    this.#sez = sezi >> 1;
    const sei = sezi + fmult(this.#a[1]! >> 2, this.#sr[1]!) + fmult(this.#a[0]! >> 2, this.#sr[0]!);
    this.#se = sei >> 1;
    this.#y = this.#stepSize();
  }

  /**
   * Speed-controlled step size (§4.2.4 MIX): y = (1 − al)·yl + al·yu, keeping yl's six fraction
   * bits through the mix (as ffmpeg does); truncating yl first, as the reference code does,
   * costs up to 1 dB on ffmpeg-made 24 kbit/s streams.
   */
  #stepSize(): number {
    const al = this.#ap >= 256 ? 64 : this.#ap >> 2;
    return (this.#yl + (this.#yu - (this.#yl >> 6)) * al) >> 6;
  }

  #decodeCode(code: number): number {
    const t = this.t;
    const signBit = 1 << (t.bits - 1);
    const sez = this.#sez;
    const se = this.#se;
    const y = this.#y;
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
