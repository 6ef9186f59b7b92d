// Launcher for shaders/rmsnorm.wgsl.
import type { Recorder } from '../gpu/recorder.js';
import type { GpuTensor } from '../gpu/tensor.js';
import { uniformLayout } from '../gpu/uniforms.js';
import { expectShape } from '../model/shapes.js';
import { expectRows } from './checks.js';

export const RMSNORM_FILE = 'rmsnorm.wgsl';
export const RMSNORM_ARGS = uniformLayout({ num_tokens: 'u32', num_channels: 'u32', epsilon: 'f32' });
const WG_SIZE = 256; // power of two (tree reduction); one workgroup per token

export interface RmsNormParams {
  readonly numTokens: number;
  readonly numChannels: number;
  readonly epsilon: number;
}

/** y[t,:] = rmsnorm(x[t,:]) * w for t < numTokens. x, y: f32 [≥T, C]; w: bf16 [C]. */
export function encodeRmsNorm(rec: Recorder, t: { x: GpuTensor; w: GpuTensor; y: GpuTensor }, p: RmsNormParams): void {
  const C = p.numChannels;
  expectShape('rmsnorm', 'w', t.w, ['C'], { C }, 'bf16');
  expectRows('rmsnorm', 'x', t.x, p.numTokens, C);
  expectRows('rmsnorm', 'y', t.y, p.numTokens, C);
  const kernel = rec.kernel({ file: RMSNORM_FILE, entry: 'f32_bf16w_rmsnorm', overrides: { WG_SIZE } });
  rec.dispatch(kernel, RMSNORM_ARGS.pack({ num_tokens: p.numTokens, num_channels: C, epsilon: p.epsilon }), [t.x.buffer, t.w.buffer, t.y.buffer], [p.numTokens], {
    bytes: p.numTokens * C * 8 + C * 2,
    flops: p.numTokens * C * 4,
  });
}
