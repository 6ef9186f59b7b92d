// Launcher for shaders/argmax.wgsl.
import type { BufferArg, Recorder } from '../gpu/recorder.js';
import type { GpuTensor } from '../gpu/tensor.js';
import { uniformLayout } from '../gpu/uniforms.js';
import { expectRows } from './rmsnorm.js';

export const ARGMAX_FILE = 'argmax.wgsl';
export const ARGMAX_ARGS = uniformLayout({ num_tokens: 'u32', vocab_size: 'u32', out_offset: 'u32' });
const WG_SIZE = 256;

/** ids[outOffset + t] = argmax(logits[t, :]) for t < numTokens (ties -> lowest id). logits: f32 [≥T, V]. */
export function encodeArgmax(rec: Recorder, t: { logits: GpuTensor; ids: BufferArg }, p: { numTokens: number; vocabSize: number; outOffset: number }): void {
  expectRows('argmax', 'logits', t.logits, p.numTokens, p.vocabSize);
  const kernel = rec.kernel({ file: ARGMAX_FILE, entry: 'f32_argmax', overrides: { WG_SIZE } });
  rec.dispatch(kernel, ARGMAX_ARGS.pack({ num_tokens: p.numTokens, vocab_size: p.vocabSize, out_offset: p.outOffset }), [t.logits.buffer, t.ids], [p.numTokens], {
    bytes: p.numTokens * p.vocabSize * 4,
  });
}
