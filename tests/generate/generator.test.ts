// The TokenGenerator end to end on lavapipe: the oracle checkpoint's greedy continuation through the
// GPU sampler, stop tokens / max tokens / context / abort with their reasons, queued steps past a
// stop discarded and the cache rewound, loop detection, logprobs, queueing; determinism by seed on
// the tiny preset (the real 201088-id vocabulary).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShapeError } from '../../src/errors.js';
import { createGenerator, type Generator } from '../../src/generate/generator.js';
import { LOOP_DETECTION_PRESETS } from '../../src/generate/loop-detector.js';
import type { GenerateParams, Generation, TokenEvent } from '../../src/generate/types.js';
import { createTestModel } from '../../src/model/create-test-model.js';
import { loadModel, type LoadedModel } from '../../src/model/load.js';
import { useGpu } from '../helpers/gpu.js';

const DIR = join(import.meta.dirname, '../fixtures/gpt-oss-tiny-a');
const oracle = JSON.parse(readFileSync(join(DIR, 'oracle.json'), 'utf8')) as { input_ids: number[]; greedy_continuation: number[] };
const ORACLE_LOGITS = new Float32Array(readFileSync(join(DIR, 'logits.f32')).buffer.slice(0));
const PROMPT = oracle.input_ids;
const CONTINUATION = oracle.greedy_continuation; // 24 ids
const V = 1024;
const STEPS_PER_READ = 8;
const GREEDY: GenerateParams = { maxTokens: 24, temperature: 0 };
// The engine's logits are within ~1e-3 of transformers' (oracle.test.ts): so are log-softmaxes.
const LOGPROB_TOL = 3e-3;

async function collect(gen: Generation): Promise<TokenEvent[]> {
  const events: TokenEvent[] = [];
  for await (const ev of gen) events.push(ev);
  return events;
}

describe('generator on the oracle checkpoint', () => {
  const gpu = useGpu();
  let model: LoadedModel;
  let generator: Generator;
  beforeAll(async () => {
    model = await loadModel(DIR, { gpu: gpu(), contextLength: 256 });
    generator = createGenerator(model, { stepsPerRead: STEPS_PER_READ });
  });
  afterAll(async () => {
    await generator?.close();
    model?.destroy();
  });

  it('temperature 0 through the GPU sampler reproduces the greedy continuation; events and metrics', async () => {
    const gen = generator.generate(PROMPT, GREEDY);
    const events = await collect(gen);
    const result = await gen.result;
    expect(events.map((e) => e.id)).toEqual(CONTINUATION);
    expect(events.map((e) => e.index)).toEqual(CONTINUATION.map((_, i) => i));
    expect(events.every((e, i) => i === 0 || e.timeMs >= events[i - 1].timeMs)).toBe(true);
    expect(result).toMatchObject({ tokens: CONTINUATION, finishReason: 'length', stopReason: { kind: 'max_tokens' } });
    expect(result.metrics).toMatchObject({
      promptTokens: PROMPT.length,
      completionTokens: 24,
      kvLength: PROMPT.length + 23, // the last token is not fed
      maxKvSize: 0,
      loopDetection: 'cheap',
      finishReason: 'length',
      stopReason: 'max_tokens',
    });
    for (const key of ['prefillSeconds', 'ttftSeconds', 'decodeSeconds', 'decodeTokensPerSecond'] as const) expect(result.metrics[key]).toBeGreaterThan(0);
  });

  it('a stop token ends it (finish stop); queued steps past it are discarded and the next generation continues', async () => {
    const stopAt = 5;
    const result = await generator.generate(PROMPT, { ...GREEDY, stopTokens: [CONTINUATION[stopAt]] }).result;
    expect(result).toMatchObject({ tokens: CONTINUATION.slice(0, stopAt + 1), finishReason: 'stop', stopReason: { kind: 'stop_token', id: CONTINUATION[stopAt] } });
    expect(result.metrics.stopReason).toBe(`stop_token:${CONTINUATION[stopAt]}`);
    // Steps 6..16 were queued (two batches in flight) and thrown away: the cache holds the prompt and
    // the six ids, the stop id included (step 6 fed it before anyone knew it was a stop).
    expect(model.runner.tokens).toEqual([...PROMPT, ...CONTINUATION.slice(0, stopAt + 1)]);
    expect(model.runner.writtenLength).toBeGreaterThan(model.runner.length);
    const next = await generator.generate([...PROMPT, ...CONTINUATION.slice(0, stopAt + 1)], { ...GREEDY, maxTokens: 8 }).result;
    expect(next.tokens).toEqual(CONTINUATION.slice(stopAt + 1, stopAt + 9));
    expect(next.metrics).toMatchObject({ prefixAction: 'rewind', cachedTokens: PROMPT.length + stopAt });
  });

  it('max tokens 0 only prefills; max tokens 3 gives 3', async () => {
    const none = await generator.generate(PROMPT, { maxTokens: 0 }).result;
    expect(none).toMatchObject({ tokens: [], finishReason: 'length', stopReason: { kind: 'max_tokens' } });
    expect(model.runner.length).toBe(PROMPT.length);
    const three = await generator.generate(PROMPT, { ...GREEDY, maxTokens: 3 }).result;
    expect(three.tokens).toEqual(CONTINUATION.slice(0, 3));
  });

  it('abort: ends within the step being read, finish cancelled; then generation works again', async () => {
    const controller = new AbortController();
    const gen = generator.generate(PROMPT, { ...GREEDY, maxTokens: 200 }, { signal: controller.signal });
    const seen: number[] = [];
    for await (const ev of gen) {
      seen.push(ev.id);
      if (seen.length === 1) controller.abort();
    }
    const result = await gen.result;
    expect(result).toMatchObject({ finishReason: 'cancelled', stopReason: { kind: 'cancelled' } });
    expect(seen).toEqual(result.tokens);
    expect(seen.length).toBeLessThanOrEqual(1 + STEPS_PER_READ);
    // The cache holds the prompt and the seen ids that a submitted step fed.
    const fed = model.runner.length - PROMPT.length;
    expect(fed).toBeLessThanOrEqual(seen.length);
    expect(model.runner.tokens).toEqual([...PROMPT, ...seen.slice(0, fed)]);
    // An already aborted signal: nothing generated.
    const pre = await generator.generate(PROMPT, GREEDY, { signal: AbortSignal.abort() }).result;
    expect(pre).toMatchObject({ tokens: [], finishReason: 'cancelled' });
    // Leaving the loop early cancels too.
    const broken = generator.generate(PROMPT, { ...GREEDY, maxTokens: 200 });
    for await (const ev of broken) if (ev.index === 2) break;
    expect((await broken.result).finishReason).toBe('cancelled');
    expect((await generator.generate(PROMPT, GREEDY).result).tokens).toEqual(CONTINUATION);
  });

  it('a full context ends with finish length / context_full', async () => {
    const small = await loadModel(DIR, { gpu: gpu(), contextLength: PROMPT.length + 8 });
    const gen = createGenerator(small);
    try {
      const result = await gen.generate(PROMPT, GREEDY).result;
      // Steps 1..8 write positions 40..47; step 9 would need position 48.
      expect(result).toMatchObject({ tokens: CONTINUATION.slice(0, 9), finishReason: 'length', stopReason: { kind: 'context_full' } });
      expect(small.runner.length).toBe(PROMPT.length + 8);
    } finally {
      await gen.close();
      small.destroy();
    }
  });

  it('loop detection ends a forced loop with loop_detected; off lets it run to max tokens', async () => {
    // +100 on one id: greedy picks it every step, a period-1 loop.
    const forced: GenerateParams = { maxTokens: 100, temperature: 0, logitBias: { 17: 100 } };
    const cheap = await generator.generate(PROMPT, forced).result;
    expect(cheap).toMatchObject({ finishReason: 'stop', stopReason: { kind: 'loop_detected', period: 1 } });
    expect(cheap.tokens).toHaveLength(LOOP_DETECTION_PRESETS.cheap.minSpanTokens);
    expect(cheap.metrics.stopReason).toBe('loop_detected');
    const off = await generator.generate(PROMPT, { ...forced, loopDetection: 'off' }).result;
    expect(off).toMatchObject({ finishReason: 'length', stopReason: { kind: 'max_tokens' } });
    expect(off.tokens).toEqual(new Array(100).fill(17));
  });

  it('logprobs: the chosen id is the top one at temperature 0, and matches log-softmax of the oracle logits', async () => {
    const gen = generator.generate(PROMPT, { ...GREEDY, maxTokens: 2, topLogprobs: 3 });
    const events = await collect(gen);
    for (const ev of events) {
      expect(ev.topLogprobs).toHaveLength(3);
      expect(ev.topLogprobs![0]).toEqual({ id: ev.id, logprob: ev.logprob });
      expect(ev.logprob!).toBeLessThanOrEqual(0);
    }
    const row = ORACLE_LOGITS.subarray((PROMPT.length - 1) * V, PROMPT.length * V);
    const max = Math.max(...row);
    const logSumExp = max + Math.log(row.reduce((s, z) => s + Math.exp(z - max), 0));
    expect(Math.abs(events[0].logprob! - (row[events[0].id] - logSumExp))).toBeLessThan(LOGPROB_TOL);
  });

  it('one generation at a time: a second call queues behind the first, in order', async () => {
    const order: string[] = [];
    const first = generator.generate(PROMPT, { ...GREEDY, maxTokens: 10 });
    const second = generator.generate(PROMPT, { ...GREEDY, maxTokens: 10 });
    await Promise.all([
      (async () => {
        for await (const ev of first) order.push(`a${ev.index}`);
      })(),
      (async () => {
        for await (const ev of second) order.push(`b${ev.index}`);
      })(),
    ]);
    expect(order).toEqual([...Array.from({ length: 10 }, (_, i) => `a${i}`), ...Array.from({ length: 10 }, (_, i) => `b${i}`)]);
    expect((await second.result).tokens).toEqual(CONTINUATION.slice(0, 10));
    expect((await second.result).metrics.queueSeconds).toBeGreaterThan(0);
  });

  it('bad requests throw at once with the parameter named', () => {
    expect(() => generator.generate([], GREEDY)).toThrow(ShapeError);
    expect(() => generator.generate([V], GREEDY)).toThrow(/prompt\[0\]: token id 1024 outside the vocabulary \[0, 1024\)/);
    expect(() => generator.generate(PROMPT, { ...GREEDY, stopTokens: [-1] })).toThrow(/stopTokens\[0\]: token id -1/);
    expect(() => generator.generate(PROMPT, { maxTokens: 1.5 })).toThrow(/maxTokens/);
    expect(() => generator.generate(PROMPT, { ...GREEDY, temperature: -1 })).toThrow(/temperature/);
    expect(() => generator.generate(PROMPT, { ...GREEDY, loopDetection: 'always' as 'full' })).toThrow(/loopDetection/);
    expect(() => generator.generate(PROMPT, { ...GREEDY, maxKvSize: 4 })).toThrow(/'maxKvSize' \(4\) must exceed 'kvKeep' \(4\)/);
  });
});

describe('determinism on the tiny preset (V = 201088)', () => {
  const gpu = useGpu();
  let dir: string;
  let model: LoadedModel;
  let generator: Generator;
  const prompt = Array.from({ length: 20 }, (_, i) => (i * 7919) % 200_000);
  const sampling: GenerateParams = { maxTokens: 12, temperature: 0.8, topP: 0.95, topK: 40, repetitionPenalty: 1.1 };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wgh-gen-tiny-'));
    await createTestModel({ outDir: dir, preset: 'tiny', seed: 5 });
    model = await loadModel(dir, { gpu: gpu(), contextLength: 128 });
    generator = createGenerator(model, { maskRange: { from: 200_019, to: 201_088 } });
  });
  afterAll(async () => {
    await generator?.close();
    model?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the same seed gives the same tokens (also after the cache changed); another seed differs', async () => {
    const a = await generator.generate(prompt, { ...sampling, seed: 11 }).result;
    const b = await generator.generate(prompt, { ...sampling, seed: 11 }).result;
    expect(b.metrics.cachedTokens).toBe(prompt.length - 1); // second run reused the prompt
    expect(b.tokens).toEqual(a.tokens);
    const c = await generator.generate(prompt, { ...sampling, seed: 12 }).result;
    expect(c.tokens).not.toEqual(a.tokens);
    expect(a.metrics.seed).toBe(11);
    expect(a.tokens.every((id) => id < 200_019)).toBe(true);
  });
});
