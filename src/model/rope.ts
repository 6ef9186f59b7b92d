// YaRN RoPE tables (spec §2.2), computed on the CPU exactly as transformers does in float32
// (`_compute_yarn_parameters` and GptOssRotaryEmbedding), then uploaded per batch as
// rope[t, i] = (cos, sin)(θ) * concentration with θ = f32(p * inv_freq[i]).
// Computing cos/sin here in float64 (rounded once to f32) makes every backend rotate by the same
// numbers, whatever the precision of its WGSL sin/cos for large angles (θ reaches 131072 rad).

import type { ModelConfig } from './shapes.js';

const f32 = Math.fround;

/** inv_freq[i], i < Dh/2, with transformers' float32 rounding at each step. */
export function yarnInvFreq(cfg: Pick<ModelConfig, 'headDim' | 'ropeTheta' | 'ropeScaling'>): Float32Array {
  const dim = cfg.headDim;
  const half = dim / 2;
  const base = cfg.ropeTheta;
  const { factor, betaFast, betaSlow, originalMaxPositionEmbeddings, truncate } = cfg.ropeScaling;
  const correctionDim = (numRotations: number) =>
    (dim * Math.log(originalMaxPositionEmbeddings / (numRotations * 2 * Math.PI))) / (2 * Math.log(base));
  let low = correctionDim(betaFast);
  let high = correctionDim(betaSlow);
  if (truncate) {
    low = Math.floor(low);
    high = Math.ceil(high);
  }
  low = Math.max(low, 0);
  high = Math.min(high, dim - 1);
  if (low === high) high += 0.001; // transformers' guard against a zero-width ramp
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    const posFreq = f32(Math.pow(base, f32(f32(2 * i) / dim)));
    const extrapolation = f32(1 / posFreq);
    const interpolation = f32(1 / f32(factor * posFreq));
    const ramp = Math.min(1, Math.max(0, f32(f32(i - f32(low)) / f32(high - low))));
    const extrapolationFactor = f32(1 - ramp);
    out[i] = f32(f32(interpolation * f32(1 - extrapolationFactor)) + f32(extrapolation * extrapolationFactor));
  }
  return out;
}

/** YaRN's attention scaling ("concentration", 1.3466 for factor 32): multiplies cos and sin. */
export function yarnConcentration(cfg: Pick<ModelConfig, 'ropeScaling'>): number {
  const { factor } = cfg.ropeScaling;
  return factor <= 1 ? 1 : 0.1 * Math.log(factor) + 1;
}

/**
 * rope[t, i] = (cos θ · c, sin θ · c), θ = f32(p · inv_freq[i]), p = pos0 + t; written into `out`
 * (f32 [T, Dh/2, 2]) without allocating, for the decode loop.
 */
export function fillRopeTable(invFreq: Float32Array, concentration: number, pos0: number, numTokens: number, out: Float32Array): Float32Array {
  const half = invFreq.length;
  const conc = f32(concentration);
  for (let t = 0; t < numTokens; t++) {
    const pos = f32(pos0 + t);
    for (let i = 0; i < half; i++) {
      const theta = f32(pos * invFreq[i]);
      const at = (t * half + i) * 2;
      out[at] = f32(f32(Math.cos(theta)) * conc);
      out[at + 1] = f32(f32(Math.sin(theta)) * conc);
    }
  }
  return out;
}
