// Launchers for shaders/argmax.wgsl (one workgroup per token) and shaders/argmax_split.wgsl (two
// passes over chunks of the vocabulary: the decode step's greedy choice over V = 201088).
import { ShapeError } from '../errors.js';
import type { BufferArg, Recorder } from '../gpu/recorder.js';
import type { GpuTensor } from '../gpu/tensor.js';
import { uniformLayout } from '../gpu/uniforms.js';
import { expectRows } from './checks.js';

export const ARGMAX_FILE = 'argmax.wgsl';
export const ARGMAX_ARGS = uniformLayout({ num_tokens: 'u32', vocab_size: 'u32', out_offset: 'u32' });
export const ARGMAX_SPLIT_FILE = 'argmax_split.wgsl';
export const ARGMAX_SPLIT_ARGS = uniformLayout({ num_tokens: 'u32', vocab_size: 'u32', out_offset: 'u32', num_chunks: 'u32' });
const WG_SIZE = 256;
/** Logits per workgroup of the first split pass (V = 201088 -> 99 workgroups per token). */
export const ARGMAX_CHUNK = 2048;

/** u32 words of the `partials` scratch the split path needs for T tokens of V logits. */
export function argmaxPartialsWords(numTokens: number, vocabSize: number): number {
  return numTokens * Math.ceil(vocabSize / ARGMAX_CHUNK) * 2;
}

/**
 * ids[outOffset + t] = argmax(logits[t, :]) for t < numTokens (ties -> lowest id). logits: f32 [≥T, V].
 * With a `partials` scratch (u32 ≥ argmaxPartialsWords) and more than one chunk of logits, the
 * vocabulary is split over many workgroups, then reduced; the result is the same bit for bit.
 */
export function encodeArgmax(
  rec: Recorder,
  t: { logits: GpuTensor; ids: BufferArg; partials?: GpuTensor },
  p: { numTokens: number; vocabSize: number; outOffset: number },
): void {
  expectRows('argmax', 'logits', t.logits, p.numTokens, p.vocabSize);
  const numChunks = Math.ceil(p.vocabSize / ARGMAX_CHUNK);
  if (!t.partials || numChunks < 2) {
    const kernel = rec.kernel({ file: ARGMAX_FILE, entry: 'f32_argmax', overrides: { WG_SIZE } });
    rec.dispatch(kernel, ARGMAX_ARGS.pack({ num_tokens: p.numTokens, vocab_size: p.vocabSize, out_offset: p.outOffset }), [t.logits.buffer, t.ids], [p.numTokens], {
      bytes: p.numTokens * p.vocabSize * 4,
    });
    return;
  }
  const need = argmaxPartialsWords(p.numTokens, p.vocabSize);
  if (t.partials.dtype !== 'u32' || t.partials.numElements < need) {
    throw new ShapeError(`argmax: 'partials' needs u32 x ${need} (T=${p.numTokens} x ${numChunks} chunks x 2), got ${t.partials.dtype} x ${t.partials.numElements}`);
  }
  const args = ARGMAX_SPLIT_ARGS.pack({ num_tokens: p.numTokens, vocab_size: p.vocabSize, out_offset: p.outOffset, num_chunks: numChunks });
  const buffers = [t.logits.buffer, t.partials.buffer, t.ids];
  const partial = rec.kernel({ file: ARGMAX_SPLIT_FILE, entry: 'f32_argmax_partial', overrides: { WG_SIZE, CHUNK: ARGMAX_CHUNK } });
  rec.dispatch(partial, args, buffers, [numChunks, p.numTokens], { bytes: p.numTokens * p.vocabSize * 4 });
  const final = rec.kernel({ file: ARGMAX_SPLIT_FILE, entry: 'f32_argmax_final', overrides: { WG_SIZE, CHUNK: ARGMAX_CHUNK } });
  rec.dispatch(final, args, buffers, [p.numTokens], { bytes: need * 4 });
}
