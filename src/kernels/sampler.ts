// Launcher for shaders/sample.wgsl (passes 1-3) and shaders/sample-select.wgsl (pass 4): the token
// sampler, four dispatches per decode step (both include sample-common.wgsl: one bind group layout).
//
// Conventions (tests/reference/sampler.ts is the float64 twin of all of this):
//  - Order of operations (llama.cpp's chain for the penalties, HF transformers' warper order after):
//      logit bias -> repetition penalty -> presence/frequency penalties -> mask -> temperature
//      -> top-k -> top-p -> min-p -> renormalise -> draw.
//    z = logit + bias[id]; if the id occurs in the penalty window (count c > 0):
//      z = z > 0 ? z / rep : z * rep   (HF RepetitionPenaltyLogitsProcessor; on the GPU z * fround(1/rep))
//      z = z - c * frequency - presence (OpenAI's definition).
//    Ids in [maskFrom, maskTo) and ids with bias -Infinity are banned (never chosen, logprob -inf).
//  - Total order: z descending, then id ascending. Greedy (temperature 0 or topK 1) returns the first
//    id in it, exactly (ties -> lowest id).
//  - e = exp((z - max z) / T). top-k keeps the first k of the order (exactly k; ties by id).
//    top-p keeps the shortest prefix of the order whose mass reaches topP * (mass of the top-k set,
//    or of all V) when that prefix lies in the pool's exact prefix (below); min-p keeps e >= minP
//    (p >= minP * p_max); the first token always survives.
//  - Wide nucleus (top-p without top-k, the prefix longer than the pool's exact prefix P: the
//    tokens of the whole histogram bins that fit in POOL_CAPACITY, see pass 3): top-p keeps every
//    token with z >= t, t the largest z such that the mass of {z >= t} reaches topP * Z (ties at t
//    all kept; without ties the same set as the prefix), found on the GPU by a radix select on the
//    z bits (sample-wide.wgsl; only when needed: no read-back, nothing extra on the fast path).
//  - The draw: u = Philox4x32-10(counter = (step, 0, 0, 0), key = seed) >> 8 as 24 bits, target
//    u * (kept mass), the first token whose inclusive cumulative mass exceeds it, walking the
//    sorted pool when top-k or top-p is on (the nucleus fits) and ascending ids over all V when not
//    (all exact in distribution; the walk order only decides which token a given u maps to).
//  - Logprobs are log-softmax of z over all V at temperature 1: after penalties, bias and mask,
//    before temperature and truncation (vLLM's "processed" logprobs at T = 1; they do not depend on
//    the sampling temperature, so greedy runs report them too). Top-N are the first N of the order.
//  - step counts the tokens sampled since begin(); it is the RNG counter and the history index
//    (history[step % N]). The GPU increments it, so queued steps need no CPU writes.
//
// Wiring (src/generate's decode loop):
//   const sampler = createSampler(gpu, { vocabSize: V, maskRange: { from: 200019, to: V }, historyWindow: 1024 });
//   decode plan: ...forward..., lm_head -> logits [1, V], then encodeSample(rec, sampler, logits, { ids, idsOffset: 0 })
//   (the next step's embedding reads ids[0]); after prefill, a one-off plan with encodeSample on the
//   last prompt row gives step 0. Per generation: sampler.begin(params, promptTokens) (penalty window
//   = the last penaltyWindow prompt tokens; the GPU appends every sampled id itself). Queue K steps,
//   then sampler.readHistory(firstStep, K) (and readLogprobs / readStatus) once: K <= historyWindow.
//
// Limits (documented deviations, flagged per step in the status words):
//  - The pool (top-k / top-p candidates) holds at most POOL_CAPACITY = 2040 tokens; topK <= 1024.
//    top-p alone is exact at any nucleus size: a nucleus wider than the pool's exact prefix takes
//    the wide path (flag RESULT_NUCLEUS_WIDE, informational: 9 extra one-workgroup streams of z);
//    min-p and pure temperature sampling are exact at any size.
//  - If more than ~1000 tokens fall within 1/32 nat of the top-k boundary (near-ties), the boundary
//    bin is filled by lowest id (RESULT_BOUNDARY_OVERFLOW): exact for exact ties.

import { ConfigError, ShapeError } from '../errors.js';
import type { Recorder } from '../gpu/recorder.js';
import type { GpuTensor } from '../gpu/tensor.js';
import { uniformLayout } from '../gpu/uniforms.js';
import type { SamplerState } from './sampler-state.js';

export const SAMPLE_FILE = 'sample.wgsl';
export const SAMPLE_SELECT_FILE = 'sample-select.wgsl';
/** Where `struct Args` and `struct Params` are declared (included by both files above). */
export const SAMPLE_COMMON_FILE = 'sample-common.wgsl';

export const SAMPLE_ARGS = uniformLayout({
  vocab_size: 'u32',
  num_chunks: 'u32',
  logits_offset: 'u32',
  ids_offset: 'u32',
  ring_size: 'u32',
  max_top_logprobs: 'u32',
  mask_from: 'u32',
  mask_to: 'u32',
  debug: 'u32',
  off_plan: 'u32',
  off_hist: 'u32',
  off_region_counts: 'u32',
  off_regions: 'u32',
  off_debug: 'u32',
});

export const SAMPLE_PARAMS = uniformLayout({
  mode: 'u32',
  pool_need: 'u32',
  flags: 'u32',
  top_k: 'u32',
  inv_temperature: 'f32',
  top_p: 'f32',
  min_p: 'f32',
  repetition_penalty: 'f32',
  inv_repetition_penalty: 'f32',
  presence_penalty: 'f32',
  frequency_penalty: 'f32',
  penalty_window: 'u32',
  seed_lo: 'u32',
  seed_hi: 'u32',
  top_logprobs: 'u32',
});

/** The shaders' `const` shape parameters (checked against the WGSL in tests/kernels/sampler.test.ts). */
export const SAMPLE_CONSTS = {
  WG_SIZE: 256,
  ITEMS: 16,
  CHUNK: 4096,
  NUM_BINS: 2048,
  BINS_PER_THREAD: 8,
  CAND: 2040,
  SORT_ITEMS: 8,
  EDGE_TABLE: 260,
  COUNT_TABLE: 520,
  DEBUG_HEADER: 16,
  PARTIAL_WORDS: 4,
} as const;

/** Largest pool (top-k / top-p candidates) the select pass sorts. */
export const POOL_CAPACITY = SAMPLE_CONSTS.CAND;
/** Largest topK: half the pool, leaving room for the near-ties of the boundary histogram bin. */
export const MAX_TOP_K = 1024;
/** The select pass reduces one value per workgroup of the V-wide passes: V <= 256 * 4096. */
export const MAX_VOCAB = SAMPLE_CONSTS.WG_SIZE * SAMPLE_CONSTS.CHUNK;

export const SAMPLE_MODE = { greedy: 0, full: 1, pool: 2 } as const;
const FLAG_PENALTIES = 1;
const FLAG_BIAS = 2;
const FLAG_LOGPROBS = 4;

/** Per-step result flags (status words and debug record). */
export const SAMPLE_RESULT = {
  boundaryOverflow: 1,
  /** Not a deviation: top-p's nucleus was wider than the pool, drawn exactly over all V. */
  nucleusWide: 2,
  noValidToken: 4,
  poolCapped: 8,
} as const;

/** Resolved sampling parameters (src/generate/sampling-params.ts validates and fills defaults). */
export interface SamplerParams {
  /** 0 = greedy. */
  readonly temperature: number;
  /** 0 = off; 1 = greedy; at most MAX_TOP_K. */
  readonly topK: number;
  /** (0, 1]; 1 = off. */
  readonly topP: number;
  /** [0, 1]; 0 = off. */
  readonly minP: number;
  /** > 0; 1 = off. */
  readonly repetitionPenalty: number;
  readonly presencePenalty: number;
  readonly frequencyPenalty: number;
  /** Number of most recent tokens (prompt + generated) the three penalties look at; 0 = off. */
  readonly penaltyWindow: number;
  /** id -> additive bias; -Infinity bans the id. */
  readonly logitBias: ReadonlyMap<number, number>;
  /** Integer in [0, 2^53). */
  readonly seed: number;
  /** Report the chosen token's logprob. */
  readonly logprobs: boolean;
  /** Also report the N most likely tokens (requires logprobs). */
  readonly topLogprobs: number;
}

export type SampleParamsValues = Parameters<typeof SAMPLE_PARAMS.pack>[0];

/** The uniform values for `p` (how the host turns parameters into the shader's mode and pool size). */
export function sampleParamsValues(p: SamplerParams, vocabSize: number): SampleParamsValues {
  const greedy = p.temperature === 0 || p.topK === 1;
  const topK = p.topK >= vocabSize ? 0 : p.topK;
  const usePool = !greedy && (topK > 0 || p.topP < 1);
  const numTop = p.logprobs ? p.topLogprobs : 0;
  const penalties = p.penaltyWindow > 0 && (p.repetitionPenalty !== 1 || p.presencePenalty !== 0 || p.frequencyPenalty !== 0);
  return {
    mode: greedy ? SAMPLE_MODE.greedy : usePool ? SAMPLE_MODE.pool : SAMPLE_MODE.full,
    pool_need: usePool ? Math.max(topK, 1, numTop) : numTop,
    flags: (penalties ? FLAG_PENALTIES : 0) | (p.logitBias.size > 0 ? FLAG_BIAS : 0) | (p.logprobs ? FLAG_LOGPROBS : 0),
    top_k: greedy ? 0 : topK,
    inv_temperature: greedy ? 0 : Math.fround(1 / p.temperature),
    top_p: p.topP,
    min_p: p.minP,
    repetition_penalty: p.repetitionPenalty,
    inv_repetition_penalty: Math.fround(1 / p.repetitionPenalty),
    presence_penalty: p.presencePenalty,
    frequency_penalty: p.frequencyPenalty,
    penalty_window: p.penaltyWindow,
    seed_lo: p.seed % 2 ** 32,
    seed_hi: Math.floor(p.seed / 2 ** 32),
    top_logprobs: numTop,
  };
}

/** Checks that depend on the sampler's capacities (the static ranges are in sampling-params.ts). */
export function checkSamplerParams(p: SamplerParams, s: { vocabSize: number; maxTopLogprobs: number; historyWindow: number }): void {
  const fail = (name: string, msg: string): never => {
    throw new ConfigError(`sampler: '${name}' ${msg}`);
  };
  if (p.topK > MAX_TOP_K) fail('topK', `must be at most ${MAX_TOP_K} (the GPU sampler's sorted pool), got ${p.topK}`);
  if (p.logprobs && p.topLogprobs > s.maxTopLogprobs) {
    fail('topLogprobs', `must be at most ${s.maxTopLogprobs} (createSampler's maxTopLogprobs), got ${p.topLogprobs}`);
  }
  if (p.penaltyWindow > s.historyWindow) {
    fail('penaltyWindow', `must be at most ${s.historyWindow} (createSampler's historyWindow), got ${p.penaltyWindow}`);
  }
  for (const id of p.logitBias.keys()) {
    if (!Number.isInteger(id) || id < 0 || id >= s.vocabSize) fail('logitBias', `has token id ${id} outside [0, V=${s.vocabSize})`);
  }
}

export interface SampleOutput {
  /** u32 buffer the next decode step's embedding reads; the chosen id goes to element idsOffset. */
  readonly ids: GpuTensor;
  readonly idsOffset: number;
}

/**
 * Record one sampling step: logits (f32 [V] or [T, V], row `logitsRow`) -> one id in out.ids,
 * history[step % N], logprobs when asked; updates the penalty window and step on the GPU.
 */
export function encodeSample(rec: Recorder, s: SamplerState, logits: GpuTensor, out: SampleOutput, logitsRow = 0): void {
  const V = s.vocabSize;
  const rows = logits.shape.length === 1 ? 1 : logits.shape[0];
  const okLogits = logits.dtype === 'f32' && logits.shape[logits.shape.length - 1] === V && logits.shape.length <= 2;
  if (!okLogits) throw new ShapeError(`sample: 'logits' expected f32 [V=${V}] or [T, V=${V}], got ${logits.dtype} [${logits.shape.join(', ')}]`);
  if (!Number.isInteger(logitsRow) || logitsRow < 0 || logitsRow >= rows) {
    throw new ShapeError(`sample: logits row ${logitsRow} outside [0, T=${rows})`);
  }
  if (out.ids.dtype !== 'u32' || !Number.isInteger(out.idsOffset) || out.idsOffset < 0 || out.idsOffset >= out.ids.numElements) {
    throw new ShapeError(`sample: 'ids' expected u32 with element ${out.idsOffset}, got ${out.ids.dtype} [${out.ids.shape.join(', ')}]`);
  }
  const args = SAMPLE_ARGS.pack({
    vocab_size: V,
    num_chunks: s.numChunks,
    logits_offset: logitsRow * V,
    ids_offset: out.idsOffset,
    ring_size: s.historyWindow,
    max_top_logprobs: s.maxTopLogprobs,
    mask_from: s.maskRange.from,
    mask_to: s.maskRange.to,
    debug: s.debug ? 1 : 0,
    off_plan: s.layout.offPlan,
    off_hist: s.layout.offHist,
    off_region_counts: s.layout.offRegionCounts,
    off_regions: s.layout.offRegions,
    off_debug: s.layout.offDebug,
  });
  const buffers = [s.params, logits.buffer, s.bias.buffer, s.counts.buffer, s.scores.buffer, s.work, s.state, s.rings, out.ids.buffer];
  const grid = [s.numChunks] as const;
  // Napkin math per step at V = 201088: pass 1 reads logits (+ bias, counts when on) and writes z:
  // 1.6-3.2 MB; passes 2 and 3 read z: 0.8 MB each; pass 4 touches <= 2 x 2040 ids and one chunk.
  rec.dispatch(rec.kernel({ file: SAMPLE_FILE, entry: 'f32_sample_scores' }), args, buffers, grid, { bytes: V * 16 });
  rec.dispatch(rec.kernel({ file: SAMPLE_FILE, entry: 'f32_sample_mass' }), args, buffers, grid, { bytes: V * 4, flops: V * 8 });
  rec.dispatch(rec.kernel({ file: SAMPLE_FILE, entry: 'f32_sample_compact' }), args, buffers, grid, { bytes: V * 8 });
  rec.dispatch(rec.kernel({ file: SAMPLE_SELECT_FILE, entry: 'f32_sample_select' }), args, buffers, [1], { bytes: 16 * POOL_CAPACITY + 4 * SAMPLE_CONSTS.CHUNK });
}
