// Launchers for the mixture-of-experts kernels (spec §2.5):
//   shaders/moe_swiglu.wgsl  out[t,k,:] = SwiGLU(W1[e] h[t] + b1[e])                      e = ids[t,k]
//   shaders/moe_down.wgsl    x[t,:]   += Σ_k weights[t,k] * (W2[e] out[t,k,:] + b2[e])
// Expert tensors (MXFP4 blocks/scales, bf16 bias) may be chunked along E (GpuTensor.chunks): each
// launcher dispatches once per expert slice (see expertSlices) with the slice's range in the uniforms.
import { ShapeError } from '../errors.js';
import type { Recorder } from '../gpu/recorder.js';
import type { GpuTensor } from '../gpu/tensor.js';
import { uniformLayout } from '../gpu/uniforms.js';
import { MXFP4_GROUP_BYTES, MXFP4_GROUP_SIZE, expectMxfp4Experts, expertSlices, type ExpertSlice, type Mxfp4Experts } from './mxfp4.js';
import { expectTokenRows, foldWorkgroups } from './checks.js';

export const MOE_SWIGLU_FILE = 'moe_swiglu.wgsl';
export const MOE_DOWN_FILE = 'moe_down.wgsl';
const EXPERT_SLICE_FIELDS = {
  num_tokens: 'u32',
  hidden_size: 'u32',
  intermediate_size: 'u32',
  num_experts_per_token: 'u32',
  expert_start: 'u32',
  expert_end: 'u32',
  blocks_expert_base: 'u32',
  scales_expert_base: 'u32',
  bias_expert_base: 'u32',
  num_row_tiles: 'u32',
} as const;
export const MOE_SWIGLU_ARGS = uniformLayout({ ...EXPERT_SLICE_FIELDS, swiglu_limit: 'f32', swiglu_alpha: 'f32' });
export const MOE_DOWN_ARGS = uniformLayout(EXPERT_SLICE_FIELDS);

/** Work split of one workgroup: output rows per workgroup × invocations per row (the reduction). */
export interface MoeTiling {
  readonly rowsPerWorkgroup: number;
  /** Power of two; the row's groups are strided over these invocations, then tree-reduced. */
  readonly lanes: number;
}
/**
 * Defaults picked on an H100 through Dawn/Vulkan (2026-11-22, gpt-oss-20b decode shapes T=1, wall
 * clock over 200 dependent dispatches, ~7 µs of which is the dispatch floor): gate_up 8 outputs × 32
 * lanes 38-42 µs (0.85-0.93 TB/s of weights), down 2 channels × 64 lanes 29-37 µs; the other tilings
 * tried were within run-to-run noise (±15%) or up to 35% slower.
 * 8 outputs (16 rows: gate+up) × 32 lanes = 256 invocations; T=1 gives I/8 * K = 1440 workgroups at gpt-oss size.
 */
export const MOE_SWIGLU_TILING: MoeTiling = { rowsPerWorkgroup: 8, lanes: 32 };
/** 2 channels × 64 lanes = 128 invocations; T=1 gives C/2 = 1440 workgroups, each walking all K slots. */
export const MOE_DOWN_TILING: MoeTiling = { rowsPerWorkgroup: 2, lanes: 64 };
/** Portable workgroup limit (DESIGN.md) and the FP4 table's 16 entries, written by the first 16 invocations. */
const MAX_WORKGROUP_SIZE = 256;
const MIN_WORKGROUP_SIZE = 16;
const BF16_BYTES = 2;
const F32_BYTES = 4;
const GATE_UP_ROWS_PER_OUTPUT = 2; // rows 2i (gate) and 2i+1 (up)

export interface MoeGateUpParams {
  readonly numTokens: number; // T
  readonly hiddenSize: number; // C
  readonly intermediateSize: number; // I
  readonly numExperts: number; // E
  readonly numExpertsPerToken: number; // K
  readonly swigluLimit: number; // 7.0 in gpt-oss
  readonly swigluAlpha: number; // 1.702 in gpt-oss
}

export type MoeDownParams = Omit<MoeGateUpParams, 'swigluLimit' | 'swigluAlpha'>;

/**
 * out[t,k,i] = gate·sigmoid(alpha·gate)·(up + 1) with gate = min(u[2i], limit), up = clamp(u[2i+1], ±limit),
 * u = W1[e] h[t] + b1[e], e = ids[t,k], for t < T.
 * h: f32 [≥T, C]   ids: u32 [≥T, K] (values < E)   out: f32 [≥T, K, I]
 * blocks: u8 [E, 2I, C/32, 16]   scales: u8 [E, 2I, C/32]   bias: bf16 [E, 2I]   (each may be chunked along E)
 */
export function encodeMoeGateUpSwiglu(
  rec: Recorder,
  t: { readonly h: GpuTensor; readonly ids: GpuTensor; readonly out: GpuTensor } & Mxfp4Experts,
  p: MoeGateUpParams,
  tiling: MoeTiling = MOE_SWIGLU_TILING,
): void {
  const who = 'moe_swiglu';
  const { numTokens: T, hiddenSize: C, intermediateSize: I, numExperts: E, numExpertsPerToken: K } = p;
  checkCounts(who, p);
  expectMxfp4Experts(who, '', t, { numExperts: E, rowsName: '2I', numRows: GATE_UP_ROWS_PER_OUTPUT * I, colsName: 'C', numCols: C });
  expectTokenRows(who, 'h', t.h, 'f32', T, { C });
  expectTokenRows(who, 'ids', t.ids, 'u32', T, { K });
  expectTokenRows(who, 'out', t.out, 'f32', T, { K, I });
  const kernel = rec.kernel({ file: MOE_SWIGLU_FILE, entry: 'f32_mxfp4w_moe_swiglu', overrides: tilingOverrides(who, tiling, 'OUTS_PER_WG') });
  const numRowTiles = Math.ceil(I / tiling.rowsPerWorkgroup);
  const grid = foldWorkgroups(rec, who, numRowTiles * T * K);
  const rows = GATE_UP_ROWS_PER_OUTPUT * I;
  for (const slice of expertSlices(t)) {
    const args = MOE_SWIGLU_ARGS.pack({
      ...sliceArgs(p, slice, numRowTiles),
      swiglu_limit: p.swigluLimit,
      swiglu_alpha: p.swigluAlpha,
    });
    const share = (slice.expertEnd - slice.expertStart) / E;
    rec.dispatch(kernel, args, [t.h.buffer, t.ids.buffer, slice.blocks, slice.scales, slice.bias, t.out.buffer], grid, {
      bytes: expertBytes(T, K, E, share, rows, C) + T * C * F32_BYTES + share * T * K * I * F32_BYTES,
      flops: share * T * K * 2 * rows * C,
      tag: sliceTag(slice, E),
    });
  }
}

/**
 * x[t,c] += Σ_k weights[t,k] · ((W2[e] s[t,k])[c] + b2[e][c]), e = ids[t,k], for t < T.
 * s: f32 [≥T, K, I]   ids: u32 [≥T, K] (values < E)   weights: f32 [≥T, K]   x: f32 [≥T, C], updated in place
 * blocks: u8 [E, C, I/32, 16]   scales: u8 [E, C, I/32]   bias: bf16 [E, C]   (each may be chunked along E)
 */
export function encodeMoeDownAccumulate(
  rec: Recorder,
  t: { readonly s: GpuTensor; readonly ids: GpuTensor; readonly weights: GpuTensor; readonly x: GpuTensor } & Mxfp4Experts,
  p: MoeDownParams,
  tiling: MoeTiling = MOE_DOWN_TILING,
): void {
  const who = 'moe_down';
  const { numTokens: T, hiddenSize: C, intermediateSize: I, numExperts: E, numExpertsPerToken: K } = p;
  checkCounts(who, p);
  expectMxfp4Experts(who, '', t, { numExperts: E, rowsName: 'C', numRows: C, colsName: 'I', numCols: I });
  expectTokenRows(who, 's', t.s, 'f32', T, { K, I });
  expectTokenRows(who, 'ids', t.ids, 'u32', T, { K });
  expectTokenRows(who, 'weights', t.weights, 'f32', T, { K });
  expectTokenRows(who, 'x', t.x, 'f32', T, { C });
  const kernel = rec.kernel({ file: MOE_DOWN_FILE, entry: 'f32_mxfp4w_moe_down_accumulate', overrides: tilingOverrides(who, tiling, 'ROWS_PER_WG') });
  const numRowTiles = Math.ceil(C / tiling.rowsPerWorkgroup);
  const grid = foldWorkgroups(rec, who, numRowTiles * T);
  for (const slice of expertSlices(t)) {
    const share = (slice.expertEnd - slice.expertStart) / E;
    rec.dispatch(kernel, MOE_DOWN_ARGS.pack(sliceArgs(p, slice, numRowTiles)),
      [t.s.buffer, t.ids.buffer, t.weights.buffer, slice.blocks, slice.scales, slice.bias, t.x.buffer], grid, {
        bytes: expertBytes(T, K, E, share, C, I) + share * T * K * I * F32_BYTES + 2 * T * C * F32_BYTES,
        flops: share * T * K * 2 * C * I,
        tag: sliceTag(slice, E),
      });
  }
}

function checkCounts(who: string, p: MoeDownParams): void {
  const { numTokens: T, hiddenSize: C, intermediateSize: I, numExperts: E, numExpertsPerToken: K } = p;
  const counts = { T, C, I, E, K };
  for (const [name, v] of Object.entries(counts)) {
    if (!Number.isInteger(v) || v < 0) throw new ShapeError(`${who}: ${name}=${v} is not a count`);
  }
  if (K < 1 || K > E) throw new ShapeError(`${who}: K=${K} experts per token must be in 1..E=${E}`);
  // Activations are read as vec4 per MXFP4 group: C and I must hold whole groups.
  if (C % MXFP4_GROUP_SIZE !== 0 || I % MXFP4_GROUP_SIZE !== 0) {
    throw new ShapeError(`${who}: C=${C} and I=${I} must be multiples of the MXFP4 group size ${MXFP4_GROUP_SIZE}`);
  }
}

function tilingOverrides(who: string, tiling: MoeTiling, rowsOverride: string): Record<string, number> {
  const { rowsPerWorkgroup: rows, lanes } = tiling;
  const size = rows * lanes;
  const powerOfTwo = Number.isInteger(lanes) && lanes >= 1 && (lanes & (lanes - 1)) === 0;
  if (!powerOfTwo || !Number.isInteger(rows) || rows < 1 || size < MIN_WORKGROUP_SIZE || size > MAX_WORKGROUP_SIZE) {
    throw new ShapeError(`${who}: tiling ${rows} rows × ${lanes} lanes needs lanes a power of two and ${MIN_WORKGROUP_SIZE}..${MAX_WORKGROUP_SIZE} invocations`);
  }
  return { [rowsOverride]: rows, LANES: lanes };
}

function sliceArgs(p: MoeDownParams, slice: ExpertSlice, numRowTiles: number) {
  return {
    num_tokens: p.numTokens,
    hidden_size: p.hiddenSize,
    intermediate_size: p.intermediateSize,
    num_experts_per_token: p.numExpertsPerToken,
    expert_start: slice.expertStart,
    expert_end: slice.expertEnd,
    blocks_expert_base: slice.blocks.rowStart,
    scales_expert_base: slice.scales.rowStart,
    bias_expert_base: slice.bias.rowStart,
    num_row_tiles: numRowTiles,
  };
}

/**
 * Napkin weight traffic of one slice: the experts its share of the T*K slots touches (at most the
 * slice's experts), each [rows, cols] matrix read once (re-reads by other tokens assumed to hit L2).
 */
function expertBytes(T: number, K: number, E: number, share: number, rows: number, cols: number): number {
  const touched = Math.min(T * K, E) * share;
  return touched * rows * ((cols / MXFP4_GROUP_SIZE) * (MXFP4_GROUP_BYTES + 1) + BF16_BYTES);
}

function sliceTag(slice: ExpertSlice, E: number): string {
  return slice.expertStart === 0 && slice.expertEnd === E ? '' : `experts ${slice.expertStart}..${slice.expertEnd - 1}`;
}
