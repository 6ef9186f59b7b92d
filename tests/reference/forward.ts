// float64 gpt-oss forward pass over a checkpoint's dequantised weights (spec §2; the plain-TS twin of
// ../shared/spec/gpt_oss_reference.py), whole sequence at once, no KV cache. Which keys a query sees
// is a parameter, so the same pass is the reference for a plain cache, sliding windows, and the
// rotating cache (the first `keep` positions plus the most recent ones).
// It is built from the per-kernel references beside it and fed what the GPU is fed: the bf16 weights
// as exact values, MXFP4 experts dequantised exactly, the f32 rope tables of src/model/rope.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readModelConfig } from '../../src/model/config.js';
import { fillRopeTable, yarnConcentration, yarnInvFreq } from '../../src/model/rope.js';
import { SWIGLU_ALPHA } from '../../src/model/runner.js';
import type { ModelConfig } from '../../src/model/shapes.js';
import { refAttention } from './attention.js';
import { refMatmul, refRope } from './dense.js';
import { refMoeDownAccumulate, refMoeGateUpSwiglu, type RefMxfp4Experts } from './moe.js';
import { refRmsNorm } from './rmsnorm.js';
import { refRouterTopK } from './topk.js';

/** Which key positions the query at `queryPos` sees in layer `layerIdx` (keyPos <= queryPos). */
export type Visibility = (layerIdx: number, keyPos: number, queryPos: number) => boolean;

export interface RefModel {
  readonly config: ModelConfig;
  /** bf16 / f32 tensors as float64 values, U8 tensors as bytes. */
  readonly tensors: ReadonlyMap<string, Float64Array | Uint8Array>;
}

/** Reads config.json and a single model.safetensors (the oracle fixture's layout). */
export async function loadRefModel(dir: string): Promise<RefModel> {
  const config = await readModelConfig(dir);
  const bytes = readFileSync(join(dir, 'model.safetensors'));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = Number(view.getBigUint64(0, true));
  const header = JSON.parse(bytes.subarray(8, 8 + headerBytes).toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  const base = 8 + headerBytes;
  const tensors = new Map<string, Float64Array | Uint8Array>();
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [from, to] = entry.data_offsets;
    const raw = bytes.subarray(base + from, base + to);
    if (entry.dtype === 'U8') {
      tensors.set(name, new Uint8Array(raw));
    } else if (entry.dtype === 'BF16') {
      const out = new Float64Array(raw.length / 2);
      for (let idx = 0; idx < out.length; idx++) {
        u32[0] = (raw[2 * idx] | (raw[2 * idx + 1] << 8)) << 16;
        out[idx] = f32[0];
      }
      tensors.set(name, out);
    } else if (entry.dtype === 'F32') {
      tensors.set(name, Float64Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))));
    } else {
      throw new Error(`loadRefModel: tensor '${name}' has dtype ${entry.dtype}`);
    }
  }
  return { config, tensors };
}

/** Full layers see every earlier key; sliding layers the last W (the current token included). */
export function causalVisibility(cfg: ModelConfig): Visibility {
  return (l, j, p) => cfg.layerTypes[l] !== 'sliding_attention' || j > p - cfg.slidingWindow;
}

/** The rotating cache: full layers see the first `keep` keys and the last maxKvSize - keep. */
export function rotatingVisibility(cfg: ModelConfig, maxKvSize: number, keep: number): Visibility {
  const sliding = causalVisibility(cfg);
  return (l, j, p) => (cfg.layerTypes[l] === 'sliding_attention' ? sliding(l, j, p) : j < keep || j > p - (maxKvSize - keep));
}

/** Logits f64 [T, V] of `ids` at positions 0 .. T-1. */
export function refForward(model: RefModel, ids: readonly number[], visible: Visibility): Float64Array {
  const cfg = model.config;
  const { hiddenSize: C, numHeads: Hq, numKvHeads: Hkv, headDim: Dh, numExperts: E, numExpertsPerToken: K, intermediateSize: I, vocabSize: V } = cfg;
  const T = ids.length;
  const f64 = (name: string): Float64Array => {
    const t = model.tensors.get(name);
    if (!(t instanceof Float64Array)) throw new Error(`refForward: tensor '${name}' missing or not float`);
    return t;
  };
  const u8 = (name: string): Uint8Array => {
    const t = model.tensors.get(name);
    if (!(t instanceof Uint8Array)) throw new Error(`refForward: tensor '${name}' missing or not U8`);
    return t;
  };
  const rope = fillRopeTable(yarnInvFreq(cfg), yarnConcentration(cfg), 0, T, new Float32Array(T * Dh));
  const embed = f64('model.embed_tokens.weight');
  let x: Float64Array = new Float64Array(T * C);
  ids.forEach((id, t) => x.set(embed.subarray(id * C, (id + 1) * C), t * C));
  const qkvWidth = (Hq + 2 * Hkv) * Dh;
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `model.layers.${l}.`;
    const h = refRmsNorm(x, f64(`${p}input_layernorm.weight`), T, C, cfg.rmsNormEps);
    const q = refMatmul(h, f64(`${p}self_attn.q_proj.weight`), f64(`${p}self_attn.q_proj.bias`), T, C, Hq * Dh);
    const k = refMatmul(h, f64(`${p}self_attn.k_proj.weight`), f64(`${p}self_attn.k_proj.bias`), T, C, Hkv * Dh);
    const v = refMatmul(h, f64(`${p}self_attn.v_proj.weight`), f64(`${p}self_attn.v_proj.bias`), T, C, Hkv * Dh);
    const qkv = new Float64Array(T * qkvWidth);
    for (let t = 0; t < T; t++) {
      qkv.set(q.subarray(t * Hq * Dh, (t + 1) * Hq * Dh), t * qkvWidth);
      qkv.set(k.subarray(t * Hkv * Dh, (t + 1) * Hkv * Dh), t * qkvWidth + Hq * Dh);
    }
    const rotated = refRope(qkv, rope, T, Hq, Hkv, Dh);
    const qRot = new Float64Array(T * Hq * Dh);
    const kRot = new Float64Array(T * Hkv * Dh);
    for (let t = 0; t < T; t++) {
      qRot.set(rotated.subarray(t * qkvWidth, t * qkvWidth + Hq * Dh), t * Hq * Dh);
      kRot.set(rotated.subarray(t * qkvWidth + Hq * Dh, t * qkvWidth + (Hq + Hkv) * Dh), t * Hkv * Dh);
    }
    const attn = refAttention({
      q: qRot,
      k: kRot,
      v,
      sinks: f64(`${p}self_attn.sinks`),
      pos0: 0,
      numTokens: T,
      numQHeads: Hq,
      numKvHeads: Hkv,
      headDim: Dh,
      smScale: 1 / Math.sqrt(Dh),
      visible: (j, pos) => visible(l, j, pos),
    });
    x = refMatmul(attn, f64(`${p}self_attn.o_proj.weight`), f64(`${p}self_attn.o_proj.bias`), T, Hq * Dh, C, x);
    const h2 = refRmsNorm(x, f64(`${p}post_attention_layernorm.weight`), T, C, cfg.rmsNormEps);
    const router = refMatmul(h2, f64(`${p}mlp.router.weight`), f64(`${p}mlp.router.bias`), T, C, E);
    const { ids: experts, weights } = refRouterTopK(router, T, E, K);
    const moe = { numTokens: T, hiddenSize: C, intermediateSize: I, numExperts: E, numExpertsPerToken: K };
    const gateUp: RefMxfp4Experts = {
      blocks: u8(`${p}mlp.experts.gate_up_proj_blocks`),
      scales: u8(`${p}mlp.experts.gate_up_proj_scales`),
      bias: f64(`${p}mlp.experts.gate_up_proj_bias`),
    };
    const down: RefMxfp4Experts = {
      blocks: u8(`${p}mlp.experts.down_proj_blocks`),
      scales: u8(`${p}mlp.experts.down_proj_scales`),
      bias: f64(`${p}mlp.experts.down_proj_bias`),
    };
    const { out: hidden } = refMoeGateUpSwiglu(h2, experts, gateUp, { ...moe, swigluLimit: cfg.swigluLimit, swigluAlpha: SWIGLU_ALPHA });
    x = refMoeDownAccumulate(x, hidden, experts, weights, down, moe);
  }
  const final = refRmsNorm(x, f64('model.norm.weight'), T, C, cfg.rmsNormEps);
  return refMatmul(final, f64('lm_head.weight'), null, T, C, V);
}
