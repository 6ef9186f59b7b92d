// Random-weight gpt-oss checkpoints of arbitrary shapes (single model.safetensors, HF layout), for
// tests that the engine assumes nothing about the oracle's or the real models' numbers.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectedTensors } from '../../src/model/checkpoint.js';
import { parseModelConfig } from '../../src/model/config.js';
import { encodeSafetensorsHeader } from '../../src/model/safetensors.js';
import { f32ToBf16Bits, normal, seeded, type Rng } from './random.js';

export interface CustomShape {
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly experts: number;
  readonly topK: number;
  readonly intermediate: number;
  readonly vocab: number;
  readonly window: number;
  /** Leave layer_types out of config.json (the loader then alternates sliding/full). */
  readonly omitLayerTypes?: boolean;
}

/** The config.json of a shape (YaRN rope like gpt-oss). */
export function customConfig(s: CustomShape): Record<string, unknown> {
  const cfg: Record<string, unknown> = {
    architectures: ['GptOssForCausalLM'],
    model_type: 'gpt_oss',
    hidden_size: s.hidden,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads,
    head_dim: s.headDim,
    num_local_experts: s.experts,
    num_experts_per_tok: s.topK,
    intermediate_size: s.intermediate,
    vocab_size: s.vocab,
    sliding_window: s.window,
    rms_norm_eps: 1e-5,
    rope_theta: 150000,
    rope_scaling: { rope_type: 'yarn', factor: 32, beta_fast: 32, beta_slow: 1, original_max_position_embeddings: 4096, truncate: false },
    max_position_embeddings: 131072,
    swiglu_limit: 7,
    attention_bias: true,
    tie_word_embeddings: false,
    eos_token_id: 2,
    pad_token_id: 1,
    quantization_config: { quant_method: 'mxfp4', modules_to_not_convert: ['model.layers.*.self_attn', 'model.layers.*.mlp.router', 'model.embed_tokens', 'lm_head'] },
  };
  if (!s.omitLayerTypes) cfg.layer_types = Array.from({ length: s.layers }, (_, l) => (l % 2 === 0 ? 'sliding_attention' : 'full_attention'));
  return cfg;
}

/** MXFP4 scale bytes giving dequantised weights of std ≈ 1/sqrt(fan_in) (random nibbles have rms ≈ 3.1). */
function scaleByte(fanIn: number): number {
  return 127 + Math.round(Math.log2(1 / Math.sqrt(fanIn) / 3.1));
}

function bf16Bytes(rng: Rng, n: number, std: number, mean = 0): Uint8Array {
  const out = new Uint8Array(n * 2);
  for (let i = 0; i < n; i++) {
    const bits = f32ToBf16Bits(mean + normal(rng) * std);
    out[2 * i] = bits & 0xff;
    out[2 * i + 1] = bits >> 8;
  }
  return out;
}

/** Writes config.json + model.safetensors for `shape` into a new temp dir; returns the dir. */
export function writeCustomModel(shape: CustomShape, seed: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'wgh-shape-'));
  const cfgJson = customConfig(shape);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfgJson, null, 2));
  const cfg = parseModelConfig(cfgJson, join(dir, 'config.json'));
  const rng = seeded(seed);
  const specs = expectedTensors(cfg).map((t) => ({ name: t.name, dtype: t.dtypes.includes('BF16') ? ('BF16' as const) : ('U8' as const), shape: t.shape }));
  const header = encodeSafetensorsHeader(specs);
  const parts: Uint8Array[] = [header.bytes];
  for (const spec of specs) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const name = spec.name;
    const fanIn = spec.shape.length >= 2 ? spec.shape[spec.shape.length - 1] : 1;
    if (name.endsWith('_blocks')) {
      parts.push(Uint8Array.from({ length: n }, () => Math.floor(rng() * 256)));
    } else if (name.endsWith('_scales')) {
      const inFeatures = name.includes('gate_up') ? shape.hidden : shape.intermediate;
      parts.push(Uint8Array.from({ length: n }, () => scaleByte(inFeatures) + Math.floor(rng() * 2)));
    } else if (name.endsWith('layernorm.weight') || name === 'model.norm.weight') {
      parts.push(bf16Bytes(rng, n, 0.05, 1));
    } else if (name.endsWith('.sinks')) {
      parts.push(bf16Bytes(rng, n, 1));
    } else if (name.endsWith('bias')) {
      parts.push(bf16Bytes(rng, n, 0.05));
    } else if (name === 'model.embed_tokens.weight') {
      parts.push(bf16Bytes(rng, n, 1));
    } else {
      // Dense [out, in] weights; the residual-stream writers are scaled down over the layers.
      const residual = name.endsWith('o_proj.weight') ? 1 / Math.sqrt(2 * shape.layers) : 1;
      parts.push(bf16Bytes(rng, n, residual / Math.sqrt(fanIn)));
    }
  }
  const total = parts.reduce((a, p) => a + p.length, 0);
  const file = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    file.set(p, at);
    at += p.length;
  }
  writeFileSync(join(dir, 'model.safetensors'), file);
  return dir;
}
