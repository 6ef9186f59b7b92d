// config.json (Hugging Face GptOssConfig) → ModelConfig, validated.
//
// Every problem is one ModelFormatError that names the file, the field, what was expected and what
// was found, in legend terms (src/model/shapes.ts), e.g.
//   /m/config.json: 'num_key_value_heads' expected a divisor of num_attention_heads (Hq=8), got Hkv=3
//
// Decisions (see also spec §1):
// - Shape fields are required (a real gpt-oss config has them all); no silent defaults for them.
// - `layer_types` may be absent: then layer l slides iff l is even, as gpt-oss does.
// - `rope_scaling` absent (or rope_type "default") is plain RoPE, which YaRN represents exactly
//   with factor 1: inv_freq = 1/freq on both branches of the ramp and concentration = 0.1·ln(1)+1 = 1.
// - `num_experts_per_tok` is the HF name; the original name `experts_per_token` is accepted too.
// - The experts must be MXFP4 (`quantization_config.quant_method` = "mxfp4"): the loader reads
//   `*_blocks`/`*_scales` only, so a dequantised (bf16-expert) checkpoint is refused here, early.

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelFormatError } from '../errors.js';
import type { LayerType, ModelConfig, RopeScaling } from './shapes.js';

/** Elements per MXFP4 group: one e8m0 scale byte per 32 fp4 values (spec §3.2). */
export const MXFP4_GROUP_SIZE = 32;

export const CONFIG_FILE = 'config.json';

const LAYER_TYPES: readonly LayerType[] = ['sliding_attention', 'full_attention'];

/** HF yarn defaults (transformers `_compute_yarn_parameters`) when the field is absent. */
const YARN_DEFAULT_BETA_FAST = 32;
const YARN_DEFAULT_BETA_SLOW = 1;
/** HF's yarn `truncate` defaults to true; gpt-oss sets it to false explicitly (spec §2.2). */
const YARN_DEFAULT_TRUNCATE = true;
/** YaRN fields that would change the attention scale; gpt-oss never sets them, we do not support them. */
const YARN_UNSUPPORTED_FIELDS = ['attention_factor', 'mscale', 'mscale_all_dim'] as const;

/** Longest rendering of a bad value in an error message. */
const MAX_SHOWN_CHARS = 80;

/** A short, readable rendering of what was found at a field. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  if (text.length > MAX_SHOWN_CHARS) text = text.slice(0, MAX_SHOWN_CHARS) + '…';
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return `${text} (${kind})`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads fields of one JSON object and throws the project's one-line errors. */
class FieldReader {
  constructor(
    private readonly obj: Record<string, unknown>,
    private readonly file: string,
    private readonly prefix = '',
  ) {}

  fail(field: string, expected: string, got: string): never {
    throw new ModelFormatError(`${this.file}: '${this.prefix}${field}' expected ${expected}, got ${got}`, this.file);
  }

  has(field: string): boolean {
    return this.obj[field] !== undefined;
  }

  raw(field: string): unknown {
    return this.obj[field];
  }

  /** An integer ≥ min (default: a positive integer). */
  int(field: string, min = 1): number {
    const v = this.obj[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      this.fail(field, min === 1 ? 'a positive integer' : `an integer ≥ ${min}`, describeValue(v));
    }
    return v;
  }

  /** A finite number > 0. */
  positive(field: string): number {
    const v = this.obj[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) this.fail(field, 'a finite number > 0', describeValue(v));
    return v;
  }

  optionalPositive(field: string, fallback: number): number {
    return this.has(field) ? this.positive(field) : fallback;
  }

  optionalBool(field: string, fallback: boolean): boolean {
    const v = this.obj[field];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') this.fail(field, 'true or false', describeValue(v));
    return v;
  }

  string(field: string): string {
    const v = this.obj[field];
    if (typeof v !== 'string') this.fail(field, 'a string', describeValue(v));
    return v;
  }

  nested(field: string): FieldReader {
    const v = this.obj[field];
    if (!isRecord(v)) this.fail(field, 'an object', describeValue(v));
    return new FieldReader(v, this.file, `${this.prefix}${field}.`);
  }
}

function parseLayerTypes(r: FieldReader, numLayers: number): LayerType[] {
  if (!r.has('layer_types')) {
    // gpt-oss: layer l uses a sliding window iff l is even (spec §1, §2.3).
    return Array.from({ length: numLayers }, (_, l) => (l % 2 === 0 ? 'sliding_attention' : 'full_attention'));
  }
  const v = r.raw('layer_types');
  const allowed = LAYER_TYPES.map((t) => `"${t}"`).join(' or ');
  if (!Array.isArray(v)) r.fail('layer_types', `an array of ${allowed}`, describeValue(v));
  if (v.length !== numLayers) {
    r.fail('layer_types', `one entry per layer (num_hidden_layers L=${numLayers})`, `${v.length} ${v.length === 1 ? 'entry' : 'entries'}`);
  }
  return v.map((t: unknown, layerIdx: number) => {
    if (typeof t !== 'string' || !(LAYER_TYPES as readonly string[]).includes(t)) {
      r.fail(`layer_types[${layerIdx}]`, allowed, describeValue(t));
    }
    return t as LayerType;
  });
}

function parseRopeScaling(r: FieldReader, maxPositionEmbeddings: number): RopeScaling {
  // transformers ≥ 5 may write `rope_parameters` instead of `rope_scaling`; both carry the same keys.
  const field = r.has('rope_scaling') || !r.has('rope_parameters') ? 'rope_scaling' : 'rope_parameters';
  const raw = r.raw(field);
  const plain: RopeScaling = {
    factor: 1,
    betaFast: YARN_DEFAULT_BETA_FAST,
    betaSlow: YARN_DEFAULT_BETA_SLOW,
    originalMaxPositionEmbeddings: maxPositionEmbeddings,
    truncate: false,
  };
  if (raw === undefined || raw === null) return plain;
  const rope = r.nested(field);
  const typeField = rope.has('rope_type') || !rope.has('type') ? 'rope_type' : 'type';
  const ropeType = rope.string(typeField);
  if (ropeType === 'default') return plain;
  if (ropeType !== 'yarn') rope.fail(typeField, '"yarn" (or "default" for plain RoPE)', describeValue(ropeType));
  for (const key of YARN_UNSUPPORTED_FIELDS) {
    if (rope.raw(key) !== undefined && rope.raw(key) !== null) {
      rope.fail(key, 'absent (gpt-oss derives the YaRN attention scale from factor)', describeValue(rope.raw(key)));
    }
  }
  const factor = rope.positive('factor');
  if (factor < 1) rope.fail('factor', 'a number ≥ 1', describeValue(factor));
  const betaFast = rope.optionalPositive('beta_fast', YARN_DEFAULT_BETA_FAST);
  const betaSlow = rope.optionalPositive('beta_slow', YARN_DEFAULT_BETA_SLOW);
  if (betaFast <= betaSlow) {
    rope.fail('beta_fast', `a number > beta_slow (${betaSlow})`, describeValue(betaFast));
  }
  const originalMaxPositionEmbeddings = rope.has('original_max_position_embeddings')
    ? rope.int('original_max_position_embeddings')
    : maxPositionEmbeddings;
  const truncate = rope.optionalBool('truncate', YARN_DEFAULT_TRUNCATE);
  return { factor, betaFast, betaSlow, originalMaxPositionEmbeddings, truncate };
}

function parseTokenIds(r: FieldReader, vocabSize: number): { eosTokenIds: number[]; padTokenId: number | null } {
  const tokenId = (field: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v >= vocabSize) {
      r.fail(field, `a token id in [0, V=${vocabSize})`, describeValue(v));
    }
    return v;
  };
  const eos = r.raw('eos_token_id');
  let eosTokenIds: number[];
  if (eos === undefined || eos === null) eosTokenIds = [];
  else if (Array.isArray(eos)) eosTokenIds = eos.map((id: unknown, idx: number) => tokenId(`eos_token_id[${idx}]`, id));
  else eosTokenIds = [tokenId('eos_token_id', eos)];
  const pad = r.raw('pad_token_id');
  const padTokenId = pad === undefined || pad === null ? null : tokenId('pad_token_id', pad);
  return { eosTokenIds, padTokenId };
}

/** Validates a parsed config.json; `file` is only used in messages. */
export function parseModelConfig(json: unknown, file: string): ModelConfig {
  if (!isRecord(json)) {
    throw new ModelFormatError(`${file}: expected a JSON object (a gpt-oss config), got ${describeValue(json)}`, file);
  }
  const r = new FieldReader(json, file);
  const modelType = r.raw('model_type');
  if (modelType !== 'gpt_oss') r.fail('model_type', '"gpt_oss"', describeValue(modelType));

  const numLayers = r.int('num_hidden_layers');
  const hiddenSize = r.int('hidden_size');
  const intermediateSize = r.int('intermediate_size');
  const numHeads = r.int('num_attention_heads');
  const numKvHeads = r.int('num_key_value_heads');
  const headDim = r.int('head_dim');
  const numExperts = r.int('num_local_experts');
  const kField = r.has('num_experts_per_tok') || !r.has('experts_per_token') ? 'num_experts_per_tok' : 'experts_per_token';
  const numExpertsPerToken = r.int(kField);
  const vocabSize = r.int('vocab_size');
  const slidingWindow = r.int('sliding_window');
  const maxPositionEmbeddings = r.int('max_position_embeddings');

  if (hiddenSize % MXFP4_GROUP_SIZE !== 0) {
    r.fail('hidden_size', `a multiple of ${MXFP4_GROUP_SIZE} (the MXFP4 group size)`, `C=${hiddenSize}`);
  }
  if (intermediateSize % MXFP4_GROUP_SIZE !== 0) {
    r.fail('intermediate_size', `a multiple of ${MXFP4_GROUP_SIZE} (the MXFP4 group size)`, `I=${intermediateSize}`);
  }
  if (numHeads % numKvHeads !== 0) {
    r.fail('num_key_value_heads', `a divisor of num_attention_heads (Hq=${numHeads})`, `Hkv=${numKvHeads}`);
  }
  if (headDim % 2 !== 0) r.fail('head_dim', 'an even number (RoPE rotates pairs (i, i+Dh/2))', `Dh=${headDim}`);
  if (numExpertsPerToken > numExperts) {
    r.fail(kField, `at most num_local_experts (E=${numExperts})`, `K=${numExpertsPerToken}`);
  }
  if (r.has('num_experts_per_tok') && r.has('experts_per_token') && r.raw('experts_per_token') !== numExpertsPerToken) {
    r.fail('experts_per_token', `the same as num_experts_per_tok (K=${numExpertsPerToken})`, describeValue(r.raw('experts_per_token')));
  }
  if (r.optionalBool('attention_bias', true) !== true) {
    r.fail('attention_bias', 'true (gpt-oss q/k/v/o projections have biases)', 'false');
  }
  if (r.optionalBool('tie_word_embeddings', false) !== false) {
    r.fail('tie_word_embeddings', 'false (gpt-oss has a separate lm_head.weight)', 'true');
  }
  const quant = r.nested('quantization_config');
  const quantMethod = quant.raw('quant_method');
  if (quantMethod !== 'mxfp4') {
    quant.fail('quant_method', '"mxfp4" (experts stored as *_blocks/*_scales)', describeValue(quantMethod));
  }

  const layerTypes = parseLayerTypes(r, numLayers);
  const ropeTheta = r.positive('rope_theta');
  const ropeScaling = parseRopeScaling(r, maxPositionEmbeddings);
  const rmsNormEps = r.positive('rms_norm_eps');
  const swigluLimit = r.positive('swiglu_limit');
  const { eosTokenIds, padTokenId } = parseTokenIds(r, vocabSize);

  return {
    numLayers,
    hiddenSize,
    intermediateSize,
    numHeads,
    numKvHeads,
    headDim,
    numExperts,
    numExpertsPerToken,
    vocabSize,
    slidingWindow,
    layerTypes,
    ropeTheta,
    ropeScaling,
    rmsNormEps,
    swigluLimit,
    maxPositionEmbeddings,
    eosTokenIds,
    padTokenId,
  };
}

/** What a model directory must hold; quoted by every "not a model" error. */
export const MODEL_DIR_CONTENTS =
  'a model directory (Hugging Face layout) holds config.json, model.safetensors or model.safetensors.index.json ' +
  'with its shards, and tokenizer.json — e.g. a download of openai/gpt-oss-20b, or `wgh create-test-model --out DIR`';

function errnoCode(err: unknown): string | undefined {
  return isRecord(err) && typeof err.code === 'string' ? err.code : undefined;
}

/** Reads and parses a JSON file, turning I/O and syntax errors into ModelFormatError. */
export async function readJsonFile(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory, not a file' : String(err);
    throw new ModelFormatError(`${file}: cannot read ${what}: ${why}`, file, { cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ModelFormatError(`${file}: ${what} is not valid JSON: ${(err as Error).message}`, file, { cause: err });
  }
}

/** Throws a ModelFormatError unless `dir` exists and is a directory. */
export async function checkModelDir(dir: string): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch (err) {
    const why = errnoCode(err) === 'ENOENT' ? 'does not exist' : `cannot be read (${String(err)})`;
    throw new ModelFormatError(`${dir}: the model directory ${why} (${MODEL_DIR_CONTENTS})`, dir, { cause: err });
  }
  if (!isDir) throw new ModelFormatError(`${dir} is a file, not a model directory (${MODEL_DIR_CONTENTS})`, dir);
}

/** Reads `<dir>/config.json`. A directory without one is reported as "not a model directory". */
export async function readModelConfig(dir: string): Promise<ModelConfig> {
  await checkModelDir(dir);
  const file = join(dir, CONFIG_FILE);
  let json: unknown;
  try {
    json = await readJsonFile(file, 'the model config');
  } catch (err) {
    if (err instanceof ModelFormatError && errnoCode(err.cause) === 'ENOENT') {
      throw new ModelFormatError(`${dir} is not a model directory: it has no ${CONFIG_FILE} (${MODEL_DIR_CONTENTS})`, file, {
        cause: err,
      });
    }
    throw err;
  }
  return parseModelConfig(json, file);
}
