import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { DEFAULT_SAMPLING_PARAMS, isGreedy, resolveSamplingParams, type SamplingParamsInput } from '../../src/generate/sampling-params.js';
import { MAX_TOP_K, SAMPLE_MODE, checkSamplerParams, sampleParamsValues } from '../../src/kernels/sampler.js';

describe('resolveSamplingParams', () => {
  it('fills the defaults (gpt-oss: temperature 1, top_p 1, every filter and penalty off)', () => {
    const p = resolveSamplingParams();
    expect(p).toEqual(DEFAULT_SAMPLING_PARAMS);
    expect(p).toMatchObject({ temperature: 1, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0, seed: 0, logprobs: false, topLogprobs: 0 });
    expect(isGreedy(p)).toBe(false);
  });

  it('takes logit bias as a Map or a JSON object; -Infinity bans', () => {
    expect([...resolveSamplingParams({ logitBias: { '17': 2.5, 5: -Infinity } }).logitBias]).toEqual([
      [5, -Infinity],
      [17, 2.5],
    ]);
    expect([...resolveSamplingParams({ logitBias: new Map([[3, -1]]) }).logitBias]).toEqual([[3, -1]]);
  });

  it('topLogprobs implies logprobs; an injected seed source serves requests without a seed', () => {
    expect(resolveSamplingParams({ topLogprobs: 5 })).toMatchObject({ logprobs: true, topLogprobs: 5 });
    expect(resolveSamplingParams({}, { randomSeed: () => 12345 }).seed).toBe(12345);
    expect(resolveSamplingParams({ seed: 7 }, { randomSeed: () => 12345 }).seed).toBe(7);
  });

  it('greedy: temperature 0 or topK 1', () => {
    expect(isGreedy(resolveSamplingParams({ temperature: 0 }))).toBe(true);
    expect(isGreedy(resolveSamplingParams({ topK: 1 }))).toBe(true);
  });

  it.each<[string, SamplingParamsInput]>([
    ['temperature', { temperature: -0.1 }],
    ['temperature', { temperature: 1e-6 }],
    ['temperature', { temperature: Number.NaN }],
    ['topK', { topK: 2.5 }],
    ['topK', { topK: MAX_TOP_K + 1 }],
    ['topP', { topP: 0 }],
    ['topP', { topP: 1.1 }],
    ['minP', { minP: -0.1 }],
    ['repetitionPenalty', { repetitionPenalty: 0 }],
    ['presencePenalty', { presencePenalty: 2.5 }],
    ['frequencyPenalty', { frequencyPenalty: -3 }],
    ['penaltyWindow', { penaltyWindow: -1 }],
    ['logitBias', { logitBias: { abc: 1 } }],
    ['logitBias[4]', { logitBias: { 4: 101 } }],
    ['logitBias[4]', { logitBias: { 4: Infinity } }],
    ['seed', { seed: -1 }],
    ['seed', { seed: 2 ** 53 }],
    ['topLogprobs', { topLogprobs: 21 }],
    ['topLogprobs', { logprobs: false, topLogprobs: 2 }],
  ])('rejects a bad %s with a ConfigError naming it', (name, input) => {
    expect(() => resolveSamplingParams(input)).toThrow(ConfigError);
    expect(() => resolveSamplingParams(input)).toThrow(`'${name}'`);
  });
});

describe('sampler parameters on the GPU', () => {
  const V = 1000;
  const values = (input: SamplingParamsInput) => sampleParamsValues(resolveSamplingParams(input), V);

  it('maps parameters to the shader mode and pool size', () => {
    expect(values({ temperature: 0 })).toMatchObject({ mode: SAMPLE_MODE.greedy, pool_need: 0, inv_temperature: 0 });
    expect(values({ topK: 1, topLogprobs: 3 })).toMatchObject({ mode: SAMPLE_MODE.greedy, pool_need: 3, flags: 4 });
    expect(values({ temperature: 0.7 })).toMatchObject({ mode: SAMPLE_MODE.full, pool_need: 0, inv_temperature: Math.fround(1 / 0.7) });
    expect(values({ minP: 0.1 })).toMatchObject({ mode: SAMPLE_MODE.full });
    expect(values({ topK: 40, topLogprobs: 5 })).toMatchObject({ mode: SAMPLE_MODE.pool, pool_need: 40, top_k: 40 });
    expect(values({ topP: 0.9, topLogprobs: 5 })).toMatchObject({ mode: SAMPLE_MODE.pool, pool_need: 5, top_k: 0 });
    expect(values({ topK: V })).toMatchObject({ mode: SAMPLE_MODE.full, top_k: 0 }); // top-k >= V is off
    expect(values({ seed: 2 ** 40 + 3 })).toMatchObject({ seed_lo: 3, seed_hi: 2 ** 8 });
    // penalties are on only with a window and a non-neutral value
    expect(values({ repetitionPenalty: 1.2 }).flags & 1).toBe(1);
    expect(values({ repetitionPenalty: 1.2, penaltyWindow: 0 }).flags & 1).toBe(0);
    expect(values({ logitBias: { 3: 1 } }).flags & 2).toBe(2);
  });

  it('checks what depends on the sampler: window, logprob slots, bias ids', () => {
    const caps = { vocabSize: V, maxTopLogprobs: 5, historyWindow: 128 };
    expect(() => checkSamplerParams(resolveSamplingParams({ penaltyWindow: 129 }), caps)).toThrow(`'penaltyWindow'`);
    expect(() => checkSamplerParams(resolveSamplingParams({ topLogprobs: 6 }), caps)).toThrow(`'topLogprobs'`);
    expect(() => checkSamplerParams(resolveSamplingParams({ logitBias: { [V]: 1 } }), caps)).toThrow(`'logitBias'`);
    expect(() => checkSamplerParams(resolveSamplingParams({ penaltyWindow: 128, topLogprobs: 5 }), caps)).not.toThrow();
  });
});
