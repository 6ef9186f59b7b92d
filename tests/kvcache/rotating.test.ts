// The rotating KV cache (maxKvSize) against the float64 reference forward pass (tests/reference/
// forward.ts) whose full-attention layers see exactly the kept positions: the first kvKeep and the
// most recent maxKvSize - kvKeep. The reference is first checked against transformers' logits.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGenerator } from '../../src/generate/generator.js';
import { loadModel } from '../../src/model/load.js';
import { expectClose } from '../helpers/close.js';
import { useGpu } from '../helpers/gpu.js';
import { causalVisibility, loadRefModel, refForward, rotatingVisibility, type RefModel } from '../reference/forward.js';

const DIR = join(import.meta.dirname, '../fixtures/gpt-oss-tiny-a');
const oracle = JSON.parse(readFileSync(join(DIR, 'oracle.json'), 'utf8')) as { input_ids: number[] };
const ORACLE_LOGITS = new Float32Array(readFileSync(join(DIR, 'logits.f32')).buffer.slice(0));
const IDS = oracle.input_ids; // 40 tokens
// float64 vs transformers' float32 (the numpy reference lands at 1e-3 on logits up to ±18).
const REF_ORACLE_TOL = { atol: 2e-3, rtol: 0 };
// Engine (f32 activations and accumulation) vs float64 over 4 layers: the oracle test measures
// ~1e-3 against transformers; rotation changes which keys are summed, not the precision.
const GPU_REF_TOL = { atol: 3e-3, rtol: 0 };
// Full layers keep 4 + 12 of the 40 positions; W = 8 on sliding layers (their ring is untouched).
const MAX_KV_SIZE = 16;
const KV_KEEP = 4;

describe('rotating KV cache vs the float64 reference', () => {
  const gpu = useGpu();
  let ref: RefModel;
  let rotatingRef: Float64Array;
  const V = 1024;
  const where = (i: number) => `position ${Math.floor(i / V)}, id ${i % V}`;

  beforeAll(async () => {
    ref = await loadRefModel(DIR);
    rotatingRef = refForward(ref, IDS, rotatingVisibility(ref.config, MAX_KV_SIZE, KV_KEEP));
  });

  it('the reference forward pass matches transformers (all 40 positions)', () => {
    const { maxAbsDiff } = expectClose(refForward(ref, IDS, causalVisibility(ref.config)), ORACLE_LOGITS, REF_ORACLE_TOL, where);
    console.log(`float64 reference vs oracle: max |diff| = ${maxAbsDiff.toExponential(3)}`);
  });

  it('rotation matters: the kept-positions reference differs from full attention after the window fills', () => {
    let maxDiff = 0;
    for (let i = MAX_KV_SIZE * V; i < ORACLE_LOGITS.length; i++) maxDiff = Math.max(maxDiff, Math.abs(rotatingRef[i] - ORACLE_LOGITS[i]));
    expect(maxDiff).toBeGreaterThan(100 * GPU_REF_TOL.atol);
    // ... and not before: positions < maxKvSize see everything either way.
    expectClose(rotatingRef.subarray(0, MAX_KV_SIZE * V), ORACLE_LOGITS.subarray(0, MAX_KV_SIZE * V), REF_ORACLE_TOL, where);
  });

  it.each([
    ['one prefill', 64],
    ['chunks of 5', 5],
    ['chunks of 24 (> the ring of 12: later tokens of a chunk overwrite slots)', 24],
  ])('prefill with maxKvSize: %s', async (_, maxBatch) => {
    const model = await loadModel(DIR, { gpu: gpu(), contextLength: 64, maxBatch, maxKvSize: MAX_KV_SIZE, kvKeep: KV_KEEP });
    try {
      const logits = (await model.runner.prefill(IDS, 'all'))!;
      const { maxAbsDiff } = expectClose(logits, rotatingRef, GPU_REF_TOL, where);
      console.log(`rotating prefill (maxBatch ${maxBatch}) vs float64: max |diff| = ${maxAbsDiff.toExponential(3)}`);
    } finally {
      model.destroy();
    }
  });

  it('decode one token at a time with maxKvSize: every position matches the reference', async () => {
    const model = await loadModel(DIR, { gpu: gpu(), contextLength: 64, maxKvSize: MAX_KV_SIZE, kvKeep: KV_KEEP });
    try {
      await model.runner.prefill(IDS.slice(0, 2), 'none');
      for (let pos = 2; pos < IDS.length; pos++) {
        await model.runner.prefill([IDS[pos]], 'last');
        const row = new Float32Array(await gpu().read(model.runner.lastLogits.buffer, 0, V * 4));
        expectClose(row, rotatingRef.subarray(pos * V, (pos + 1) * V), GPU_REF_TOL, (i) => `position ${pos}, id ${i}`);
      }
    } finally {
      model.destroy();
    }
  });

  it('a per-request maxKvSize reconfigures the cache; its greedy tokens equal a model loaded with it', async () => {
    const loaded = await loadModel(DIR, { gpu: gpu(), contextLength: 128, maxKvSize: MAX_KV_SIZE, kvKeep: KV_KEEP });
    let want: number[];
    try {
      await loaded.runner.prefill(IDS, 'last');
      want = await loaded.runner.greedy(32);
    } finally {
      loaded.destroy();
    }
    const model = await loadModel(DIR, { gpu: gpu(), contextLength: 128 });
    const generator = createGenerator(model);
    try {
      const plain = await generator.generate(IDS, { maxTokens: 32, temperature: 0 }).result;
      expect(plain.metrics.maxKvSize).toBe(0);
      expect(plain.tokens).not.toEqual(want);
      const rotating = await generator.generate(IDS, { maxTokens: 32, temperature: 0, maxKvSize: MAX_KV_SIZE, kvKeep: KV_KEEP }).result;
      expect(rotating.tokens).toEqual(want);
      // A new cache holds nothing: the prompt was prefilled from 0.
      expect(rotating.metrics).toMatchObject({ maxKvSize: MAX_KV_SIZE, cachedTokens: 0 });
      expect(model.runner.cache.maxKvSize).toBe(MAX_KV_SIZE);
    } finally {
      await generator.close();
      model.destroy();
    }
  });
});

