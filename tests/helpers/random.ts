// Seeded random inputs for tests (no Math.random in tests). mulberry32: small, fast, good enough.
export type Rng = () => number;

export function seeded(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal via Box-Muller. */
export function normal(rng: Rng): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

export function randF32(rng: Rng, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = normal(rng) * scale;
  return out;
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** f32 -> bf16 bits, round to nearest even (NaN kept quiet). */
export function f32ToBf16Bits(v: number): number {
  scratchF32[0] = v;
  const u = scratchU32[0];
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) | 0x40) & 0xffff;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16BitsToF32(bits: number): number {
  scratchU32[0] = (bits & 0xffff) << 16;
  return scratchF32[0];
}

/** Random bf16 tensor: raw bits (for upload) and their exact float values (for references). */
export function randBf16(rng: Rng, n: number, scale = 1): { bits: Uint16Array; values: Float64Array } {
  const bits = new Uint16Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    bits[i] = f32ToBf16Bits(normal(rng) * scale);
    values[i] = bf16BitsToF32(bits[i]);
  }
  return { bits, values };
}

/** Uniform random bytes (MXFP4 blocks and the like), four per draw: fast enough for 100 MB. */
export function randBytes(rng: Rng, n: number): Uint8Array {
  const words = new Uint32Array(Math.ceil(n / 4));
  for (let i = 0; i < words.length; i++) words[i] = rng() * 4294967296;
  return new Uint8Array(words.buffer, 0, n);
}

/** Uniform random integers in [lo, hi] (inclusive). */
export function randInts(rng: Rng, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => lo + Math.floor(rng() * (hi - lo + 1)));
}
