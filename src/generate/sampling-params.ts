// Sampling parameters of a generation: defaults, validation, and the resolved form the GPU sampler
// takes (src/kernels/sampler.ts documents the order of the filters and every convention).
//
// Defaults follow gpt-oss's recommendation (temperature 1, top_p 1) with every filter and penalty
// off; the penalty window (when a penalty is turned on) is llama.cpp's repeat_last_n = 64.

import { ConfigError } from '../errors.js';
import { MAX_TOP_K, type SamplerParams } from '../kernels/sampler.js';

export type SamplingParams = SamplerParams;

/** What callers may pass (CLI flags, server requests): every field optional. */
export interface SamplingParamsInput {
  readonly temperature?: number;
  readonly topK?: number;
  readonly topP?: number;
  readonly minP?: number;
  readonly repetitionPenalty?: number;
  readonly presencePenalty?: number;
  readonly frequencyPenalty?: number;
  readonly penaltyWindow?: number;
  /** id -> bias, as a Map or a JSON object with id keys; -Infinity bans the id. */
  readonly logitBias?: ReadonlyMap<number, number> | Readonly<Record<string, number>>;
  readonly seed?: number;
  readonly logprobs?: boolean;
  readonly topLogprobs?: number;
}

export const DEFAULT_SAMPLING_PARAMS: SamplingParams = Object.freeze({
  temperature: 1,
  topK: 0,
  topP: 1,
  minP: 0,
  repetitionPenalty: 1,
  presencePenalty: 0,
  frequencyPenalty: 0,
  penaltyWindow: 64,
  logitBias: new Map<number, number>(),
  seed: 0,
  logprobs: false,
  topLogprobs: 0,
});

/** Below this, 1/T overflows the useful range of f32 logits; use 0 for greedy. */
export const MIN_TEMPERATURE = 1e-4;
export const MAX_TEMPERATURE = 100;
/** OpenAI's ranges for the additive penalties, logit bias and top_logprobs. */
export const MAX_ADDITIVE_PENALTY = 2;
export const MAX_LOGIT_BIAS = 100;
export const MAX_TOP_LOGPROBS = 20;
export const MAX_REPETITION_PENALTY = 100;
export { MAX_TOP_K };

export interface ResolveOptions {
  /** Seed for requests that give none (e.g. from crypto); without it such requests use seed 0. */
  readonly randomSeed?: () => number;
}

function fail(name: string, expected: string, got: unknown): never {
  throw new ConfigError(`sampling: '${name}' expected ${expected}, got ${typeof got === 'number' || typeof got === 'boolean' ? got : JSON.stringify(got)}`);
}

function number(name: string, v: unknown, lo: number, hi: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
    fail(name, `${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}]`, v);
  }
  return v;
}

function logitBiasMap(v: SamplingParamsInput['logitBias']): ReadonlyMap<number, number> {
  if (v === undefined) return new Map();
  if (typeof v !== 'object' || v === null) fail('logitBias', 'a map of token id -> bias', v);
  const entries: [unknown, unknown][] = v instanceof Map ? [...v.entries()] : Object.entries(v);
  const out = new Map<number, number>();
  for (const [key, bias] of entries) {
    const id = typeof key === 'string' && /^\d+$/.test(key) ? Number(key) : key;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) fail('logitBias', 'token ids as non-negative integers', key);
    if (bias !== -Infinity) number(`logitBias[${id}]`, bias, -MAX_LOGIT_BIAS, MAX_LOGIT_BIAS);
    out.set(id, bias as number);
  }
  return out;
}

/** Fill defaults and validate every field (ConfigError naming the parameter). */
export function resolveSamplingParams(input: SamplingParamsInput = {}, opts: ResolveOptions = {}): SamplingParams {
  const d = DEFAULT_SAMPLING_PARAMS;
  const temperature = number('temperature', input.temperature ?? d.temperature, 0, MAX_TEMPERATURE);
  if (temperature !== 0 && temperature < MIN_TEMPERATURE) fail('temperature', `0 (greedy) or a number in [${MIN_TEMPERATURE}, ${MAX_TEMPERATURE}]`, temperature);
  const topP = number('topP', input.topP ?? d.topP, 0, 1);
  if (topP === 0) fail('topP', 'a number in (0, 1]', topP);
  const repetitionPenalty = number('repetitionPenalty', input.repetitionPenalty ?? d.repetitionPenalty, 0, MAX_REPETITION_PENALTY);
  if (repetitionPenalty === 0) fail('repetitionPenalty', `a number in (0, ${MAX_REPETITION_PENALTY}]`, repetitionPenalty);
  const topLogprobs = number('topLogprobs', input.topLogprobs ?? d.topLogprobs, 0, MAX_TOP_LOGPROBS, true);
  if (input.logprobs !== undefined && typeof input.logprobs !== 'boolean') fail('logprobs', 'a boolean', input.logprobs);
  if (input.logprobs === false && topLogprobs > 0) fail('topLogprobs', '0 when logprobs is false', topLogprobs);
  const seed = input.seed ?? opts.randomSeed?.() ?? d.seed;
  return {
    temperature,
    topK: number('topK', input.topK ?? d.topK, 0, MAX_TOP_K, true),
    topP,
    minP: number('minP', input.minP ?? d.minP, 0, 1),
    repetitionPenalty,
    presencePenalty: number('presencePenalty', input.presencePenalty ?? d.presencePenalty, -MAX_ADDITIVE_PENALTY, MAX_ADDITIVE_PENALTY),
    frequencyPenalty: number('frequencyPenalty', input.frequencyPenalty ?? d.frequencyPenalty, -MAX_ADDITIVE_PENALTY, MAX_ADDITIVE_PENALTY),
    penaltyWindow: number('penaltyWindow', input.penaltyWindow ?? d.penaltyWindow, 0, 2 ** 31, true),
    logitBias: logitBiasMap(input.logitBias),
    seed: number('seed', seed, 0, Number.MAX_SAFE_INTEGER, true),
    logprobs: input.logprobs ?? topLogprobs > 0,
    topLogprobs,
  };
}

/** Greedy decoding (exact argmax, ties -> lowest id): temperature 0 or topK 1. */
export function isGreedy(p: SamplingParams): boolean {
  return p.temperature === 0 || p.topK === 1;
}
