// The engine against transformers' own outputs on the tiny gpt-oss checkpoint (tests/fixtures/
// gpt-oss-tiny-a, copied from the shared oracle): logits at every position, every argmax, and the
// greedy continuation through the KV-cache decode path. With the default slack the sliding rings
// hold every position of a short context, so the last describe shrinks them to W (+ a little) slots
// and the window 8 wraps many times in prefill and in decode.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gpu } from '../../src/gpu/device.js';
import { loadModel, type LoadedModel } from '../../src/model/load.js';
import { expectClose } from '../helpers/close.js';
import { useGpu } from '../helpers/gpu.js';
import { refArgmax } from '../reference/dense.js';

const DIR = join(import.meta.dirname, '../fixtures/gpt-oss-tiny-a');
const oracle = JSON.parse(readFileSync(join(DIR, 'oracle.json'), 'utf8')) as {
  input_ids: number[];
  greedy_continuation: number[];
  logits_shape: [number, number];
};
const ORACLE_LOGITS = new Float32Array(readFileSync(join(DIR, 'logits.f32')).buffer.slice(0));
const [T, V] = oracle.logits_shape;
// The bound: 2e-2 absolute on logits that reach ±18 (float32 engines land near 1e-3).
const ORACLE_TOL = { atol: 2e-2, rtol: 0 };
// Same engine, different chunking / path: only f32 summation order differs.
const SELF_TOL = { atol: 1e-4, rtol: 1e-5 };
// Experts split across buffers are accumulated into the residual one chunk at a time, a different
// order of the f32 sums; 4 layers and the lm_head amplify that to ~2e-4 on logits of ±18.
const CHUNKED_WEIGHTS_TOL = { atol: 1e-3, rtol: 1e-5 };

describe('oracle: gpt-oss-tiny-a vs transformers', () => {
  let gpu: Gpu;
  let model: LoadedModel;
  let logits: Float32Array;
  beforeAll(async () => {
    gpu = await Gpu.open({ backend: process.env.WGH_BACKEND });
    model = await loadModel(DIR, { gpu, contextLength: 128 });
    logits = (await model.runner.prefill(oracle.input_ids, 'all'))!;
  });
  afterAll(() => {
    model?.destroy();
    gpu?.destroy();
  });

  it('logits at all 40 positions match within tolerance, every argmax equal', () => {
    const { maxAbsDiff } = expectClose(logits, ORACLE_LOGITS, ORACLE_TOL, (i) => `position ${Math.floor(i / V)}, id ${i % V}`);
    console.log(`oracle max |logit diff| = ${maxAbsDiff.toExponential(3)}`);
    expect(refArgmax(logits, T, V)).toEqual(refArgmax(ORACLE_LOGITS, T, V));
  });

  it('greedy decoding with the KV cache reproduces the 24-token continuation', async () => {
    model.runner.rewind(0);
    await model.runner.prefill(oracle.input_ids, 'last');
    const tokens = await model.runner.greedy(oracle.greedy_continuation.length);
    expect(tokens).toEqual(oracle.greedy_continuation);
    expect(model.runner.length).toBe(oracle.input_ids.length + oracle.greedy_continuation.length - 1);
  });

  it('greedy stops at a stop id and rewinds the steps queued past it', async () => {
    model.runner.rewind(0);
    await model.runner.prefill(oracle.input_ids, 'last');
    const stopAt = 5;
    const tokens = await model.runner.greedy(24, new Set([oracle.greedy_continuation[stopAt]]), 8);
    expect(tokens).toEqual(oracle.greedy_continuation.slice(0, stopAt + 1));
    expect(model.runner.tokens).toEqual([...oracle.input_ids, ...oracle.greedy_continuation.slice(0, stopAt + 1)]);
    // The cache is consistent: continuing gives the oracle's next tokens.
    model.runner.rewind(model.runner.length - 1);
    await model.runner.prefill([oracle.greedy_continuation[stopAt]], 'last');
    expect(await model.runner.greedy(3)).toEqual(oracle.greedy_continuation.slice(stopAt + 1, stopAt + 4));
  });

  it('one token at a time (the decode shape) gives the prefill logits at every position', async () => {
    model.runner.rewind(0);
    const start = 3;
    await model.runner.prefill(oracle.input_ids.slice(0, start), 'none');
    for (let p = start; p < T; p++) {
      await model.runner.prefill([oracle.input_ids[p]], 'last');
      const row = new Float32Array(await gpu.read(model.runner.lastLogits.buffer, 0, V * 4));
      expectClose(row, logits.subarray(p * V, (p + 1) * V), SELF_TOL, (i) => `position ${p}, id ${i}`);
    }
  });
});

describe('oracle: sliding rings of W = 8 slots wrapping through prefill and decode', () => {
  const gpu = useGpu();
  const W = 8;
  // 40 prompt + 23 fed decode ids = 63 positions written: the ring of 8 is overwritten 7 times.
  it.each([
    ['slack 0 (ring = W), prefill chunks of 5', 0, 5],
    ['slack 0 (ring = W), prefill chunks of 16 (a chunk overwrites its own early slots)', 0, 16],
    ['slack 3 (ring of 11, wraps off the chunk grid), prefill chunks of 3', 3, 3],
  ])('%s: every logit and the 24-token greedy continuation match', async (_, slidingSlack, maxBatch) => {
    const model = await loadModel(DIR, { gpu: gpu(), contextLength: 128, slidingSlack, maxBatch });
    try {
      const rings = model.runner.cache.layers.filter((l) => l.geometry.window > 0).map((l) => l.geometry);
      expect(rings).toHaveLength(2);
      for (const g of rings) expect(g).toEqual({ capacity: W + slidingSlack, keep: 0, window: W });
      const capacity = W + slidingSlack;

      const prefillLogits = (await model.runner.prefill(oracle.input_ids, 'all'))!;
      const { maxAbsDiff } = expectClose(prefillLogits, ORACLE_LOGITS, ORACLE_TOL, (i) => `position ${Math.floor(i / V)}, id ${i % V}`);
      expect(refArgmax(prefillLogits, T, V)).toEqual(refArgmax(ORACLE_LOGITS, T, V));

      model.runner.rewind(0);
      await model.runner.prefill(oracle.input_ids, 'last');
      const tokens = await model.runner.greedy(oracle.greedy_continuation.length);
      expect(tokens).toEqual(oracle.greedy_continuation);
      const written = model.runner.length;
      expect(written).toBe(oracle.input_ids.length + oracle.greedy_continuation.length - 1);
      // Decode alone (positions 40 .. 62) wraps the ring at least twice; the whole run 5+ times.
      expect(Math.floor((written - 1) / capacity) - Math.floor((oracle.input_ids.length - 1) / capacity)).toBeGreaterThanOrEqual(2);
      expect(Math.floor(written / capacity)).toBeGreaterThanOrEqual(5);
      console.log(`ring of ${capacity} (maxBatch ${maxBatch}): ${written} positions = ${(written / capacity).toFixed(1)} turns, max |logit diff| = ${maxAbsDiff.toExponential(3)}`);
    } finally {
      model.destroy();
    }
  });
});

describe('oracle: chunked prefill and chunked weights', () => {
  it('prefill in chunks of 7 equals one prefill; so do weights split into many buffers', async () => {
    const gpu = await Gpu.open({ backend: process.env.WGH_BACKEND });
    try {
      const one = await loadModel(DIR, { gpu, contextLength: 64 });
      const whole = (await one.runner.prefill(oracle.input_ids, 'all'))!;
      one.destroy();
      const sevens = await loadModel(DIR, { gpu, contextLength: 64, maxBatch: 7 });
      const inSevens = (await sevens.runner.prefill(oracle.input_ids, 'all'))!;
      sevens.destroy();
      expectClose(inSevens, whole, SELF_TOL, (i) => `position ${Math.floor(i / V)}, id ${i % V}`);
      // 16 KiB chunks: the embedding and lm_head split by vocab rows, the experts by expert.
      const split = await loadModel(DIR, { gpu, contextLength: 64, maxBatch: 7, maxChunkBytes: 16 * 1024 });
      expect(split.weights.embedding.chunks.length).toBeGreaterThan(1);
      expect(split.weights.layers[0].gateUpBlocks.chunks.length).toBeGreaterThan(1);
      const chunked = (await split.runner.prefill(oracle.input_ids, 'all'))!;
      split.destroy();
      expectClose(chunked, whole, CHUNKED_WEIGHTS_TOL, (i) => `position ${Math.floor(i / V)}, id ${i % V}`);
      expect(refArgmax(chunked, T, V)).toEqual(refArgmax(whole, T, V));
    } finally {
      gpu.destroy();
    }
  });
});
