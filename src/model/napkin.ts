// Napkin math: the bytes each kernel of the forward pass must move and the flops it must do, for T
// tokens after `depth` cached positions, from ModelConfig alone (spec §2, §3.2). "Must move" is the
// ideal: every weight byte the batch needs read once (MXFP4 experts at 4.25 bits per weight: 16
// bytes of nibbles + 1 scale byte per 32 weights; bf16 attention, router and output head), each
// visible K/V row read once per KV head (GQA sharing perfect), f32 activations read and written
// once. Bytes per token ÷ measured bandwidth is the decode roofline; each profile row is compared
// with its own line here (`wgh profile`), and bench/napkin.ts prints the table for 20b and 120b.
//
// Row keys follow the kernels of src/model/runner.ts (see napkinKeyOf): a launcher that changes
// what it dispatches should keep this file in step.

import type { ModelConfig } from './shapes.js';

export type NapkinKey =
  | 'embedding'
  | 'rmsnorm'
  | 'qkv'
  | 'rope'
  | 'sdpa_sliding'
  | 'sdpa_full'
  | 'kv_write'
  | 'out'
  | 'router'
  | 'topk'
  | 'moe_gate_up'
  | 'moe_down'
  | 'lm_head'
  | 'argmax';

export interface NapkinRow {
  readonly key: NapkinKey;
  /** Dispatches per forward (one per layer, 2 per layer, …). */
  readonly calls: number;
  readonly bytes: number;
  readonly flops: number;
  readonly what: string;
}

export interface NapkinOptions {
  /** T: tokens in the batch (1 for a decode step). */
  readonly numTokens: number;
  /** Positions already in the KV cache before this batch. */
  readonly depth: number;
  /** Bytes per K/V element in the cache (the engine's cache is f32: 4). */
  readonly kvBytesPerElement?: number;
  /** Which logits the pass produces: the last token's (decode, prefill's last chunk) or none. */
  readonly logits?: 'last' | 'none';
  /** Add the greedy argmax over the logits (the decode step does). */
  readonly argmax?: boolean;
}

export interface NapkinForward {
  readonly rows: readonly NapkinRow[];
  readonly bytes: number;
  readonly flops: number;
}

export const F32_BYTES = 4;
export const BF16_BYTES = 2;
export const U32_BYTES = 4;
/** MXFP4: 32 weights per group = 16 bytes of nibbles + 1 e8m0 scale byte (4.25 bits per weight). */
export const MXFP4_GROUP_WEIGHTS = 32;
export const MXFP4_GROUP_BYTES = 17;
const KV_F32_BYTES = 4;
/** Flops of one multiply-add. */
const FMA_FLOPS = 2;
/** Flops per (query, key, dim) in attention: q·k and p·v, one multiply-add each. */
const ATTENTION_FLOPS_PER_KEY_DIM = 4;
const ROPE_FLOPS_PER_PAIR = 6;
const RMSNORM_FLOPS_PER_CHANNEL = 4;
const SWIGLU_FLOPS_PER_OUTPUT = 8;

/** Bytes of an MXFP4 [rows, cols] matrix with a bf16 bias per row. */
export function mxfp4MatrixBytes(rows: number, cols: number): number {
  return rows * ((cols / MXFP4_GROUP_WEIGHTS) * MXFP4_GROUP_BYTES + BF16_BYTES);
}

/** Keys a sliding or full layer's queries t = 0..T-1 (positions depth + t) see, summed over t. */
function keysSeen(depth: number, numTokens: number, window: number): number {
  let sum = 0;
  for (let t = 0; t < numTokens; t++) sum += window > 0 ? Math.min(depth + t + 1, window) : depth + t + 1;
  return sum;
}

/** Distinct key positions the batch reads (the union over its queries), per KV head. */
function keysRead(depth: number, numTokens: number, window: number): number {
  return window > 0 ? Math.min(depth + numTokens, window - 1 + numTokens) : depth + numTokens;
}

/** Ideal bytes and flops of one forward pass (see the file comment), per kernel key. */
export function napkinForward(cfg: ModelConfig, opts: NapkinOptions): NapkinForward {
  const T = opts.numTokens;
  const { hiddenSize: C, intermediateSize: I, numHeads: Hq, numKvHeads: Hkv, headDim: Dh, numExperts: E, numExpertsPerToken: K, vocabSize: V } = cfg;
  const kvBytes = opts.kvBytesPerElement ?? KV_F32_BYTES;
  const logits = opts.logits ?? 'last';
  const L = cfg.numLayers;
  const qkvRows = (Hq + 2 * Hkv) * Dh;
  const numSliding = cfg.layerTypes.filter((t) => t === 'sliding_attention').length;
  const numFull = L - numSliding;
  const normBytes = T * C * F32_BYTES * 2 + C * BF16_BYTES;
  const numNorms = 2 * L + (logits === 'none' ? 0 : 1);
  const dense = (rows: number, cols: number, withBias: boolean) => rows * cols * BF16_BYTES + (withBias ? rows * BF16_BYTES : 0) + T * (rows + cols) * F32_BYTES;
  const expertsTouched = Math.min(T * K, E);
  const sdpa = (window: number, layers: number): { bytes: number; flops: number } => ({
    bytes: layers * (keysRead(opts.depth, T, window) * Hkv * Dh * 2 * kvBytes + T * Hq * Dh * 2 * F32_BYTES),
    flops: layers * keysSeen(opts.depth, T, window) * Hq * Dh * ATTENTION_FLOPS_PER_KEY_DIM,
  });
  const sliding = sdpa(cfg.slidingWindow, numSliding);
  const full = sdpa(0, numFull);
  const rows: NapkinRow[] = [
    { key: 'embedding', calls: 1, bytes: T * (C * BF16_BYTES + C * F32_BYTES + U32_BYTES), flops: 0, what: 'gather T bf16 rows of the [V, C] table' },
    { key: 'rmsnorm', calls: numNorms, bytes: numNorms * normBytes, flops: numNorms * T * C * RMSNORM_FLOPS_PER_CHANNEL, what: 'x f32 in/out + bf16 gain' },
    { key: 'qkv', calls: L, bytes: L * dense(qkvRows, C, true), flops: L * FMA_FLOPS * T * qkvRows * C, what: `bf16 [(Hq+2Hkv)Dh=${qkvRows}, C=${C}] + bias` },
    { key: 'rope', calls: L, bytes: L * T * ((Hq + Hkv) * Dh * 2 * F32_BYTES + Dh * F32_BYTES), flops: L * T * (Hq + Hkv) * (Dh / 2) * ROPE_FLOPS_PER_PAIR, what: 'q, k in place + cos/sin row' },
    { key: 'sdpa_sliding', calls: numSliding, bytes: sliding.bytes, flops: sliding.flops, what: `K/V of ≤ W=${cfg.slidingWindow} keys × Hkv, ${kvBytes}-byte elements` },
    { key: 'sdpa_full', calls: numFull, bytes: full.bytes, flops: full.flops, what: `K/V of depth+T keys × Hkv, ${kvBytes}-byte elements` },
    { key: 'kv_write', calls: L, bytes: L * T * Hkv * Dh * 2 * (F32_BYTES + kvBytes), flops: 0, what: 'new k, v rows into the cache' },
    { key: 'out', calls: L, bytes: L * dense(C, Hq * Dh, true) + L * T * C * F32_BYTES, flops: L * FMA_FLOPS * T * C * Hq * Dh, what: `bf16 [C, Hq·Dh=${Hq * Dh}] + bias, residual add` },
    { key: 'router', calls: L, bytes: L * dense(E, C, true), flops: L * FMA_FLOPS * T * E * C, what: `bf16 [E=${E}, C] + bias` },
    { key: 'topk', calls: L, bytes: L * T * (E * F32_BYTES + K * (U32_BYTES + F32_BYTES)), flops: 0, what: `top-${K} of E logits + softmax` },
    {
      key: 'moe_gate_up',
      calls: L,
      bytes: L * (expertsTouched * mxfp4MatrixBytes(2 * I, C) + T * C * F32_BYTES + T * K * I * F32_BYTES),
      flops: L * T * K * (FMA_FLOPS * 2 * I * C + SWIGLU_FLOPS_PER_OUTPUT * I),
      what: `min(T·K, E)=${expertsTouched} experts × MXFP4 [2I=${2 * I}, C] + bias`,
    },
    {
      key: 'moe_down',
      calls: L,
      bytes: L * (expertsTouched * mxfp4MatrixBytes(C, I) + T * K * I * F32_BYTES + 2 * T * C * F32_BYTES),
      flops: L * T * K * FMA_FLOPS * C * I,
      what: `${expertsTouched} experts × MXFP4 [C, I=${I}] + bias, weighted sum into x`,
    },
  ];
  if (logits === 'last') {
    rows.push({ key: 'lm_head', calls: 1, bytes: V * C * BF16_BYTES + (C + V) * F32_BYTES, flops: FMA_FLOPS * V * C, what: `bf16 [V=${V}, C] for the last token` });
  }
  if (opts.argmax) rows.push({ key: 'argmax', calls: 1, bytes: V * F32_BYTES + U32_BYTES, flops: 0, what: 'greedy id over V logits' });
  return { rows, bytes: rows.reduce((n, r) => n + r.bytes, 0), flops: rows.reduce((n, r) => n + r.flops, 0) };
}

/** One decode step at `depth`: one token, last logits, greedy argmax. */
export function napkinDecode(cfg: ModelConfig, depth: number, kvBytesPerElement?: number): NapkinForward {
  return napkinForward(cfg, { numTokens: 1, depth, kvBytesPerElement, logits: 'last', argmax: true });
}

/** A prefill of `numTokens` from position 0 in chunks of `chunkTokens` (weights re-read per chunk). */
export function napkinPrefill(cfg: ModelConfig, numTokens: number, chunkTokens: number, kvBytesPerElement?: number): NapkinForward {
  const byKey = new Map<NapkinKey, NapkinRow>();
  for (let start = 0; start < numTokens; start += chunkTokens) {
    const T = Math.min(chunkTokens, numTokens - start);
    const last = start + T === numTokens;
    for (const r of napkinForward(cfg, { numTokens: T, depth: start, kvBytesPerElement, logits: last ? 'last' : 'none' }).rows) {
      const prev = byKey.get(r.key);
      byKey.set(r.key, prev ? { ...prev, calls: prev.calls + r.calls, bytes: prev.bytes + r.bytes, flops: prev.flops + r.flops } : r);
    }
  }
  const rows = [...byKey.values()];
  return { rows, bytes: rows.reduce((n, r) => n + r.bytes, 0), flops: rows.reduce((n, r) => n + r.flops, 0) };
}

const KERNEL_KEYS: Readonly<Record<string, NapkinKey>> = {
  bf16_f32_embedding: 'embedding',
  f32_bf16w_rmsnorm: 'rmsnorm',
  f32_rope: 'rope',
  f32_kv_write: 'kv_write',
  f32_router_topk_softmax: 'topk',
  f32_mxfp4w_moe_swiglu: 'moe_gate_up',
  f32_mxfp4w_moe_down_accumulate: 'moe_down',
  f32_argmax: 'argmax',
  f32_argmax_partial: 'argmax',
  f32_argmax_final: 'argmax',
};
/** Attention entry points: prefill (sdpa.wgsl) and the two phases of split decode (sdpa_decode/combine). */
const SDPA_ENTRIES: ReadonlySet<string> = new Set(['f32_sdpa_sink', 'f32_sdpa_decode_split', 'f32_sdpa_combine']);
const MATMUL_KEYS: Readonly<Record<string, NapkinKey>> = { qkv: 'qkv', out: 'out', router: 'router', lm_head: 'lm_head' };

/**
 * The napkin row a profiled dispatch belongs to: kernel label (entry point, optionally "[overrides]")
 * and `what` (the weight name without its layer prefix for matmuls; 'sliding' | 'full' for sdpa as
 * `wgh profile` labels them). Null for kernels the napkin model does not cover.
 */
export function napkinKeyOf(kernelLabel: string, what: string): NapkinKey | null {
  const entry = kernelLabel.split('[')[0];
  if (entry === 'f32_bf16w_matmul') return MATMUL_KEYS[what] ?? null;
  if (SDPA_ENTRIES.has(entry)) return what === 'sliding' ? 'sdpa_sliding' : what === 'full' ? 'sdpa_full' : null;
  return KERNEL_KEYS[entry] ?? null;
}
