// Launcher for shaders/embedding.wgsl.
import type { BufferArg, Recorder } from '../gpu/recorder.js';
import type { GpuTensor } from '../gpu/tensor.js';
import { uniformLayout } from '../gpu/uniforms.js';
import { ShapeError } from '../errors.js';
import { expectRows } from './checks.js';

export const EMBEDDING_FILE = 'embedding.wgsl';
export const EMBEDDING_ARGS = uniformLayout({ num_tokens: 'u32', num_channels: 'u32', id_offset: 'u32', row_start: 'u32', num_rows: 'u32' });
const WG_SIZE = 256;

export interface EmbeddingParams {
  readonly numTokens: number;
  /** Index of the first id in `ids`. */
  readonly idOffset: number;
}

/** out[t, :] = table[ids[idOffset + t], :] as f32. table: bf16 [V, C] (chunked by rows or not). */
export function encodeEmbedding(rec: Recorder, t: { ids: BufferArg; table: GpuTensor; out: GpuTensor }, p: EmbeddingParams): void {
  if (t.table.dtype !== 'bf16' || t.table.shape.length !== 2) {
    throw new ShapeError(`embedding: 'table' expected bf16 [V, C], got ${t.table.dtype} [${t.table.shape.join(', ')}]`);
  }
  const C = t.table.shape[1];
  if (C % 2 !== 0) throw new ShapeError(`embedding: C=${C} must be even (bf16 pairs)`);
  expectRows('embedding', 'out', t.out, p.numTokens, C);
  const kernel = rec.kernel({ file: EMBEDDING_FILE, entry: 'bf16_f32_embedding', overrides: { WG_SIZE } });
  for (const chunk of t.table.chunks) {
    const args = EMBEDDING_ARGS.pack({ num_tokens: p.numTokens, num_channels: C, id_offset: p.idOffset, row_start: chunk.rowStart, num_rows: chunk.numRows });
    rec.dispatch(kernel, args, [t.ids, chunk, t.out.buffer], [p.numTokens], {
      bytes: p.numTokens * C * 6,
      tag: t.table.isChunked ? `rows ${chunk.rowStart}+${chunk.numRows}` : undefined,
    });
  }
}
