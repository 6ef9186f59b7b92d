// Seeded random bytes for test checkpoints: a fast PRNG, bf16 rounding, and per-recipe byte pools.
//
// Speed: a 20b checkpoint is 13.8 GB and a 120b one 65 GB, so generating every value with a PRNG in JS
// (~0.3 G values/s) would take minutes. Instead each distinct value distribution ("recipe") gets one
// pool of POOL_BYTES random bytes, made once; a tensor is then a sequence of pool slices starting at
// seeded random offsets (memcpy speed). Slices start at arbitrary element offsets, so two rows of a
// tensor are equal only if they start at the same pool offset, and shifted copies of white noise
// are uncorrelated: good enough for benchmark and smoke-test weights.

/** Bytes per pool: 4 Mi bf16 values; 8 MiB × ~12 recipes stays well under 200 MB of RSS. */
export const POOL_BYTES = 8 * 1024 * 1024;
/** Smallest pool: recipes used only by small tensors (norms, biases) get a pool this size. */
export const MIN_POOL_BYTES = 64 * 1024;
/** Longest contiguous slice copied from a pool; 64 KiB keeps memcpy efficient and offsets varied. */
export const SEGMENT_BYTES = 64 * 1024;
/** 16-bit uniforms: 2^16 levels. */
const U16_LEVELS = 1 << 16;
/** Number of quantiles in the inverse-CDF table: one per 16-bit uniform. bf16 has 8 mantissa bits. */
const NORMAL_TABLE_SIZE = U16_LEVELS;
const U16_BITS = 16;
const U16_MASK = 0xffff;
const U32_RANGE = 2 ** 32;

/** Mulberry32: a tiny, fast 32-bit PRNG (period 2^32 per stream); plenty for test weights. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** FNV-1a over a string, started from a seed: a per-name stream seed ("seed ⊕ tensor name"). */
export function hashSeed(seed: number, text: string): number {
  // Fold both 32-bit halves of the seed so seeds ≥ 2^32 still differ.
  let h = (0x811c9dc5 ^ (seed >>> 0) ^ Math.imul(Math.floor(seed / U32_RANGE), 0x9e3779b1)) >>> 0;
  for (let charIdx = 0; charIdx < text.length; charIdx++) {
    h = Math.imul(h ^ text.charCodeAt(charIdx), 0x01000193) >>> 0;
  }
  // One extra avalanche round so near names give unrelated streams.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  return Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
}

const F32_SCRATCH = new Float32Array(1);
const U32_SCRATCH = new Uint32Array(F32_SCRATCH.buffer);
const F32_EXP_MANTISSA_MASK = 0x7fffffff;
const F32_INF_BITS = 0x7f800000;
const BF16_QUIET_BIT = 0x0040;

/**
 * float → bf16 bits, rounding the float32 value to nearest, ties to even (what torch's
 * `.to(torch.bfloat16)` does). NaN stays NaN (quiet, sign kept). `x` is first rounded to float32.
 */
export function f32ToBf16(x: number): number {
  F32_SCRATCH[0] = x;
  const bits = U32_SCRATCH[0];
  if ((bits & F32_EXP_MANTISSA_MASK) > F32_INF_BITS) return ((bits >>> U16_BITS) | BF16_QUIET_BIT) & U16_MASK;
  // Add 0x7fff plus the lowest kept bit: exact halves round up only when that makes the result even.
  const roundingBias = 0x7fff + ((bits >>> U16_BITS) & 1);
  return ((bits + roundingBias) >>> U16_BITS) & U16_MASK;
}

export function bf16ToF32(bits: number): number {
  U32_SCRATCH[0] = (bits & U16_MASK) << U16_BITS;
  return F32_SCRATCH[0];
}

// Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9).
const ACKLAM_A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const ACKLAM_B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const ACKLAM_C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const ACKLAM_D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const ACKLAM_P_LOW = 0.02425;

/** Φ⁻¹(p) for p in (0, 1). */
export function normalQuantile(p: number): number {
  const [a, b, c, d] = [ACKLAM_A, ACKLAM_B, ACKLAM_C, ACKLAM_D];
  const tail = (q: number) => (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < ACKLAM_P_LOW) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - ACKLAM_P_LOW) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** How one tensor's values are distributed. */
export type Recipe =
  /** bf16 values ~ N(mean, std²), truncated at the 1/65536 quantiles (±4.2σ). */
  | { readonly kind: 'bf16-normal'; readonly mean: number; readonly std: number }
  /** MXFP4 blocks: uniform random bytes, so each nibble is uniform over the 16 fp4 codes. */
  | { readonly kind: 'fp4-uniform' }
  /** MXFP4 e8m0 scales: byte `low + 1` with probability `pHigh`, else `low`. */
  | { readonly kind: 'e8m0'; readonly low: number; readonly pHigh: number };

export function recipeKey(r: Recipe): string {
  switch (r.kind) {
    case 'bf16-normal':
      return `bf16-normal(${r.mean},${r.std})`;
    case 'fp4-uniform':
      return 'fp4-uniform';
    case 'e8m0':
      return `e8m0(${r.low},${r.pHigh})`;
  }
}

/** Bytes per element of a recipe's values: slices start at multiples of it. */
export function recipeAlign(r: Recipe): number {
  return r.kind === 'bf16-normal' ? 2 : 1;
}

/**
 * Pool size for a recipe whose largest tensor is `maxTensorBytes`: twice that (so slice starts vary),
 * as a power of two, clamped to [MIN_POOL_BYTES, POOL_BYTES]. Keeps the tiny preset fast.
 */
export function poolBytesFor(maxTensorBytes: number): number {
  const want = 2 ** Math.ceil(Math.log2(Math.max(2 * maxTensorBytes, 1)));
  return Math.min(POOL_BYTES, Math.max(MIN_POOL_BYTES, want));
}

/** Fills a pool for one recipe from its own seeded stream. `poolBytes` must be a multiple of 4. */
export function makePool(recipe: Recipe, seed: number, poolBytes = POOL_BYTES): Uint8Array {
  const rng = mulberry32(hashSeed(seed, recipeKey(recipe)));
  const pool = new Uint8Array(poolBytes);
  const words = new Uint32Array(pool.buffer, 0, poolBytes >>> 2);
  switch (recipe.kind) {
    case 'fp4-uniform': {
      for (let wordIdx = 0; wordIdx < words.length; wordIdx++) words[wordIdx] = rng();
      break;
    }
    case 'bf16-normal': {
      const table = new Uint16Array(NORMAL_TABLE_SIZE);
      for (let k = 0; k < NORMAL_TABLE_SIZE; k++) {
        table[k] = f32ToBf16(recipe.mean + recipe.std * normalQuantile((k + 0.5) / NORMAL_TABLE_SIZE));
      }
      // Two bf16 per u32 word, little-endian: the low half is the first value.
      for (let wordIdx = 0; wordIdx < words.length; wordIdx++) {
        const u = rng();
        words[wordIdx] = table[u & U16_MASK] | (table[u >>> U16_BITS] << U16_BITS);
      }
      break;
    }
    case 'e8m0': {
      // Two bytes per 32-bit draw: each 16-bit half is compared with pHigh·2^16.
      const threshold = Math.round(recipe.pHigh * U16_LEVELS);
      const [low, high] = [recipe.low, recipe.low + 1];
      for (let byteIdx = 0; byteIdx < poolBytes; byteIdx += 2) {
        const u = rng();
        pool[byteIdx] = (u & U16_MASK) < threshold ? high : low;
        pool[byteIdx + 1] = u >>> U16_BITS < threshold ? high : low;
      }
      break;
    }
  }
  return pool;
}

/** Sign bits of two little-endian bf16 values in one u32 word. */
const BF16X2_SIGN_BITS = 0x80008000;
const WORD_BYTES = 4;

/** Random bytes for sign flips, independent of every recipe pool. */
export function makeSignPool(seed: number, poolBytes = POOL_BYTES): Uint8Array {
  const rng = mulberry32(hashSeed(seed, 'sign-bits'));
  const pool = new Uint8Array(poolBytes);
  const words = new Uint32Array(pool.buffer);
  for (let wordIdx = 0; wordIdx < words.length; wordIdx++) words[wordIdx] = rng();
  return pool;
}

/**
 * Sign flipping for zero-mean bf16 tensors. With plain slices, two rows of a [V, C] tensor are
 * identical whenever two slices start at pool offsets that differ by a multiple of C and overlap:
 * for a 20b lm_head that is thousands of duplicate rows (exact logit ties, indistinguishable
 * tokens). XOR-ing each slice's sign bits with a slice of an independent random pool, at its own
 * offset, makes a duplicate need both offsets to coincide; N(0, σ²) is symmetric, so the
 * distribution is unchanged. Costs one pass at ~4.7 GB/s over the bf16 bytes (a third of a 20b).
 */
export interface SignFlip {
  readonly signPool: Uint8Array;
  /** SEGMENT_BYTES of scratch: the yielded slices are views of it. */
  readonly scratch: Uint8Array;
}

/** A uniform start in [0, numStarts) scaled by `align`. */
function pickStart(rng: () => number, poolBytes: number, len: number, align: number): number {
  const numStarts = Math.floor((poolBytes - len) / align) + 1;
  return (rng() % numStarts) * align;
}

/**
 * Yields consecutive slices that together make `byteLength` bytes of one tensor. The slice
 * offsets come from the tensor's own stream, so a tensor's bytes depend only on (seed, name,
 * recipe), not on what was generated before it. Slices are views of the pool (or of
 * `signFlip.scratch`): copy them before taking the next one.
 */
export function* tensorSlices(pool: Uint8Array, align: number, byteLength: number, tensorSeed: number, signFlip?: SignFlip): Generator<Uint8Array> {
  const rng = mulberry32(tensorSeed);
  if (signFlip === undefined) {
    for (let done = 0; done < byteLength; ) {
      const len = Math.min(SEGMENT_BYTES, byteLength - done);
      const start = pickStart(rng, pool.length, len, align);
      yield pool.subarray(start, start + len);
      done += len;
    }
    return;
  }
  // Word-aligned views (pools and scratch are whole buffers, so byteOffset is 0).
  const values = new Uint32Array(pool.buffer, pool.byteOffset, pool.length >>> 2);
  const signs = new Uint32Array(signFlip.signPool.buffer, signFlip.signPool.byteOffset, signFlip.signPool.length >>> 2);
  const out = new Uint32Array(signFlip.scratch.buffer, signFlip.scratch.byteOffset, signFlip.scratch.length >>> 2);
  for (let done = 0; done < byteLength; ) {
    const len = Math.min(SEGMENT_BYTES, byteLength - done);
    const numWords = Math.ceil(len / WORD_BYTES); // a tensor with an odd number of bf16 uses half of its last word
    const valueWord = pickStart(rng, values.length, numWords, 1);
    const signWord = pickStart(rng, signs.length, numWords, 1);
    for (let w = 0; w < numWords; w++) out[w] = values[valueWord + w] ^ (signs[signWord + w] & BF16X2_SIGN_BITS);
    yield signFlip.scratch.subarray(0, len);
    done += len;
  }
}
