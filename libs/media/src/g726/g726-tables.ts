/** G.726's rates and, per rate, its quantizer tables (G.726 tables 1–14). */

export type G726Rate = 16000 | 24000 | 32000 | 40000;
export type G726Packing = 'le' | 'be';

export interface RateTables {
  readonly bits: number;
  /**
   * Quantizer decision levels (tables 1–4: log2 of the normalised difference, ×128): the
   * magnitude index is how many of them the input reaches.
   */
  readonly q: readonly number[];
  /** Reconstructed log magnitude per code (tables 8/11/12/13); -2048 stands for −∞. */
  readonly dqln: readonly number[];
  /** Scale factor multiplier W(I) per magnitude. */
  readonly w: readonly number[];
  /** Speed control F(I) per magnitude. */
  readonly f: readonly number[];
}

export const RATES: Readonly<Record<G726Rate, RateTables>> = {
  16000: { bits: 2, q: [261], dqln: [116, 365, 365, 116], w: [-22, 439, 439, -22], f: [0, 7, 7, 0] },
  24000: { bits: 3, q: [8, 218, 331], dqln: [-2048, 135, 273, 373, 373, 273, 135, -2048], w: [-4, 30, 137, 582, 582, 137, 30, -4], f: [0, 1, 2, 7, 7, 2, 1, 0] },
  32000: {
    bits: 4,
    q: [-124, 80, 178, 246, 300, 349, 400],
    dqln: [-2048, 4, 135, 213, 273, 323, 373, 425, 425, 373, 323, 273, 213, 135, 4, -2048],
    w: [-12, 18, 41, 64, 112, 198, 355, 1122, 1122, 355, 198, 112, 64, 41, 18, -12],
    f: [0, 0, 0, 1, 1, 1, 3, 7, 7, 3, 1, 1, 1, 0, 0, 0],
  },
  40000: {
    bits: 5,
    q: [-122, -16, 68, 139, 198, 250, 298, 339, 378, 413, 445, 475, 502, 528, 553],
    dqln: [-2048, -66, 28, 104, 169, 224, 274, 318, 358, 395, 429, 459, 488, 514, 539, 566, 566, 539, 514, 488, 459, 429, 395, 358, 318, 274, 224, 169, 104, 28, -66, -2048],
    w: [14, 14, 24, 39, 40, 41, 58, 100, 141, 179, 219, 280, 358, 440, 529, 696, 696, 529, 440, 358, 280, 219, 179, 141, 100, 58, 41, 40, 39, 24, 14, 14],
    f: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 6, 5, 4, 3, 2, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
  },
};
