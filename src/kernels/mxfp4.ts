// MXFP4 expert weights (spec §3.2): the tensor contract shared by the MoE launchers, how their chunks
// map to expert ranges, and the launcher for shaders/mxfp4_dequant.wgsl (test and debug only).
import { ShapeError } from '../errors.js';
import type { Recorder } from '../gpu/recorder.js';
import type { GpuTensor, TensorChunk } from '../gpu/tensor.js';
import { uniformLayout } from '../gpu/uniforms.js';
import { foldWorkgroups } from './checks.js';

/** Elements per MXFP4 group (one E8M0 scale, 16 bytes of nibbles). */
export const MXFP4_GROUP_SIZE = 32;
export const MXFP4_GROUP_BYTES = 16;

/** One expert weight matrix set: W[e] = dequant(blocks[e], scales[e]) is [N, in]; bias[e] is [N]. */
export interface Mxfp4Experts {
  readonly blocks: GpuTensor; // u8 [E, N, in/32, 16]
  readonly scales: GpuTensor; // u8 [E, N, in/32]
  readonly bias: GpuTensor; // bf16 [E, N]
}

/**
 * Check an MXFP4 expert set: blocks u8 [E, N, G, 16], scales u8 [E, N, G], bias bf16 [E, N] with
 * G = in/32. `rowsName`/`colsName` are the legend names of N and in (e.g. '2I' and 'C').
 */
export function expectMxfp4Experts(
  who: string,
  prefix: string,
  w: Mxfp4Experts,
  dims: { readonly numExperts: number; readonly rowsName: string; readonly numRows: number; readonly colsName: string; readonly numCols: number },
): void {
  const { numExperts: E, numRows: N, numCols } = dims;
  if (numCols % MXFP4_GROUP_SIZE !== 0) {
    throw new ShapeError(`${who}: ${dims.colsName}=${numCols} must be a multiple of the MXFP4 group size ${MXFP4_GROUP_SIZE}`);
  }
  const G = numCols / MXFP4_GROUP_SIZE;
  const r = dims.rowsName;
  const g = `G=${dims.colsName}/${MXFP4_GROUP_SIZE}`;
  const check = (what: string, t: GpuTensor, dtype: string, want: number[], legend: string[]): void => {
    if (t.dtype !== dtype || t.shape.length !== want.length || t.shape.some((v, i) => v !== want[i])) {
      const wantStr = want.map((v, i) => (legend[i] ? `${legend[i]}=${v}` : `${v}`)).join(', ');
      throw new ShapeError(`${who}: '${prefix}${what}' expected ${dtype} [${wantStr}], got ${t.dtype} [${t.shape.join(', ')}]`);
    }
  };
  check('blocks', w.blocks, 'u8', [E, N, G, MXFP4_GROUP_BYTES], ['E', r, g, '']);
  check('scales', w.scales, 'u8', [E, N, G], ['E', r, g]);
  check('bias', w.bias, 'bf16', [E, N], ['E', r]);
}

/** A range of experts [expertStart, expertEnd) that one chunk of each tensor of the set holds. */
export interface ExpertSlice {
  readonly expertStart: number;
  readonly expertEnd: number;
  readonly blocks: TensorChunk;
  readonly scales: TensorChunk;
  readonly bias: TensorChunk;
}

/**
 * Split [0, E) at every chunk boundary of blocks, scales and bias, so that each slice lies inside one
 * chunk of each tensor. Tensors are chunked along dim 0 (experts), each independently by its own
 * size (20b on a 128 MiB binding limit: gate_up blocks in 2 chunks, scales and bias in 1), so a
 * kernel dispatch per slice sees every expert of its range in all three bindings. Equal chunkings
 * give one slice per chunk.
 */
export function expertSlices(w: Mxfp4Experts): ExpertSlice[] {
  const numExperts = w.blocks.shape[0];
  const starts = new Set<number>();
  for (const t of [w.blocks, w.scales, w.bias]) for (const c of t.chunks) starts.add(c.rowStart);
  const sorted = [...starts].filter((s) => s < numExperts).sort((a, b) => a - b);
  return sorted.map((expertStart, i) => {
    const expertEnd = i + 1 < sorted.length ? sorted[i + 1] : numExperts;
    const slice = { expertStart, expertEnd, blocks: w.blocks.chunkOf(expertStart), scales: w.scales.chunkOf(expertStart), bias: w.bias.chunkOf(expertStart) };
    for (const [name, c] of [['blocks', slice.blocks], ['scales', slice.scales], ['bias', slice.bias]] as const) {
      if (c.rowStart + c.numRows < expertEnd) {
        throw new ShapeError(`expert slice [${expertStart}, ${expertEnd}) is not inside one chunk of '${name}' (rows ${c.rowStart}..${c.rowStart + c.numRows})`);
      }
    }
    return slice;
  });
}

// ---- shaders/mxfp4_dequant.wgsl (test and debug only) ----

export const MXFP4_DEQUANT_FILE = 'mxfp4_dequant.wgsl';
export const MXFP4_DEQUANT_ARGS = uniformLayout({ num_rows: 'u32', num_groups: 'u32' });
const DEQUANT_WG_SIZE = 64;
const WORDS_PER_GROUP = MXFP4_GROUP_BYTES / 4;

export interface Mxfp4DequantParams {
  readonly numRows: number; // R
  readonly numGroups: number; // G
  /** 'exact': integer-built f32 bits (the reference); 'lut': the decode path of the matmul kernels. */
  readonly decoder: 'exact' | 'lut';
}

/** out[r, :] = dequant(blocks[r], scales[r]).  blocks: u8 [R, G, 16]  scales: u8 [R, G]  out: f32 [R, G*32] (unchunked). */
export function encodeMxfp4Dequant(
  rec: Recorder,
  t: { readonly blocks: GpuTensor; readonly scales: GpuTensor; readonly out: GpuTensor },
  p: Mxfp4DequantParams,
): void {
  const { numRows: R, numGroups: G } = p;
  const want = (what: string, x: GpuTensor, dtype: string, shape: number[]): void => {
    if (x.dtype !== dtype || x.shape.join() !== shape.join()) {
      throw new ShapeError(`mxfp4_dequant: '${what}' expected ${dtype} [${shape.join(', ')}], got ${x.dtype} [${x.shape.join(', ')}]`);
    }
  };
  want('blocks', t.blocks, 'u8', [R, G, MXFP4_GROUP_BYTES]);
  want('scales', t.scales, 'u8', [R, G]);
  want('out', t.out, 'f32', [R, G * MXFP4_GROUP_SIZE]);
  const entry = p.decoder === 'exact' ? 'f32_mxfp4_dequant' : 'f32_mxfp4_dequant_lut';
  const kernel = rec.kernel({ file: MXFP4_DEQUANT_FILE, entry, overrides: { WG_SIZE: DEQUANT_WG_SIZE } });
  const numWords = R * G * WORDS_PER_GROUP;
  rec.dispatch(kernel, MXFP4_DEQUANT_ARGS.pack({ num_rows: R, num_groups: G }), [t.blocks.buffer, t.scales.buffer, t.out.buffer],
    foldWorkgroups(rec, 'mxfp4_dequant', Math.ceil(numWords / DEQUANT_WG_SIZE)), {
      bytes: R * G * (MXFP4_GROUP_BYTES + 1 + MXFP4_GROUP_SIZE * 4),
      flops: R * G * MXFP4_GROUP_SIZE,
    });
}
