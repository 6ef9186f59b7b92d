// Launcher for shaders/rope.wgsl (cos/sin tables come from src/model/rope.ts).
import { ShapeError } from '../errors.js';
import type { Recorder } from '../gpu/recorder.js';
import type { GpuTensor } from '../gpu/tensor.js';
import { uniformLayout } from '../gpu/uniforms.js';
import { expectRows } from './checks.js';

export const ROPE_FILE = 'rope.wgsl';
export const ROPE_ARGS = uniformLayout({ num_tokens: 'u32', num_q_heads: 'u32', num_kv_heads: 'u32', head_dim: 'u32' });
const WG_SIZE = 256;

export interface HeadParams {
  readonly numTokens: number;
  readonly numQHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
}

/** Rotate q and k heads of qkv [T, (Hq + 2Hkv) Dh] in place by rope [T, Dh/2, 2] (cos, sin). */
export function encodeRope(rec: Recorder, t: { rope: GpuTensor; qkv: GpuTensor }, p: HeadParams): void {
  if (p.headDim % 2 !== 0) throw new ShapeError(`rope: Dh=${p.headDim} must be even`);
  expectRows('rope', 'qkv', t.qkv, p.numTokens, (p.numQHeads + 2 * p.numKvHeads) * p.headDim);
  expectRows('rope', 'rope', t.rope, p.numTokens, p.headDim);
  const kernel = rec.kernel({ file: ROPE_FILE, entry: 'f32_rope', overrides: { WG_SIZE } });
  rec.dispatch(kernel, ROPE_ARGS.pack({ num_tokens: p.numTokens, num_q_heads: p.numQHeads, num_kv_heads: p.numKvHeads, head_dim: p.headDim }), [t.rope.buffer, t.qkv.buffer], [p.numTokens], {
    bytes: p.numTokens * (p.numQHeads + p.numKvHeads) * p.headDim * 8 + p.numTokens * p.headDim * 4,
  });
}
