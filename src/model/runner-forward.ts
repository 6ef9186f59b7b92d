// The forward pass as a list of kernel calls (spec §2), recorded for T tokens over the runner's
// scratch activations and KV cache. Split out of runner.ts, which owns the state (positions, cache
// policy, plans) and decides when to record and submit.

import type { Gpu } from '../gpu/device.js';
import type { Recorder } from '../gpu/recorder.js';
import { createTensor, type GpuTensor } from '../gpu/tensor.js';
import { argmaxPartialsWords } from '../kernels/argmax.js';
import { encodeKvWrite, encodeSdpa } from '../kernels/attention.js';
import { encodeEmbedding } from '../kernels/embedding.js';
import { encodeMatmul } from '../kernels/matmul.js';
import { encodeMoeDownAccumulate, encodeMoeGateUpSwiglu } from '../kernels/moe.js';
import { encodeRmsNorm } from '../kernels/rmsnorm.js';
import { encodeRope } from '../kernels/rope.js';
import { encodeRouterTopK } from '../kernels/topk.js';
import type { KvCache } from '../kvcache/kv-cache.js';
import type { ModelConfig } from './shapes.js';
import type { ModelWeights } from './weights.js';

/** SwiGLU's sigmoid slope in gpt-oss (hard-coded in every reference, not in config.json). */
export const SWIGLU_ALPHA = 1.702;

/** Which logits a forward pass produces. */
export type LogitsMode = 'none' | 'last' | 'all';

export interface Scratch {
  readonly x: GpuTensor; // f32 [B, C] residual stream
  readonly h: GpuTensor; // f32 [B, C] normed
  readonly qkv: GpuTensor; // f32 [B, (Hq + 2Hkv) Dh]
  readonly attn: GpuTensor; // f32 [B, Hq Dh]
  readonly routerLogits: GpuTensor; // f32 [B, E]
  readonly expertIds: GpuTensor; // u32 [B, K]
  readonly expertWeights: GpuTensor; // f32 [B, K]
  readonly moeHidden: GpuTensor; // f32 [B, K, I]
  readonly ids: GpuTensor; // u32 [B] token ids of the batch (a decode step reads and writes ids[0])
  readonly step: GpuTensor; // u32 [4]: pos0
  readonly rope: GpuTensor; // f32 [B, Dh] (cos, sin pairs)
  readonly logits: GpuTensor; // f32 [1, V]
  readonly argmaxPartials: GpuTensor; // u32 [argmaxPartialsWords(1, V)]: the greedy tail's split argmax
}

/** Scratch activations for batches of up to B tokens. */
export function createScratch(gpu: Gpu, cfg: ModelConfig, B: number): Scratch {
  const { hiddenSize: C, numHeads: Hq, numKvHeads: Hkv, headDim: Dh, numExperts: E, numExpertsPerToken: K, intermediateSize: I } = cfg;
  const f32 = (name: string, shape: number[]) => createTensor(gpu, name, 'f32', shape);
  return {
    x: f32('x', [B, C]),
    h: f32('h', [B, C]),
    qkv: f32('qkv', [B, (Hq + 2 * Hkv) * Dh]),
    attn: f32('attn', [B, Hq * Dh]),
    routerLogits: f32('router_logits', [B, E]),
    expertIds: createTensor(gpu, 'expert_ids', 'u32', [B, K]),
    expertWeights: f32('expert_weights', [B, K]),
    moeHidden: f32('moe_hidden', [B, K, I]),
    ids: createTensor(gpu, 'ids', 'u32', [B]),
    step: createTensor(gpu, 'step', 'u32', [4]),
    rope: f32('rope', [B, Dh]),
    logits: f32('logits', [1, cfg.vocabSize]),
    argmaxPartials: createTensor(gpu, 'argmax_partials', 'u32', [argmaxPartialsWords(1, cfg.vocabSize)]),
  };
}

export interface ForwardContext {
  readonly config: ModelConfig;
  readonly weights: ModelWeights;
  readonly scratch: Scratch;
  /** The runner's current cache (it is replaced when the cache policy changes). */
  readonly cache: () => KvCache;
  /** f32 [rows, V] for mode 'all' (rows >= T). */
  readonly allLogits: () => GpuTensor;
}

/**
 * Record the forward pass for `T` tokens (ids in scratch.ids, positions from the step buffer).
 * `maxKeys` only feeds the profiler's byte counts (attention's keys per query).
 */
export function recordForward(rec: Recorder, ctx: ForwardContext, T: number, mode: LogitsMode, maxKeys: number): void {
  const { config: cfg, scratch: s, weights: w } = ctx;
  const heads = { numTokens: T, numQHeads: cfg.numHeads, numKvHeads: cfg.numKvHeads, headDim: cfg.headDim };
  const moe = {
    numTokens: T,
    hiddenSize: cfg.hiddenSize,
    intermediateSize: cfg.intermediateSize,
    numExperts: cfg.numExperts,
    numExpertsPerToken: cfg.numExpertsPerToken,
  };
  const norm = { numTokens: T, numChannels: cfg.hiddenSize, epsilon: cfg.rmsNormEps };
  const smScale = 1 / Math.sqrt(cfg.headDim);
  encodeEmbedding(rec, { ids: s.ids.buffer, table: w.embedding, out: s.x }, { numTokens: T, idOffset: 0 });
  w.layers.forEach((lw, l) => {
    const kvCache = ctx.cache();
    const cache = kvCache.layers[l];
    const kv = { step: s.step.buffer, qkv: s.qkv, kcache: cache.k, vcache: cache.v };
    encodeRmsNorm(rec, { x: s.x, w: lw.attnNorm, y: s.h }, norm);
    encodeMatmul(rec, { x: s.h, w: lw.qkvWeight, b: lw.qkvBias, y: s.qkv }, { numTokens: T });
    encodeRope(rec, { rope: s.rope, qkv: s.qkv }, heads);
    encodeSdpa(rec, { ...kv, sinks: lw.sinks, out: s.attn, partials: kvCache.attnPartials }, { ...heads, smScale, maxKeys }, cache.geometry);
    encodeKvWrite(rec, kv, heads, cache.geometry);
    encodeMatmul(rec, { x: s.attn, w: lw.outWeight, b: lw.outBias, y: s.x }, { numTokens: T, accumulate: true });
    encodeRmsNorm(rec, { x: s.x, w: lw.mlpNorm, y: s.h }, norm);
    encodeMatmul(rec, { x: s.h, w: lw.routerWeight, b: lw.routerBias, y: s.routerLogits }, { numTokens: T });
    encodeRouterTopK(rec, { logits: s.routerLogits, ids: s.expertIds, weights: s.expertWeights }, { numTokens: T, numExperts: cfg.numExperts, numExpertsPerToken: cfg.numExpertsPerToken });
    encodeMoeGateUpSwiglu(
      rec,
      { h: s.h, ids: s.expertIds, blocks: lw.gateUpBlocks, scales: lw.gateUpScales, bias: lw.gateUpBias, out: s.moeHidden },
      { ...moe, swigluLimit: cfg.swigluLimit, swigluAlpha: SWIGLU_ALPHA },
    );
    encodeMoeDownAccumulate(
      rec,
      { s: s.moeHidden, ids: s.expertIds, weights: s.expertWeights, blocks: lw.downBlocks, scales: lw.downScales, bias: lw.downBias, x: s.x },
      moe,
    );
  });
  if (mode === 'none') return;
  encodeRmsNorm(rec, { x: s.x, w: w.finalNorm, y: s.h }, norm);
  if (mode === 'last') {
    encodeMatmul(rec, { x: s.h, w: w.lmHead, b: null, y: s.logits }, { numTokens: 1, xRowOffset: T - 1 });
  } else {
    encodeMatmul(rec, { x: s.h, w: w.lmHead, b: null, y: ctx.allLogits() }, { numTokens: T });
  }
}
