// Launcher for shaders/matmul.wgsl: y = W x (+ b) (+ y), bf16 weights, f32 activations.
import { ShapeError } from '../errors.js';
import type { Recorder } from '../gpu/recorder.js';
import type { GpuTensor } from '../gpu/tensor.js';
import { uniformLayout } from '../gpu/uniforms.js';
import { expectShape } from '../model/shapes.js';

export const MATMUL_FILE = 'matmul.wgsl';
export const MATMUL_ARGS = uniformLayout({
  num_tokens: 'u32',
  in_features: 'u32',
  out_features: 'u32',
  row_start: 'u32',
  num_rows: 'u32',
  accumulate: 'u32',
  has_bias: 'u32',
  x_row_offset: 'u32',
});
const MAX_LANES = 32; // threads per row for long rows (gpt-oss: IN = 2880 / 4096)
const WORDS_PER_THREAD = 8; // vec4<u32> loads per thread before another lane is worth a reduction step
const TOKENS = 4; // must equal `const TOKENS` in matmul.wgsl
const WORD4_ELEMS = 8; // bf16 elements per vec4<u32> load

/**
 * Threads per row (LANES, a power of two) and rows per workgroup. Long rows get 32 lanes and a tree
 * reduction; short rows (tiny models) get few lanes, because reductions with barriers are what
 * software rasterisers like lavapipe run slowest (measured: V=201088, IN=64 took 798 ms with 32
 * lanes and 18 ms with 1).
 */
export function matmulTiling(inFeatures: number): { rows: number; lanes: number } {
  const words4 = inFeatures / WORD4_ELEMS;
  let lanes = 1;
  while (lanes * 2 <= Math.min(MAX_LANES, words4 / WORDS_PER_THREAD)) lanes *= 2;
  const threads = lanes >= 4 ? 256 : 64;
  return { rows: threads / lanes, lanes };
}

export interface MatmulParams {
  readonly numTokens: number;
  /** y += W x instead of y = W x (fuses the residual add). */
  readonly accumulate?: boolean;
  /** Read x from row `xRowOffset + t` (e.g. only the last token's hidden state). */
  readonly xRowOffset?: number;
}

/**
 * y[t, :] = W x[xRowOffset + t, :] + b (+ y[t, :] when accumulating).
 * x: f32 [≥ xRowOffset + T, IN]   W: bf16 [OUT, IN] (may be chunked by rows)   b: bf16 [OUT] | null   y: f32 [≥T, OUT]
 */
export function encodeMatmul(
  rec: Recorder,
  t: { x: GpuTensor; w: GpuTensor; b: GpuTensor | null; y: GpuTensor },
  p: MatmulParams,
): void {
  if (t.w.dtype !== 'bf16' || t.w.shape.length !== 2) {
    throw new ShapeError(`matmul: 'w' expected bf16 [OUT, IN], got ${t.w.dtype} [${t.w.shape.join(', ')}]`);
  }
  const [OUT, IN] = t.w.shape;
  if (IN % WORD4_ELEMS !== 0) throw new ShapeError(`matmul '${t.w.name}': IN=${IN} must be a multiple of ${WORD4_ELEMS}`);
  const xRowOffset = p.xRowOffset ?? 0;
  const xOk = t.x.dtype === 'f32' && t.x.shape.length === 2 && t.x.shape[1] === IN && t.x.shape[0] >= xRowOffset + p.numTokens;
  if (!xOk) expectShape(`matmul '${t.w.name}'`, 'x', t.x, ['T', 'IN'], { T: xRowOffset + p.numTokens, IN }, 'f32');
  const yOk = t.y.dtype === 'f32' && t.y.shape.length === 2 && t.y.shape[1] === OUT && t.y.shape[0] >= p.numTokens;
  if (!yOk) expectShape(`matmul '${t.w.name}'`, 'y', t.y, ['T', 'OUT'], { T: p.numTokens, OUT }, 'f32');
  if (t.b) expectShape(`matmul '${t.w.name}'`, 'b', t.b, ['OUT'], { OUT }, 'bf16');

  const { rows: ROWS, lanes: LANES } = matmulTiling(IN);
  const kernel = rec.kernel({ file: MATMUL_FILE, entry: 'f32_bf16w_matmul', overrides: { ROWS, LANES } });
  const tokenTiles = Math.ceil(p.numTokens / TOKENS);
  for (const chunk of t.w.chunks) {
    const args = MATMUL_ARGS.pack({
      num_tokens: p.numTokens,
      in_features: IN,
      out_features: OUT,
      row_start: chunk.rowStart,
      num_rows: chunk.numRows,
      accumulate: p.accumulate ? 1 : 0,
      has_bias: t.b ? 1 : 0,
      x_row_offset: xRowOffset,
    });
    // With no bias the binding still needs a buffer: the weight chunk stands in, unread.
    rec.dispatch(kernel, args, [t.x.buffer, chunk, t.b ? t.b.buffer : chunk.buffer, t.y.buffer], [Math.ceil(chunk.numRows / ROWS), tokenTiles], {
      bytes: chunk.numRows * IN * 2 * tokenTiles + p.numTokens * (IN + chunk.numRows) * 4,
      flops: 2 * p.numTokens * chunk.numRows * IN,
      tag: t.w.name,
    });
  }
}
