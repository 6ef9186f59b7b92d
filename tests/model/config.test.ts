import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../src/errors.js';
import { parseModelConfig, readModelConfig } from '../../src/model/config.js';
import { FIXTURE_DIR, caught, makeTempDir, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

// openai/gpt-oss-20b config.json as published (spec §1).
const CONFIG_20B = `{
  "architectures": ["GptOssForCausalLM"], "attention_bias": true, "attention_dropout": 0.0,
  "eos_token_id": 200002, "experts_per_token": 4, "head_dim": 64, "hidden_act": "silu",
  "hidden_size": 2880, "initial_context_length": 4096, "initializer_range": 0.02, "intermediate_size": 2880,
  "layer_types": ${JSON.stringify(Array.from({ length: 12 }, () => ['sliding_attention', 'full_attention']).flat())},
  "max_position_embeddings": 131072, "model_type": "gpt_oss", "num_attention_heads": 64,
  "num_experts_per_tok": 4, "num_hidden_layers": 24, "num_key_value_heads": 8, "num_local_experts": 32,
  "output_router_logits": false, "pad_token_id": 199999,
  "quantization_config": {"modules_to_not_convert": ["model.layers.*.self_attn", "model.layers.*.mlp.router", "model.embed_tokens", "lm_head"], "quant_method": "mxfp4"},
  "rms_norm_eps": 1e-05,
  "rope_scaling": {"beta_fast": 32.0, "beta_slow": 1.0, "factor": 32.0, "original_max_position_embeddings": 4096, "rope_type": "yarn", "truncate": false},
  "rope_theta": 150000, "router_aux_loss_coef": 0.9, "sliding_window": 128, "swiglu_limit": 7.0,
  "tie_word_embeddings": false, "transformers_version": "4.55.0.dev0", "use_cache": true, "vocab_size": 201088
}`;

function config20b(): Record<string, unknown> {
  return JSON.parse(CONFIG_20B) as Record<string, unknown>;
}

function config120b(): Record<string, unknown> {
  const c = config20b();
  c.num_hidden_layers = 36;
  c.num_local_experts = 128;
  c.layer_types = Array.from({ length: 18 }, () => ['sliding_attention', 'full_attention']).flat();
  return c;
}

async function oracleConfig(): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(FIXTURE_DIR, 'config.json'), 'utf8')) as Record<string, unknown>;
}

const GPT_OSS_ROPE = { factor: 32, betaFast: 32, betaSlow: 1, originalMaxPositionEmbeddings: 4096, truncate: false };

describe('parseModelConfig: accepted shapes', () => {
  it('reads the oracle config (C=128, L=4, Hq=8, Hkv=2, Dh=64, E=8, K=4, I=96, V=1024, W=8)', async () => {
    const cfg = await readModelConfig(FIXTURE_DIR);
    expect(cfg).toEqual({
      numLayers: 4,
      hiddenSize: 128,
      intermediateSize: 96,
      numHeads: 8,
      numKvHeads: 2,
      headDim: 64,
      numExperts: 8,
      numExpertsPerToken: 4,
      vocabSize: 1024,
      slidingWindow: 8,
      layerTypes: ['sliding_attention', 'full_attention', 'sliding_attention', 'full_attention'],
      ropeTheta: 150000,
      ropeScaling: GPT_OSS_ROPE,
      rmsNormEps: 1e-5,
      swigluLimit: 7,
      maxPositionEmbeddings: 131072,
      eosTokenIds: [2],
      padTokenId: 1,
    });
  });

  it('reads the gpt-oss-20b config', () => {
    const cfg = parseModelConfig(config20b(), '20b/config.json');
    expect(cfg).toMatchObject({ numLayers: 24, hiddenSize: 2880, intermediateSize: 2880, numHeads: 64, numKvHeads: 8, headDim: 64 });
    expect(cfg).toMatchObject({ numExperts: 32, numExpertsPerToken: 4, vocabSize: 201088, slidingWindow: 128, ropeScaling: GPT_OSS_ROPE });
    expect(cfg).toMatchObject({ eosTokenIds: [200002], padTokenId: 199999, rmsNormEps: 1e-5, swigluLimit: 7, ropeTheta: 150000 });
    expect(cfg.layerTypes).toHaveLength(24);
    expect(cfg.layerTypes.filter((t, l) => (t === 'sliding_attention') === (l % 2 === 0))).toHaveLength(24);
  });

  it('reads the gpt-oss-120b config', () => {
    const cfg = parseModelConfig(config120b(), '120b/config.json');
    expect(cfg).toMatchObject({ numLayers: 36, numExperts: 128, numExpertsPerToken: 4, hiddenSize: 2880, numHeads: 64, numKvHeads: 8 });
    expect(cfg.layerTypes).toHaveLength(36);
  });

  it.each<[string, (c: Record<string, unknown>) => void, (cfg: ReturnType<typeof parseModelConfig>) => void]>([
    ['MQA (Hkv=1)', (c) => (c.num_key_value_heads = 1), (cfg) => expect(cfg.numKvHeads).toBe(1)],
    ['16 experts, top-2', (c) => Object.assign(c, { num_local_experts: 16, num_experts_per_tok: 2, experts_per_token: 2 }), (cfg) => expect([cfg.numExperts, cfg.numExpertsPerToken]).toEqual([16, 2])],
    [
      'odd layer count without layer_types → sliding on even layers',
      (c) => Object.assign(c, { num_hidden_layers: 5, layer_types: undefined }),
      (cfg) => expect(cfg.layerTypes).toEqual(['sliding_attention', 'full_attention', 'sliding_attention', 'full_attention', 'sliding_attention']),
    ],
    ['another window (W=32)', (c) => (c.sliding_window = 32), (cfg) => expect(cfg.slidingWindow).toBe(32)],
    ['eos_token_id as a list', (c) => (c.eos_token_id = [200002, 199999, 200012]), (cfg) => expect(cfg.eosTokenIds).toEqual([200002, 199999, 200012])],
    ['no pad_token_id', (c) => delete c.pad_token_id, (cfg) => expect(cfg.padTokenId).toBeNull()],
    [
      'no rope_scaling → plain RoPE as YaRN with factor 1',
      (c) => delete c.rope_scaling,
      (cfg) => expect(cfg.ropeScaling).toEqual({ factor: 1, betaFast: 32, betaSlow: 1, originalMaxPositionEmbeddings: 131072, truncate: false }),
    ],
    [
      'transformers 5 rope_parameters instead of rope_scaling',
      (c) => {
        c.rope_parameters = c.rope_scaling;
        delete c.rope_scaling;
      },
      (cfg) => expect(cfg.ropeScaling).toEqual(GPT_OSS_ROPE),
    ],
    [
      'yarn without truncate → HF default truncate=true',
      (c) => delete (c.rope_scaling as Record<string, unknown>).truncate,
      (cfg) => expect(cfg.ropeScaling.truncate).toBe(true),
    ],
    ['only the original name experts_per_token', (c) => delete c.num_experts_per_tok, (cfg) => expect(cfg.numExpertsPerToken).toBe(4)],
  ])('accepts %s', (_, edit, check) => {
    const c = config20b();
    edit(c);
    check(parseModelConfig(JSON.parse(JSON.stringify(c)), 'config.json'));
  });
});

describe('parseModelConfig: one clear error per problem', () => {
  // [problem, edit, words the message must contain: field, expected, got]
  it.each<[string, (c: Record<string, unknown>) => void, string[]]>([
    ['inconsistent heads', (c) => (c.num_key_value_heads = 3), ["'num_key_value_heads'", 'divisor of num_attention_heads (Hq=8)', 'Hkv=3']],
    ['layer_types too short', (c) => (c.layer_types = ['sliding_attention']), ["'layer_types'", 'L=4', 'got 1 entry']],
    ['unknown layer type', (c) => ((c.layer_types as string[])[2] = 'local_attention'), ["'layer_types[2]'", '"sliding_attention" or "full_attention"', '"local_attention"']],
    ['K > E', (c) => Object.assign(c, { num_experts_per_tok: 9, experts_per_token: 9 }), ["'num_experts_per_tok'", 'at most num_local_experts (E=8)', 'K=9']],
    ['hidden_size not a multiple of 32', (c) => (c.hidden_size = 100), ["'hidden_size'", 'multiple of 32', 'C=100']],
    ['intermediate_size not a multiple of 32', (c) => (c.intermediate_size = 90), ["'intermediate_size'", 'multiple of 32', 'I=90']],
    ['rope_scaling not yarn', (c) => ((c.rope_scaling as Record<string, unknown>).rope_type = 'linear'), ["'rope_scaling.rope_type'", '"yarn"', '"linear"']],
    ['model_type not gpt_oss', (c) => (c.model_type = 'llama'), ["'model_type'", '"gpt_oss"', '"llama"']],
    ['non-positive size', (c) => (c.num_hidden_layers = 0), ["'num_hidden_layers'", 'a positive integer', '0 (number)']],
    ['missing field', (c) => delete c.vocab_size, ["'vocab_size'", 'a positive integer', 'field is missing']],
    ['ill-typed field', (c) => (c.hidden_size = '128'), ["'hidden_size'", 'a positive integer', '"128" (string)']],
    ['fractional size', (c) => (c.head_dim = 64.5), ["'head_dim'", 'a positive integer', '64.5']],
    ['eos id outside the vocabulary', (c) => (c.eos_token_id = [2, 5000]), ["'eos_token_id[1]'", 'V=1024', '5000']],
    ['not MXFP4', (c) => delete c.quantization_config, ["'quantization_config'", 'an object', 'missing']],
    ['tied embeddings', (c) => (c.tie_word_embeddings = true), ["'tie_word_embeddings'", 'false', 'true']],
    ['negative eps', (c) => (c.rms_norm_eps = -1), ["'rms_norm_eps'", '> 0', '-1']],
  ])('%s', async (_, edit, words) => {
    const c = await oracleConfig();
    edit(c);
    const err = await caught(async () => parseModelConfig(c, '/models/x/config.json'));
    expect(err).toBeInstanceOf(ModelFormatError);
    expect(err.message.startsWith('/models/x/config.json: ')).toBe(true);
    for (const w of words) expect(err.message).toContain(w);
  });

  it('a config that is not an object', () => {
    expect(() => parseModelConfig([1, 2], 'config.json')).toThrow(/config\.json: expected a JSON object/);
  });
});

describe('readModelConfig', () => {
  it('a directory that is not a model says so and says what a model directory holds', async () => {
    const dir = await makeTempDir('notmodel');
    const err = await caught(() => readModelConfig(dir));
    expect(err).toBeInstanceOf(ModelFormatError);
    expect(err.message).toContain(`${dir} is not a model directory: it has no config.json`);
    expect(err.message).toMatch(/model\.safetensors.*tokenizer\.json/);
  });

  it('a directory that does not exist', async () => {
    const dir = join(await makeTempDir('gone'), 'nope');
    await expect(readModelConfig(dir)).rejects.toThrow(`${dir}: the model directory does not exist`);
  });

  it('config.json that is not JSON names the file', async () => {
    const dir = await makeTempDir('badjson');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), '{"model_type": "gpt_oss",');
    await expect(readModelConfig(dir)).rejects.toThrow(`${join(dir, 'config.json')}: the model config is not valid JSON`);
  });
});
