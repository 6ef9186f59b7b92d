// The shape legend, used in comments, error messages and test names across the project:
//   T tokens · C hidden (2880) · Hq q-heads (64) · Hkv kv-heads (8) · Dh head dim (64)
//   E experts (32|128) · K experts/token (4) · I expert width (2880) · V vocab (201088)
//   W sliding window (128) · L layers (24|36) · S KV slots · G MXFP4 groups per row (in/32)
// Numbers in parentheses are gpt-oss-20b/120b; nothing may assume them: everything comes from ModelConfig.

import { ShapeError } from '../errors.js';

export type LayerType = 'sliding_attention' | 'full_attention';

/** YaRN RoPE parameters (HF `rope_scaling` with rope_type "yarn"). */
export interface RopeScaling {
  readonly factor: number; // s (32)
  readonly betaFast: number; // beta (32) = original rope_ntk_beta
  readonly betaSlow: number; // alpha (1) = original rope_ntk_alpha
  readonly originalMaxPositionEmbeddings: number; // L0 (4096)
  readonly truncate: boolean; // gpt-oss: false
}

/** A validated gpt-oss config.json, in legend terms. */
export interface ModelConfig {
  readonly numLayers: number; // L
  readonly hiddenSize: number; // C
  readonly intermediateSize: number; // I
  readonly numHeads: number; // Hq
  readonly numKvHeads: number; // Hkv
  readonly headDim: number; // Dh
  readonly numExperts: number; // E
  readonly numExpertsPerToken: number; // K
  readonly vocabSize: number; // V
  readonly slidingWindow: number; // W
  readonly layerTypes: readonly LayerType[]; // [L]
  readonly ropeTheta: number;
  readonly ropeScaling: RopeScaling;
  readonly rmsNormEps: number;
  readonly swigluLimit: number;
  readonly maxPositionEmbeddings: number;
  readonly eosTokenIds: readonly number[];
  readonly padTokenId: number | null;
}

export type DType = 'f32' | 'f16' | 'bf16' | 'u8' | 'u32' | 'i32';

export const DTYPE_BYTES: Readonly<Record<DType, number>> = { f32: 4, f16: 2, bf16: 2, u8: 1, u32: 4, i32: 4 };

export interface Shaped {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/**
 * Check a tensor against legend dims, e.g.
 *   expectShape('rmsnorm', 'x', x, ['T', 'C'], { T: 3, C: 2880 }, 'f32')
 * throws `rmsnorm: 'x' expected f32 [T=3, C=2880], got f32 [3, 2048]`.
 */
export function expectShape(
  who: string,
  what: string,
  tensor: Shaped,
  dims: readonly string[],
  sizes: Readonly<Record<string, number>>,
  dtype?: DType | readonly DType[],
): void {
  const want = dims.map((d) => {
    const v = sizes[d];
    if (v === undefined) throw new ShapeError(`${who}: no size given for dim '${d}' of '${what}'`);
    return v;
  });
  const dtypes = dtype === undefined ? undefined : typeof dtype === 'string' ? [dtype] : dtype;
  const okDtype = dtypes === undefined || dtypes.includes(tensor.dtype);
  const okShape = tensor.shape.length === want.length && tensor.shape.every((v, i) => v === want[i]);
  if (!okDtype || !okShape) {
    const wantStr = `${dtypes ? dtypes.join('|') + ' ' : ''}[${dims.map((d, i) => `${d}=${want[i]}`).join(', ')}]`;
    throw new ShapeError(`${who}: '${what}' expected ${wantStr}, got ${tensor.dtype} [${tensor.shape.join(', ')}]`);
  }
}

export function numElements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
