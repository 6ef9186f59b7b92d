// What `wgh create-test-model` writes, decided without writing anything: the config of each preset,
// every tensor with its value recipe, and the shard layout. planTestModel(preset) is pure.

import { ConfigError } from '../errors.js';
import { expectedTensors } from './checkpoint.js';
import { parseModelConfig } from './config.js';
import { encodeSafetensorsHeader, type TensorDType } from './safetensors.js';
import type { ModelConfig } from './shapes.js';
import type { Recipe } from './test-model-random.js';

export const TEST_MODEL_PRESETS = ['tiny', '20b', '120b'] as const;
export type TestModelPreset = (typeof TEST_MODEL_PRESETS)[number];

/** The trained demo model (assets/demo-model/, src/model/demo-model.ts): unpacked by create-test-model, never planned here. */
export const DEMO_PRESET = 'demo';
/** What `wgh create-test-model --preset` takes: the random-weight presets planned here, then the trained demo model. */
export const CREATE_TEST_MODEL_PRESETS = [...TEST_MODEL_PRESETS, DEMO_PRESET] as const;
export type CreateTestModelPreset = (typeof CREATE_TEST_MODEL_PRESETS)[number];

/** o200k_harmony ids (spec §1): <|startoftext|>, <|endoftext|> (pad), <|return|> (eos), <|call|>. */
const BOS_TOKEN_ID = 199998;
const PAD_TOKEN_ID = 199999;
const EOS_TOKEN_ID = 200002;
const CALL_TOKEN_ID = 200012;
const O200K_HARMONY_VOCAB = 201088;

/** HF `save_pretrained`'s default max_shard_size ("5GB"): 20b → 3 shards, 120b → 15 (as many as the HF repos have). */
const HF_SHARD_BYTES = 5_000_000_000;
/** The tiny model (~52 MB) is split at 32 MiB so the multi-shard path is exercised too. */
const TINY_SHARD_BYTES = 32 * 1024 * 1024;

interface PresetShape {
  readonly layers: number;
  readonly hidden: number;
  readonly intermediate: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly experts: number;
  readonly expertsPerToken: number;
  readonly window: number;
  readonly shardBytes: number;
}

const PRESETS: Readonly<Record<TestModelPreset, PresetShape>> = {
  // tiny: the real vocabulary (so the real tokenizer works) and gpt-oss's head_dim 64 (so kernels
  // specialised to Dh=64 run it), everything else small: C=64 is 2 MXFP4 groups, Hq·Dh=256 ≠ C like
  // the real models, GQA group 2, window 16 matters after 16 tokens.
  tiny: { layers: 4, hidden: 64, intermediate: 64, heads: 4, kvHeads: 2, headDim: 64, experts: 8, expertsPerToken: 4, window: 16, shardBytes: TINY_SHARD_BYTES },
  '20b': { layers: 24, hidden: 2880, intermediate: 2880, heads: 64, kvHeads: 8, headDim: 64, experts: 32, expertsPerToken: 4, window: 128, shardBytes: HF_SHARD_BYTES },
  '120b': { layers: 36, hidden: 2880, intermediate: 2880, heads: 64, kvHeads: 8, headDim: 64, experts: 128, expertsPerToken: 4, window: 128, shardBytes: HF_SHARD_BYTES },
};

/** config.json as openai/gpt-oss-20b / -120b ship it (spec §1), with the preset's shapes. */
export function testModelConfigJson(preset: TestModelPreset): Record<string, unknown> {
  const p = PRESETS[preset];
  return {
    architectures: ['GptOssForCausalLM'],
    attention_bias: true,
    attention_dropout: 0.0,
    eos_token_id: EOS_TOKEN_ID,
    experts_per_token: p.expertsPerToken,
    head_dim: p.headDim,
    hidden_act: 'silu',
    hidden_size: p.hidden,
    initial_context_length: 4096,
    initializer_range: 0.02,
    intermediate_size: p.intermediate,
    layer_types: Array.from({ length: p.layers }, (_, l) => (l % 2 === 0 ? 'sliding_attention' : 'full_attention')),
    max_position_embeddings: 131072,
    model_type: 'gpt_oss',
    num_attention_heads: p.heads,
    num_experts_per_tok: p.expertsPerToken,
    num_hidden_layers: p.layers,
    num_key_value_heads: p.kvHeads,
    num_local_experts: p.experts,
    output_router_logits: false,
    pad_token_id: PAD_TOKEN_ID,
    quantization_config: {
      modules_to_not_convert: ['model.layers.*.self_attn', 'model.layers.*.mlp.router', 'model.embed_tokens', 'lm_head'],
      quant_method: 'mxfp4',
    },
    rms_norm_eps: 1e-5,
    rope_scaling: { beta_fast: 32.0, beta_slow: 1.0, factor: 32.0, original_max_position_embeddings: 4096, rope_type: 'yarn', truncate: false },
    rope_theta: 150000,
    router_aux_loss_coef: 0.9,
    sliding_window: p.window,
    swiglu_limit: 7.0,
    tie_word_embeddings: false,
    use_cache: true,
    vocab_size: O200K_HARMONY_VOCAB,
  };
}

/** generation_config.json as the HF repos ship it (eos = <|return|>, <|endoftext|>, <|call|>). */
export function testModelGenerationConfigJson(): Record<string, unknown> {
  return { bos_token_id: BOS_TOKEN_ID, do_sample: true, eos_token_id: [EOS_TOKEN_ID, PAD_TOKEN_ID, CALL_TOKEN_ID], pad_token_id: PAD_TOKEN_ID };
}

// ---- Magnitudes --------------------------------------------------------------------------------
// Goal: activations finite and informative through every layer of a forward pass, for L up to 36.
// - Pre-norm blocks: each block reads RMSNorm(x) (rms ≈ 1 with gains ≈ 1), so a weight with
//   std 1/sqrt(fan_in) gives outputs of std ≈ 1 (q, k, v, router logits, expert gate/up).
// - Attention logits: q·k (Dh terms of std-1 products) × 1/sqrt(Dh) × YaRN concentration² (1.81)
//   ≈ std 1.8: neither uniform nor one-hot. Sinks ~ N(0, 1) compete with that.
// - The residual stream only grows by addition (x += branch): 2L branches of std ≈ 1 would give
//   rms ≈ sqrt(2L) ≈ 8.5 at L=36 and drown the embedding. So the two projections that write into the
//   residual (o_proj, experts' down_proj, and their biases) are scaled by 1/sqrt(2L) (GPT-2's
//   residual scaling): the sum of all branches then has rms ≲ 1, like the embedding (std 1).
// - Router: logits std ≈ 1 plus a small bias, so the top-K differs from token to token.
// - lm_head: std 2/sqrt(C) gives logits of std ≈ 2 over V: greedy picks have clear margins and
//   sampling is not uniform over 201088 ids.
// - MXFP4: uniform nibbles give fp4 values ±{0,.5,1,1.5,2,3,4,6} with rms sqrt(68.5/8) ≈ 2.93. For a
//   target std σ the ideal multiplier m = σ/2.93 is rarely a power of two, so each group's e8m0 byte is
//   127+⌊log2 m⌋ or one more, the higher one with probability p such that E[2^(2(s-127))] = m²:
//   dequantised weights then have std σ exactly on average (σ = 1/sqrt(C) for gate_up, the
//   residual-scaled 1/sqrt(I·2L) for down). All scale bytes stay far from 0 and 255.
const EMBED_STD = 1;
const NORM_GAIN_STD = 0.05; // gains ≈ 1 ± 5%
const BIAS_STD = 0.05; // "small": 5% of the std-1 outputs they are added to
const SINK_STD = 1;
const LM_HEAD_LOGIT_STD = 2;
/** sqrt(mean of fp4 value²) for uniform nibbles: sqrt((0+.25+1+2.25+4+9+16+36)/8). */
export const FP4_UNIFORM_RMS = Math.sqrt(68.5 / 8);
/** e8m0 bias: scale byte s means 2^(s-127). */
export const E8M0_BIAS = 127;

const normal = (std: number, mean = 0): Recipe => ({ kind: 'bf16-normal', mean, std });

/** e8m0 scale recipe whose dequantised fp4 weights have std `targetStd` (see above). */
export function mxfp4ScaleRecipe(targetStd: number): Recipe {
  const multiplier = targetStd / FP4_UNIFORM_RMS;
  const lowExp = Math.floor(Math.log2(multiplier));
  // E[m²] = (1-p)·4^lowExp + p·4^(lowExp+1) = multiplier²  ⇒  p = (multiplier²/4^lowExp − 1)/3
  const pHigh = (multiplier ** 2 / 4 ** lowExp - 1) / 3;
  return { kind: 'e8m0', low: E8M0_BIAS + lowExp, pHigh };
}

/** The value recipe of each gpt-oss tensor (by its name's suffix). */
export function tensorRecipe(name: string, config: ModelConfig): Recipe {
  const { hiddenSize: C, intermediateSize: I, numHeads: Hq, headDim: Dh } = config;
  const residualScale = 1 / Math.sqrt(2 * config.numLayers);
  const suffix = name.replace(/^model\.layers\.\d+\./, '');
  switch (suffix) {
    case 'model.embed_tokens.weight':
      return normal(EMBED_STD);
    case 'lm_head.weight':
      return normal(LM_HEAD_LOGIT_STD / Math.sqrt(C));
    case 'model.norm.weight':
    case 'input_layernorm.weight':
    case 'post_attention_layernorm.weight':
      return normal(NORM_GAIN_STD, 1);
    case 'self_attn.q_proj.weight':
    case 'self_attn.k_proj.weight':
    case 'self_attn.v_proj.weight':
    case 'mlp.router.weight':
      return normal(1 / Math.sqrt(C));
    case 'self_attn.o_proj.weight':
      return normal(residualScale / Math.sqrt(Hq * Dh));
    case 'self_attn.sinks':
      return normal(SINK_STD);
    case 'self_attn.o_proj.bias':
    case 'mlp.experts.down_proj_bias':
      return normal(BIAS_STD * residualScale);
    case 'self_attn.q_proj.bias':
    case 'self_attn.k_proj.bias':
    case 'self_attn.v_proj.bias':
    case 'mlp.router.bias':
    case 'mlp.experts.gate_up_proj_bias':
      return normal(BIAS_STD);
    case 'mlp.experts.gate_up_proj_blocks':
    case 'mlp.experts.down_proj_blocks':
      return { kind: 'fp4-uniform' };
    case 'mlp.experts.gate_up_proj_scales':
      return mxfp4ScaleRecipe(1 / Math.sqrt(C));
    case 'mlp.experts.down_proj_scales':
      return mxfp4ScaleRecipe(residualScale / Math.sqrt(I));
    default:
      throw new Error(`tensorRecipe: no recipe for tensor '${name}'`);
  }
}

export interface PlannedTensor {
  readonly name: string;
  readonly dtype: TensorDType;
  readonly shape: readonly number[];
  readonly byteLength: number;
  readonly recipe: Recipe;
}

export interface PlannedShard {
  /** `model-00001-of-00003.safetensors` */
  readonly fileName: string;
  readonly tensors: readonly PlannedTensor[];
  /** The file's first bytes: length prefix + padded JSON header. */
  readonly header: Uint8Array;
  /** Whole file size: header + data. */
  readonly fileBytes: number;
}

export interface TestModelPlan {
  readonly preset: TestModelPreset;
  readonly configJson: Readonly<Record<string, unknown>>;
  readonly config: ModelConfig;
  readonly tensors: readonly PlannedTensor[];
  readonly shards: readonly PlannedShard[];
  /** Sum of tensor bytes (the index's metadata.total_size). */
  readonly tensorBytes: number;
  /** Sum of shard file sizes. */
  readonly shardBytes: number;
}

const SHARD_NAME_DIGITS = 5;

export function shardFileName(shardIdx: number, numShards: number): string {
  const pad = (n: number) => String(n).padStart(SHARD_NAME_DIGITS, '0');
  return `model-${pad(shardIdx + 1)}-of-${pad(numShards)}.safetensors`;
}

/** Safetensors `__metadata__` that transformers writes. */
export const SAFETENSORS_METADATA: Readonly<Record<string, string>> = { format: 'pt' };

export function planTestModel(preset: TestModelPreset): TestModelPlan {
  if (!(TEST_MODEL_PRESETS as readonly string[]).includes(preset)) {
    throw new ConfigError(`create-test-model: preset expected one of ${TEST_MODEL_PRESETS.join(', ')}, got '${String(preset)}'`);
  }
  const configJson = testModelConfigJson(preset);
  const config = parseModelConfig(configJson, `<create-test-model preset ${preset}>`);
  // On-disk dtypes: bf16 for every dense tensor and bias (as gpt-oss ships), u8 for MXFP4.
  const tensors: PlannedTensor[] = expectedTensors(config).map((t) => {
    const dtype: TensorDType = t.dtypes.includes('BF16') ? 'BF16' : 'U8';
    const byteLength = t.shape.reduce((a, b) => a * b, dtype === 'BF16' ? 2 : 1);
    return { name: t.name, dtype, shape: t.shape, byteLength, recipe: tensorRecipe(t.name, config) };
  });
  // Greedy packing in tensor order, like transformers' shard splitting.
  const groups: PlannedTensor[][] = [];
  let current: PlannedTensor[] = [];
  let currentBytes = 0;
  for (const t of tensors) {
    if (current.length > 0 && currentBytes + t.byteLength > PRESETS[preset].shardBytes) {
      groups.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(t);
    currentBytes += t.byteLength;
  }
  if (current.length > 0) groups.push(current);
  const shards = groups.map((group, shardIdx) => {
    const header = encodeSafetensorsHeader(group, SAFETENSORS_METADATA);
    return { fileName: shardFileName(shardIdx, groups.length), tensors: group, header: header.bytes, fileBytes: header.bytes.length + header.dataBytes };
  });
  const tensorBytes = tensors.reduce((a, t) => a + t.byteLength, 0);
  const shardBytes = shards.reduce((a, s) => a + s.fileBytes, 0);
  return { preset, configJson, config, tensors, shards, tensorBytes, shardBytes };
}

/** model.safetensors.index.json contents, keys sorted like transformers writes them. */
export function indexJson(plan: TestModelPlan): Record<string, unknown> {
  const weightMap: Record<string, string> = {};
  const entries: [string, string][] = plan.shards.flatMap((s) => s.tensors.map((t): [string, string] => [t.name, s.fileName]));
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, file] of entries) weightMap[name] = file;
  return { metadata: { total_size: plan.tensorBytes }, weight_map: weightMap };
}
