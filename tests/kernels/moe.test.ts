import { describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/device.js';
import { runOnce } from '../../src/gpu/recorder.js';
import type { GpuTensor } from '../../src/gpu/tensor.js';
import { encodeMoeDownAccumulate, encodeMoeGateUpSwiglu, type MoeTiling } from '../../src/kernels/moe.js';
import { expertSlices } from '../../src/kernels/mxfp4.js';
import { expectClose, expectExact } from '../helpers/close.js';
import { useGpu } from '../helpers/gpu.js';
import { normal, randBf16, randBytes, randF32, seeded, type Rng } from '../helpers/random.js';
import { bf16Tensor, f32Tensor, readF32, u32Tensor, u8Tensor } from '../helpers/tensors.js';
import { refMoeDownAccumulate, refMoeGateUpSwiglu, type RefMxfp4Experts } from '../reference/moe.js';
import { MXFP4_GROUP_BYTES, MXFP4_GROUP_SIZE } from '../reference/mxfp4.js';

const SEED = 9001;
const SWIGLU_LIMIT = 7.0; // gpt-oss swiglu_limit (spec §1)
const SWIGLU_ALPHA = 1.702; // hard-coded in gpt-oss (spec §2.5)
// Pre-activations are f32 dot products over C <= 2880 terms (per-group partial sums, scaled once per
// group, then a tree over lanes) plus a bias, |u| up to ~20: a few ulps of sum|w*h|. SwiGLU multiplies
// an error in gate by up to |up+1|*1.1 <= 9 and one in up by |swish| <= 7; outputs reach 56.
// Measured on lavapipe: max |diff| 2.7e-5 (about 7 ulp of 56).
const MOE_SWIGLU_TOL = { atol: 1e-4, rtol: 2e-6 };
// x + Σ_k w_k (dot over I <= 2880 terms + bias) with s up to 56, |x| up to ~500: a few ulps of
// sum|w*s| and of |x|. Measured on lavapipe: max |diff| 6.7e-5 at |x| ~ 500 (about 2 ulp).
const MOE_DOWN_TOL = { atol: 1e-4, rtol: 1e-6 };
// Chunked vs unchunked down projection: the same per-slot sums added to x in slice order instead of
// slot order: a few f32 roundings of |x| <= ~500.
const CHUNK_ORDER_TOL = { atol: 1e-5, rtol: 1e-6 };
// Typical FP4 magnitude (rms of the 16 codes is ~2.93); scales are picked so that dot products over
// `cols` inputs of unit-variance activations land around DOT_RMS, with a spread of ±SCALE_SPREAD
// octaves, so some gate values exceed the limit and some up values leave ±limit.
const FP4_RMS = 2.93;
const DOT_RMS = 3;
const SCALE_SPREAD = 2;
const E8M0_BIAS = 127;
const BIAS_STD = 4;

interface Case {
  readonly T: number;
  readonly C: number;
  readonly I: number;
  readonly E: number;
  readonly K: number;
}

interface Experts extends RefMxfp4Experts {
  readonly biasBits: Uint16Array;
}

/** Random MXFP4 experts [E, N, cols]; only `used` experts get data (the rest stay zero, as gpt-oss-sized tests need). */
function randExperts(rng: Rng, E: number, N: number, cols: number, used: Iterable<number>): Experts {
  const G = cols / MXFP4_GROUP_SIZE;
  const blocks = new Uint8Array(E * N * G * MXFP4_GROUP_BYTES);
  const scales = new Uint8Array(E * N * G);
  const bias = randBf16(rng, E * N, BIAS_STD);
  const center = E8M0_BIAS + Math.round(Math.log2(DOT_RMS / (FP4_RMS * Math.sqrt(cols))));
  for (const e of used) {
    blocks.set(randBytes(rng, N * G * MXFP4_GROUP_BYTES), e * N * G * MXFP4_GROUP_BYTES);
    for (let i = e * N * G; i < (e + 1) * N * G; i++) scales[i] = center - SCALE_SPREAD + Math.floor(rng() * (2 * SCALE_SPREAD + 1));
  }
  return { blocks, scales, bias: bias.values, biasBits: bias.bits };
}

/** K distinct experts per token, uniformly. */
function randIds(rng: Rng, T: number, E: number, K: number): number[] {
  const ids: number[] = [];
  for (let t = 0; t < T; t++) {
    const pool = Array.from({ length: E }, (_, e) => e);
    for (let k = 0; k < K; k++) ids.push(pool.splice(Math.floor(rng() * pool.length), 1)[0]);
  }
  return ids;
}

/** Positive routing weights summing to 1 per token, like a softmax output. */
function randWeights(rng: Rng, T: number, K: number): Float32Array {
  const w = new Float32Array(T * K);
  for (let t = 0; t < T; t++) {
    const raw = Array.from({ length: K }, () => Math.exp(normal(rng)));
    const sum = raw.reduce((a, b) => a + b, 0);
    raw.forEach((v, k) => (w[t * K + k] = v / sum));
  }
  return w;
}

/** Per-tensor chunk sizes in experts (blocks, scales, bias); undefined = one buffer. */
interface Chunking {
  readonly blocks?: number;
  readonly scales?: number;
  readonly bias?: number;
}

function uploadExperts(g: Gpu, name: string, x: Experts, E: number, N: number, cols: number, chunk: Chunking = {}) {
  const G = cols / MXFP4_GROUP_SIZE;
  const bytes = (experts: number | undefined, perExpert: number) => (experts === undefined ? undefined : experts * perExpert);
  return {
    blocks: u8Tensor(g, `${name}.blocks`, [E, N, G, MXFP4_GROUP_BYTES], x.blocks, bytes(chunk.blocks, N * G * MXFP4_GROUP_BYTES)),
    scales: u8Tensor(g, `${name}.scales`, [E, N, G], x.scales, bytes(chunk.scales, N * G)),
    bias: bf16Tensor(g, `${name}.bias`, [E, N], x.biasBits, bytes(chunk.bias, N * 2)),
  };
}

interface MoeData {
  readonly c: Case;
  readonly h: Float32Array;
  readonly x: Float32Array;
  readonly ids: number[];
  readonly weights: Float32Array;
  readonly gateUp: Experts;
  readonly down: Experts;
}

function makeData(seed: number, c: Case, ids?: number[]): MoeData {
  const rng = seeded(seed);
  const routed = ids ?? randIds(rng, c.T, c.E, c.K);
  const used = new Set(routed);
  return {
    c,
    h: randF32(rng, c.T * c.C),
    x: randF32(rng, c.T * c.C),
    ids: routed,
    weights: randWeights(rng, c.T, c.K),
    gateUp: randExperts(rng, c.E, 2 * c.I, c.C, used),
    down: randExperts(rng, c.E, c.C, c.I, used),
  };
}

interface RunOptions {
  readonly chunkGateUp?: Chunking;
  readonly chunkDown?: Chunking;
  readonly tiling?: { readonly gateUp: MoeTiling; readonly down: MoeTiling };
  /** Extra rows past T in the activation buffers (launchers take [≥T, …]). */
  readonly extraRows?: number;
}

/**
 * gate_up + SwiGLU, then down + accumulate into x, in one submission; returns both results and how
 * many expert slices (dispatches) each kernel needed.
 */
async function runMoe(g: Gpu, d: MoeData, opts: RunOptions = {}): Promise<{ s: Float32Array; x: Float32Array; slices: [number, number] }> {
  const { T, C, I, E, K } = d.c;
  const rows = T + (opts.extraRows ?? 0);
  const pad = (a: ArrayLike<number>, width: number) => [...Array.from(a), ...new Array((rows - T) * width).fill(0)];
  const tensors: GpuTensor[] = [];
  const keep = <X extends GpuTensor>(t: X): X => (tensors.push(t), t);
  const w1 = uploadExperts(g, 'gate_up', d.gateUp, E, 2 * I, C, opts.chunkGateUp);
  const w2 = uploadExperts(g, 'down', d.down, E, C, I, opts.chunkDown);
  const h = keep(f32Tensor(g, 'h', [rows, C], pad(d.h, C)));
  const ids = keep(u32Tensor(g, 'ids', [rows, K], pad(d.ids, K)));
  const weights = keep(f32Tensor(g, 'weights', [rows, K], pad(d.weights, K)));
  const s = keep(f32Tensor(g, 's', [rows, K, I]));
  const x = keep(f32Tensor(g, 'x', [rows, C], pad(d.x, C)));
  const p = { numTokens: T, hiddenSize: C, intermediateSize: I, numExperts: E, numExpertsPerToken: K };
  await runOnce(g, 'moe', (rec) => {
    encodeMoeGateUpSwiglu(rec, { h, ids, out: s, ...w1 }, { ...p, swigluLimit: SWIGLU_LIMIT, swigluAlpha: SWIGLU_ALPHA }, opts.tiling?.gateUp);
    encodeMoeDownAccumulate(rec, { s, ids, weights, x, ...w2 }, p, opts.tiling?.down);
  });
  const out = {
    s: (await readF32(g, s)).subarray(0, T * K * I),
    x: (await readF32(g, x)).subarray(0, T * C),
    slices: [expertSlices(w1).length, expertSlices(w2).length] as [number, number],
  };
  for (const t of [...tensors, ...Object.values(w1), ...Object.values(w2)]) t.destroy(g);
  return out;
}

/** Check both kernels against the float64 references; the down reference gets the GPU's s. */
function checkMoe(d: MoeData, got: { s: Float32Array; x: Float32Array }): void {
  const { T, C, I, E, K } = d.c;
  const p = { numTokens: T, hiddenSize: C, intermediateSize: I, numExperts: E, numExpertsPerToken: K };
  const ref = refMoeGateUpSwiglu(d.h, d.ids, d.gateUp, { ...p, swigluLimit: SWIGLU_LIMIT, swigluAlpha: SWIGLU_ALPHA });
  expect(ref.gateClamped, 'gate values above the limit (clamp exercised)').toBeGreaterThan(0);
  expect(ref.upClamped, 'up values outside ±limit (clamp exercised)').toBeGreaterThan(0);
  expectClose(got.s, ref.out, MOE_SWIGLU_TOL, (i) => {
    const slot = Math.floor(i / I);
    return `moe_swiglu: token ${Math.floor(slot / K)}, slot ${slot % K} (expert ${d.ids[slot]}), output ${i % I}`;
  });
  const refX = refMoeDownAccumulate(d.x, got.s, d.ids, d.weights, d.down, p);
  expectClose(got.x, refX, MOE_DOWN_TOL, (i) => `moe_down: token ${Math.floor(i / C)}, channel ${i % C}`);
}

describe('MoE kernels (f32_mxfp4w_moe_swiglu, f32_mxfp4w_moe_down_accumulate)', () => {
  const gpu = useGpu();

  it.each<[string, Case]>([
    ['single group (C = I = 32: 4 words per row, fewer than the lanes)', { T: 1, C: 32, I: 32, E: 8, K: 4 }],
    ['several groups, one partial pass over the lanes', { T: 2, C: 96, I: 64, E: 8, K: 2 }],
    ['more words than lanes, partial last pass (160 and 136 words per row)', { T: 3, C: 1280, I: 1088, E: 16, K: 4 }],
    ['many tokens, E = 32', { T: 9, C: 64, I: 96, E: 32, K: 4 }],
    ['K = 1', { T: 4, C: 64, I: 64, E: 16, K: 1 }],
  ])('%s', async (_name, c) => {
    const d = makeData(SEED + c.C + c.I + c.T, c);
    checkMoe(d, await runMoe(gpu(), d, { extraRows: 1 }));
  });

  it('partial row tiles (3 rows × 16 lanes per workgroup; I and C not multiples of 3)', async () => {
    const c = { T: 2, C: 64, I: 64, E: 8, K: 4 };
    const d = makeData(SEED + 1, c);
    const tile = { rowsPerWorkgroup: 3, lanes: 16 };
    checkMoe(d, await runMoe(gpu(), d, { tiling: { gateUp: tile, down: tile } }));
  });

  it('prefill T=512 (GEMV per token)', async () => {
    const c = { T: 512, C: 64, I: 64, E: 32, K: 4 };
    const d = makeData(SEED + 2, c);
    checkMoe(d, await runMoe(gpu(), d));
  });

  it('chunked expert tensors (blocks, scales, bias each chunked differently) equal unchunked', async () => {
    const c = { T: 6, C: 64, I: 96, E: 16, K: 4 };
    const d = makeData(SEED + 3, c);
    const g = gpu();
    const whole = await runMoe(g, d);
    // Chunk boundaries at multiples of 3, 5 and 7 experts: slices of 1..3 experts, some slots in each.
    const chunked = await runMoe(g, d, { chunkGateUp: { blocks: 3, scales: 5, bias: 7 }, chunkDown: { blocks: 7, scales: 3, bias: 5 } });
    // Boundaries {0,3,5,6,7,9,10,12,14,15} for both: 10 slices.
    expect(whole.slices).toEqual([1, 1]);
    expect(chunked.slices).toEqual([10, 10]);
    checkMoe(d, chunked);
    // Each SwiGLU output is computed by exactly one dispatch with the same arithmetic: bit-identical.
    expectExact(chunked.s, whole.s, (i) => `moe_swiglu: token ${Math.floor(i / (c.K * c.I))}, slot ${Math.floor(i / c.I) % c.K}, output ${i % c.I}`);
    expectClose(chunked.x, whole.x, CHUNK_ORDER_TOL, (i) => `moe_down: token ${Math.floor(i / c.C)}, channel ${i % c.C}`);
  });

  describe('gpt-oss width (C = I = 2880, E = 32, K = 4; real chunking where bindings are < 265 MB)', () => {
    const c = { T: 3, C: 2880, I: 2880, E: 32, K: 4 };
    // Experts on both sides of a 16-expert chunk boundary (lavapipe's 128 MiB binding holds 16 of the
    // 8.3 MB gate_up experts), shared between tokens; only these 9 experts get random data.
    const ids = [3, 17, 30, 8, 17, 3, 21, 0, 30, 31, 16, 15];
    let data: MoeData | null = null;
    const shared = () => (data ??= makeData(SEED + 4, c, ids));

    it.each([1, 3])('T=%i', async (T) => {
      const all = shared();
      const d: MoeData = { ...all, c: { ...c, T }, ids: all.ids.slice(0, T * c.K), h: all.h.subarray(0, T * c.C), x: all.x.subarray(0, T * c.C), weights: all.weights.subarray(0, T * c.K) };
      const got = await runMoe(gpu(), d);
      checkMoe(d, got);
      const gateUpBlockBytes = c.E * 2 * c.I * (c.C / MXFP4_GROUP_SIZE) * MXFP4_GROUP_BYTES;
      if (gpu().maxBindingBytes < gateUpBlockBytes) expect(got.slices[0], 'gate_up blocks split into chunks').toBeGreaterThan(1);
    });
  });
});
